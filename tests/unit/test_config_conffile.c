/* Unit tests for the configuration file (config module): every option type,
 * lists, modes, the one-line "FILE:LINE: OPTION: message" errors, and the
 * precedence defaults < file < command line through cli_parse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unconst.h"
#include "config/cli.h"
#include "config/conffile.h"

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/snare-conffile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes len bytes of text to tmpdir/name; returns the path (static). */
static const char *put_n(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *put(const char *name, const char *text)
{
	return put_n(name, text, strlen(text));
}

struct loaded {
	struct options o;
	struct strlist modes;
	char err[512];
	int rc;
};

static void load(struct loaded *l, const char *path, bool must_exist)
{
	options_init(&l->o);
	memset(&l->modes, 0, sizeof(l->modes));
	l->rc = conffile_load(path, must_exist, &l->o, &l->modes, l->err, sizeof(l->err));
}

static void unload(struct loaded *l)
{
	options_free(&l->o);
	conffile_modes_free(&l->modes);
}

/* Loads text and expects the error "<path>:<msg>". */
static void bad(const char *text, const char *msg)
{
	struct loaded l;
	char want[512];
	const char *path = put("bad.yaml", text);

	snprintf(want, sizeof(want), "%s:%s", path, msg);
	load(&l, path, true);
	assert_int_equal(l.rc, -EINVAL);
	assert_string_equal(l.err, want);
	unload(&l);
}

static void test_types(void **state)
{
	struct loaded l;

	load(&l,
	     put("t.yaml", "# a comment\n"
			   "keep_host_header: true\n"
			   "block_global: no\n"
			   "flow_detail: 3\n"
			   "listen_host: 127.0.0.1\n"
			   "listen_port: 8443\n"
			   "stream_large_bodies: 512k\n"
			   "body_size_limit: 10m\n"
			   "connection_strategy: lazy\n"
			   "termlog_verbosity: debug\n"
			   "proxyauth: \"alice:secret\"\n"
			   "onboarding_host: 'setup.example'\n"
			   "ssl_verify_upstream_trusted_ca: ~\n"),
	     true);
	assert_int_equal(l.rc, 1);
	assert_true(l.o.keep_host_header);
	assert_false(l.o.block_global);
	assert_int_equal(l.o.flow_detail, 3);
	assert_string_equal(l.o.listen_host, "127.0.0.1");
	assert_int_equal(l.o.listen_port, 8443);
	assert_int_equal(l.o.stream_large_bodies, 512 * 1024);
	assert_int_equal(l.o.body_size_limit, 10 << 20);
	assert_int_equal(l.o.connection_strategy, STRATEGY_LAZY);
	assert_string_equal(l.o.termlog_verbosity, "debug");
	assert_string_equal(l.o.proxyauth, "alice:secret");
	assert_string_equal(l.o.onboarding_host, "setup.example");
	assert_null(l.o.ssl_verify_upstream_trusted_ca);
	assert_int_equal(l.modes.n, 0);
	unload(&l);
	load(&l, put("t.yaml", "stream_large_bodies: ~\nlisten_host:\nproxyauth: null\n"), true);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.o.stream_large_bodies, -1);
	assert_string_equal(l.o.listen_host, "");
	assert_null(l.o.proxyauth);
	unload(&l);
}

static void test_lists(void **state)
{
	struct loaded l;

	load(&l,
	     put("l.yaml", "ignore_hosts: [\"^a\\\\.com:443$\", b]\n"
			   "tcp_hosts:\n"
			   "  - one\n"
			   "  - two\n"
			   "  - three\n"
			   "udp_hosts: single\n"
			   "allow_hosts: []\n"
			   "dns_name_servers: null\n"),
	     true);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.o.ignore_hosts.n, 2);
	assert_string_equal(l.o.ignore_hosts.v[0], "^a\\.com:443$");
	assert_string_equal(l.o.ignore_hosts.v[1], "b");
	assert_int_equal(l.o.tcp_hosts.n, 3);
	assert_string_equal(l.o.tcp_hosts.v[2], "three");
	assert_int_equal(l.o.udp_hosts.n, 1);
	assert_string_equal(l.o.udp_hosts.v[0], "single");
	assert_int_equal(l.o.allow_hosts.n, 0);
	assert_int_equal(l.o.dns_name_servers.n, 0);
	unload(&l);
}

/* A list in the file replaces what the struct held (like a fresh --set list). */
static void test_list_replaces(void **state)
{
	struct loaded l;
	char err[256];

	options_init(&l.o);
	memset(&l.modes, 0, sizeof(l.modes));
	assert_int_equal(options_set(&l.o, "tcp_hosts=old", err, sizeof(err)), 0);
	l.rc = conffile_load(put("r.yaml", "tcp_hosts: [new]\n"), true, &l.o, &l.modes, l.err,
			     sizeof(l.err));
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.o.tcp_hosts.n, 1);
	assert_string_equal(l.o.tcp_hosts.v[0], "new");
	unload(&l);
}

static void test_modes(void **state)
{
	struct loaded l;

	load(&l,
	     put("m.yaml", "mode: [regular, \"socks5@1080\", \"reverse:https://x.test@443\"]\n"),
	     true);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.modes.n, 3);
	assert_string_equal(l.modes.v[0], "regular");
	assert_string_equal(l.modes.v[1], "socks5@1080");
	assert_string_equal(l.modes.v[2], "reverse:https://x.test@443");
	unload(&l);
	load(&l, put("m.yaml", "mode: socks5\n"), true);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.modes.n, 1);
	assert_string_equal(l.modes.v[0], "socks5");
	unload(&l);
	bad("flow_detail: 2\nmode:\n  - regular\n  - flibbel\n",
	    "4: mode: Invalid proxy mode specification: flibbel (unknown mode)");
}

static void test_errors(void **state)
{
	bad("flow_detail: 2\n\nfrob: 1\n", "3: frob: unknown option (see snare --options)");
	bad("flow_detail: 9\n",
	    "1: flow_detail: Invalid value for flow_detail: 9 (expected an integer 0..4)");
	bad("ssl_insecure: maybe\n",
	    "1: ssl_insecure: Invalid value for ssl_insecure: maybe (expected true or false)");
	bad("connection_strategy: fast\n",
	    "1: connection_strategy: Invalid value for "
	    "connection_strategy: fast (expected one of eager, lazy)");
	bad("keep_host_header:\n", "1: keep_host_header: missing value (see snare --options)");
	bad("tcp_hosts: [a, ~]\n", "1: tcp_hosts: missing value (see snare --options)");
	bad("proxyauth: ldap:x\n",
	    "1: proxyauth: Invalid proxyauth specification: LDAP is not supported.");
	bad("flow_detail: [1, 2]\n", "1: flow_detail: expected a single value, not a list");
	bad("flow_detail: {a: 1}\n", "1: flow_detail: expected a value or a list, not a mapping");
	bad("tcp_hosts: [a, [b]]\n", "1: tcp_hosts: expected a single value, not a list");
	bad("showhost: true\nshowhost: false\n", "2: showhost: set twice in this file");
	bad("mode: regular\nmode: socks5\n", "2: mode: set twice in this file");
	bad("- flow_detail\n", "1: (top level): expected a mapping of option names to values");
	bad("[a]: 1\n", "1: (key): expected an option name");
	bad("flow_detail: 1\n---\nflow_detail: 2\n",
	    "3: (document): only one YAML document is allowed");
	bad("onboarding_host: \"a\\0b\"\n", "1: onboarding_host: value contains a NUL byte");
}

static void test_syntax(void **state)
{
	struct loaded l;
	char want[256];
	const char *path = put("s.yaml", "flow_detail: 1\nshowhost: true\n  tcp_hosts: [a\n");

	load(&l, path, true);
	assert_int_equal(l.rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:3: YAML syntax error: ", path);
	assert_memory_equal(l.err, want, strlen(want));
	unload(&l);
	path = put("s.yaml", "a: 1\nb: \"x\n");
	load(&l, path, true);
	assert_int_equal(l.rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:3: YAML syntax error: ", path);
	assert_memory_equal(l.err, want, strlen(want));
	unload(&l);
	/* Invalid UTF-8 is a reader error: the line comes from the byte offset. */
	path = put("s.yaml", "a: 1\nb: 2\nc: \xff\n");
	load(&l, path, true);
	assert_int_equal(l.rc, -EINVAL);
	snprintf(want, sizeof(want), "%s:3: YAML syntax error: ", path);
	assert_memory_equal(l.err, want, strlen(want));
	unload(&l);
}

static void test_empty_and_missing(void **state)
{
	struct loaded l;
	char want[256], path[128];

	load(&l, put("e.yaml", "# nothing yet\n"), true);
	assert_int_equal(l.rc, 1);
	assert_int_equal(l.o.flow_detail, 1);
	unload(&l);
	load(&l, put("e.yaml", ""), true);
	assert_int_equal(l.rc, 1);
	unload(&l);
	load(&l, "/dev/null", true);
	assert_int_equal(l.rc, 1);
	unload(&l);
	snprintf(path, sizeof(path), "%s/absent.yaml", tmpdir);
	load(&l, path, false);
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.err, "");
	unload(&l);
	load(&l, path, true);
	assert_int_equal(l.rc, -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(l.err, want);
	unload(&l);
	load(&l, tmpdir, true); /* a directory */
	assert_true(l.rc < 0);
	unload(&l);
}

static void test_too_large(void **state)
{
	struct loaded l;
	size_t n = CONFFILE_MAX_BYTES + 1;
	char *big = malloc(n);
	const char *path;

	assert_non_null(big);
	memset(big, '#', n);
	path = put_n("big.yaml", big, n);
	free(big);
	load(&l, path, true);
	assert_int_equal(l.rc, -EFBIG);
	assert_non_null(strstr(l.err, "larger than"));
	unload(&l);
}

/* ---- through cli_parse ---- */

#define MAXARGS 16
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int parse(struct cli *c, char *err, size_t errlen, const char *const *args)
{
	char *argv[MAXARGS + 2] = {(char *)"snare"};
	int argc = 1;

	while (*args && argc <= MAXARGS)
		argv[argc++] = unconst(*args++);
	err[0] = '\0';
	return cli_parse(argc, argv, c, err, errlen);
}

static void ok(struct cli *c, const char *const *args)
{
	char err[512];

	if (parse(c, err, sizeof(err), args) != 0)
		fail_msg("rejected: %s", err);
}

static const char *conf_text = "mode: [\"socks5@1081\", \"regular@8081\"]\n"
			       "flow_detail: 3\n"
			       "showhost: true\n"
			       "ignore_hosts: [a, b]\n"
			       "tcp_hosts: [t]\n"
			       "listen_host: 127.0.0.1\n";

static void test_cli_precedence(void **state)
{
	struct cli c;
	char conf[256];

	snprintf(conf, sizeof(conf), "%s", put("c.yaml", conf_text));
	ok(&c, ARGS("--conf", conf));
	assert_int_equal(c.nmodes, 2);
	assert_string_equal(c.modes[0].full, "socks5@1081");
	assert_string_equal(c.modes[1].full, "regular@8081");
	assert_int_equal(c.opts.flow_detail, 3);
	assert_true(c.opts.showhost);
	assert_int_equal(c.opts.ignore_hosts.n, 2);
	assert_string_equal(c.conf, conf);
	cli_free(&c);

	ok(&c, ARGS("--flow-detail", "2", "--set", "ignore_hosts=c", "--mode", "dns@5353", "--conf",
		    conf, "--set", "showhost=false", "-w", "out.flows"));
	assert_int_equal(c.nmodes, 1); /* --mode replaces the file's modes */
	assert_string_equal(c.modes[0].full, "dns@5353");
	assert_int_equal(c.opts.flow_detail, 2);
	assert_false(c.opts.showhost);
	assert_int_equal(c.opts.ignore_hosts.n, 1); /* the command line's list wins */
	assert_string_equal(c.opts.ignore_hosts.v[0], "c");
	assert_int_equal(c.opts.tcp_hosts.n, 1); /* untouched: from the file */
	assert_string_equal(c.opts.tcp_hosts.v[0], "t");
	assert_string_equal(c.opts.listen_host, "127.0.0.1");
	assert_string_equal(c.wfile, "out.flows");
	cli_free(&c);

	ok(&c, ARGS("-q", "--conf", conf)); /* -q still overrides flow_detail */
	assert_int_equal(c.opts.flow_detail, 0);
	assert_int_equal(c.verbosity, -1);
	cli_free(&c);
}

static void test_cli_default_path(void **state)
{
	struct cli c;
	char dir[128], home[160], *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	snprintf(dir, sizeof(dir), "%s/cd", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put("cd/config.yaml", "flow_detail: 4\n");
	ok(&c, ARGS("--set", "confdir=no-such-dir", "--set", "showhost")); /* absent: no file */
	assert_int_equal(c.opts.flow_detail, 1);
	cli_free(&c);
	snprintf(home, sizeof(home), "confdir=%s", dir);
	ok(&c, ARGS("--set", home));
	assert_int_equal(c.opts.flow_detail, 4);
	assert_null(c.conf);
	cli_free(&c);

	/* ~/.snare/config.yaml with HOME pointing at tmpdir. */
	snprintf(dir, sizeof(dir), "%s/.snare", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put(".snare/config.yaml", "flow_detail: 2\n");
	assert_int_equal(setenv("HOME", tmpdir, 1), 0);
	ok(&c, ARGS(NULL));
	assert_int_equal(c.opts.flow_detail, 2);
	cli_free(&c);
	ok(&c, ARGS("--role", "worker")); /* re-executed roles never read it */
	assert_int_equal(c.opts.flow_detail, 1);
	cli_free(&c);
	put(".snare/config.yaml", "flow_detail: x\n");
	ok(&c, ARGS("--version")); /* nor do --version, --help, --options */
	cli_free(&c);
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
}

static void test_cli_errors(void **state)
{
	struct cli c;
	char err[512], want[512], path[128];

	snprintf(path, sizeof(path), "%s/none.yaml", tmpdir);
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(parse(&c, err, sizeof(err), ARGS("--conf", path)), -EINVAL);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_null(c.modes);
	assert_null(c.conf);

	snprintf(path, sizeof(path), "%s", put("e.yaml", "showhost: true\nflow_detail: high\n"));
	assert_int_equal(parse(&c, err, sizeof(err), ARGS("-v", "--conf", path)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: flow_detail: Invalid value for flow_detail: high (expected an integer "
		 "0..4)",
		 path);
	assert_string_equal(err, want);
	assert_null(c.modes);

	/* The file's modes are checked together with the options like --mode. */
	snprintf(path, sizeof(path), "%s", put("e.yaml", "mode: [regular, regular]\n"));
	assert_int_equal(parse(&c, err, sizeof(err), ARGS("--conf", path)), -EINVAL);
	assert_string_equal(err, "Cannot spawn multiple servers on the same address: *:8080");
	cli_free(&c);
}

static void test_usage(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conffile_usage(f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, CONFFILE_SYSTEM));
	assert_non_null(strstr(buf, "mode:"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_list_replaces),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_empty_and_missing),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_cli_precedence),
	    cmocka_unit_test(test_cli_default_path),
	    cmocka_unit_test(test_cli_errors),
	    cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
