/* Unit tests for the command line (config module): every mitmdump flag snare
 * takes, both "--opt value" and "--opt=value", the one-line errors, and the
 * multi-mode check run after parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/unconst.h"
#include "config/cli.h"

#define MAXARGS 16

/* Parses the NULL-terminated args after a fake argv[0]. */
static int parse(struct cli *c, char *err, size_t errlen, const char *const *args)
{
	char *argv[MAXARGS + 2] = {(char *)"snare"};
	int argc = 1;

	while (*args && argc <= MAXARGS)
		argv[argc++] = unconst(*args++);
	err[0] = '\0';
	return cli_parse(argc, argv, c, err, errlen);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void ok(struct cli *c, const char *const *args)
{
	char err[512];

	if (parse(c, err, sizeof(err), args) != 0)
		fail_msg("rejected: %s", err);
}

static void bad(const char *msg, const char *const *args)
{
	struct cli c;
	char err[512];

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(parse(&c, err, sizeof(err), args), -EINVAL);
	assert_string_equal(err, msg);
	assert_null(c.modes); /* freed and zeroed */
	assert_int_equal(c.nmodes, 0);
	cli_free(&c); /* safe twice */
}

#define OK(c, ...) ok(c, ARGS(__VA_ARGS__))
#define BAD(msg, ...) bad(msg, ARGS(__VA_ARGS__))

/* Positional arguments form one filter expression, as in mitmdump; it sets
 * the three filters ("--" ends the options, "-" is a word). */
static void test_filter_args(void **state)
{
	struct cli c;

	OK(&c, "-q", "~d", "example.com", "-p", "8081", "&", "!~c", "200");
	assert_string_equal(c.filter, "~d example.com & !~c 200");
	assert_string_equal(c.opts.dumper_filter, "~d example.com & !~c 200");
	assert_string_equal(c.opts.save_stream_filter, "~d example.com & !~c 200");
	assert_string_equal(c.opts.readfile_filter, "~d example.com & !~c 200");
	assert_int_equal(c.opts.listen_port, 8081);
	cli_free(&c);
	OK(&c, "--", "-x", "--y");
	assert_string_equal(c.filter, "-x --y");
	cli_free(&c);
	OK(&c, "-");
	assert_string_equal(c.filter, "-");
	cli_free(&c);
	OK(&c, "--set", "dumper_filter=~q", "--set", "hardump=out.har");
	assert_null(c.filter);
	assert_string_equal(c.opts.dumper_filter, "~q");
	assert_null(c.opts.save_stream_filter);
	assert_string_equal(c.opts.hardump, "out.har");
	cli_free(&c);
}

static void test_defaults(void **state)
{
	struct cli c;

	ok(&c, ARGS(NULL));
	assert_int_equal(c.action, CLI_RUN);
	assert_int_equal(c.nmodes, 1);
	assert_int_equal(c.modes[0].kind, MODE_REGULAR);
	assert_string_equal(c.modes[0].full, "regular");
	assert_int_equal(c.verbosity, 0);
	assert_int_equal(c.opts.flow_detail, 1);
	assert_true(c.opts.server);
	assert_null(c.wfile);
	assert_null(c.rfile);
	assert_null(c.role);
	assert_null(c.conf);
	cli_free(&c);
}

static void test_modes(void **state)
{
	struct cli c;

	OK(&c, "--mode", "socks5", "-m", "dns@5353", "--mode=reverse:https://example.com@8443",
	   "-mwireguard");
	assert_int_equal(c.nmodes, 4);
	assert_int_equal(c.modes[0].kind, MODE_SOCKS5);
	assert_int_equal(c.modes[1].kind, MODE_DNS);
	assert_int_equal(c.modes[1].listen_port, 5353);
	assert_int_equal(c.modes[2].kind, MODE_REVERSE);
	assert_string_equal(c.modes[2].server.host, "example.com");
	assert_int_equal(c.modes[3].kind, MODE_WIREGUARD);
	cli_free(&c);

	OK(&c, "--set", "mode=socks5", "--set=mode=transparent@9000");
	assert_int_equal(c.nmodes, 2);
	assert_int_equal(c.modes[1].kind, MODE_TRANSPARENT);
	cli_free(&c);

	OK(&c, "--mode", "socks5", "--set", "mode");
	assert_int_equal(c.nmodes, 1);
	assert_int_equal(c.modes[0].kind, MODE_REGULAR);
	cli_free(&c);
}

static void test_listen_flags(void **state)
{
	struct cli c;

	OK(&c, "-p", "9090", "--listen-host", "127.0.0.1");
	assert_int_equal(c.opts.listen_port, 9090);
	assert_string_equal(c.opts.listen_host, "127.0.0.1");
	cli_free(&c);
	OK(&c, "-p9091", "--listen-host=::1");
	assert_int_equal(c.opts.listen_port, 9091);
	assert_string_equal(c.opts.listen_host, "::1");
	cli_free(&c);
	OK(&c, "--listen-port=9092");
	assert_int_equal(c.opts.listen_port, 9092);
	cli_free(&c);
}

static void test_set(void **state)
{
	struct cli c;

	OK(&c, "--set", "block_global=false", "--set=ignore_hosts=a", "--set", "ignore_hosts=b",
	   "--set", "showhost");
	assert_false(c.opts.block_global);
	assert_int_equal(c.opts.ignore_hosts.n, 2);
	assert_string_equal(c.opts.ignore_hosts.v[1], "b");
	assert_true(c.opts.showhost);
	cli_free(&c);
}

static void test_verbosity(void **state)
{
	struct cli c;

	OK(&c, "-q");
	assert_int_equal(c.verbosity, -1);
	assert_int_equal(c.opts.flow_detail, 0);
	assert_string_equal(c.opts.termlog_verbosity, "error");
	cli_free(&c);
	OK(&c, "--quiet", "--flow-detail", "3");
	assert_int_equal(c.opts.flow_detail, 0); /* mitmdump: -q wins */
	cli_free(&c);
	OK(&c, "-v", "--verbose");
	assert_int_equal(c.verbosity, 2);
	assert_int_equal(c.opts.flow_detail, 2);
	assert_string_equal(c.opts.termlog_verbosity, "debug");
	cli_free(&c);
	OK(&c, "-vvv", "-q");
	assert_int_equal(c.verbosity, 3);
	cli_free(&c);
	OK(&c, "--flow-detail=4");
	assert_int_equal(c.opts.flow_detail, 4);
	assert_int_equal(c.verbosity, 0);
	cli_free(&c);
}

static void test_files(void **state)
{
	struct cli c;

	OK(&c, "-w", "+out.flows", "-r", "in.flows", "--conf", "/dev/null");
	assert_string_equal(c.wfile, "out.flows");
	assert_true(c.wappend);
	assert_string_equal(c.rfile, "in.flows");
	assert_string_equal(c.conf, "/dev/null");
	cli_free(&c);
	OK(&c, "-wout", "--rfile=x", "--save-stream-file", "y");
	assert_string_equal(c.wfile, "y");
	assert_false(c.wappend);
	assert_string_equal(c.rfile, "x");
	cli_free(&c);
}

static void test_switches(void **state)
{
	struct cli c;

	OK(&c, "-n", "-k", "--showhost", "--proxyauth", "any", "--upstream-auth=u:p",
	   "--ignore-hosts", "i", "--allow-hosts", "a", "--tcp-hosts", "t");
	assert_false(c.opts.server);
	assert_true(c.opts.ssl_insecure);
	assert_true(c.opts.showhost);
	assert_string_equal(c.opts.proxyauth, "any");
	assert_string_equal(c.opts.upstream_auth, "u:p");
	assert_string_equal(c.opts.ignore_hosts.v[0], "i");
	assert_string_equal(c.opts.allow_hosts.v[0], "a");
	assert_string_equal(c.opts.tcp_hosts.v[0], "t");
	cli_free(&c);
	OK(&c, "-nk", "--server", "--no-server", "--ssl-insecure");
	assert_false(c.opts.server);
	assert_true(c.opts.ssl_insecure);
	cli_free(&c);
}

static void test_role(void **state)
{
	struct cli c;

	OK(&c, "--role", "worker");
	assert_string_equal(c.role, "worker");
	cli_free(&c);
	OK(&c, "--role=ca");
	assert_string_equal(c.role, "ca");
	cli_free(&c);
	BAD("invalid role: root", "--role", "root");
}

static void test_errors(void **state)
{
	BAD("unrecognized option: --frob", "--frob");
	BAD("unrecognized option: --frob", "--frob=1");
	BAD("unrecognized option: -z", "-z");
	BAD("unrecognized option: -z", "-qz");
	BAD("Invalid filter expression: ~x: unknown operator at column 1", "~x");
	BAD("Invalid filter expression: (: not closed at column 1", "(", "~q");
	BAD("Invalid filter expression: end of expression: empty filter expression at column 1",
	    "--", "");
	BAD("Invalid filter expression: end of expression: operand expected at column 2", "--set",
	    "save_stream_filter=!");
	BAD("Invalid filter expression: ~c: needs a number at column 1", "--set",
	    "dumper_filter=~c");
	BAD("option --mode requires an argument", "--mode");
	BAD("option -m requires an argument", "-m");
	BAD("option --quiet does not take an argument", "--quiet=1");
	BAD("option -w requires a file name", "-w", "+");
	BAD("Invalid proxy mode specification: flibbel (unknown mode)", "--mode", "flibbel");
	BAD("Invalid proxy mode specification: regular@x (invalid port: x)", "-m", "socks5", "-m",
	    "regular@x");
	BAD("Unknown option: foo", "--set", "foo=1");
	BAD("Invalid value for listen_port: x (expected an integer -1..65535)", "-p", "x");
	BAD("Invalid value for flow_detail: 9 (expected an integer 0..4)", "--flow-detail", "9");
	BAD("Invalid proxyauth specification.", "--proxyauth", "nope");
	BAD("Invalid upstream auth specification: x", "--upstream-auth", "x");
}

static void test_conflicts(void **state)
{
	BAD("Cannot spawn multiple servers on the same address: *:8080", "--mode", "regular",
	    "--mode", "regular");
	BAD("Cannot spawn multiple servers on the same address: *:8080", "--mode", "regular@8080",
	    "--mode", "socks5@8080");
	BAD("Cannot spawn multiple servers on the same address: *:53", "--mode", "dns@53", "--mode",
	    "reverse:dns://x@53");
	BAD("Cannot spawn multiple servers on the same address: *:9000", "-p", "9000", "--mode",
	    "regular", "--mode", "socks5");
	BAD("Cannot spawn multiple servers on the same address: 127.0.0.1:8080", "--listen-host",
	    "127.0.0.1", "--mode", "regular", "--mode", "socks5@8080");
	BAD("Cannot spawn more than one local redirector.", "--mode", "local:curl", "--mode",
	    "local:wget");
	/* the check runs on the effective listen options, wherever they appear */
	BAD("Cannot spawn multiple servers on the same address: *:9000", "--mode", "regular",
	    "--mode", "socks5", "-p", "9000");
}

static void test_no_conflicts(void **state)
{
	struct cli c;

	OK(&c, "--mode", "regular@127.0.0.1:8080", "--mode", "regular@127.0.0.2:8080");
	cli_free(&c);
	OK(&c, "--mode", "regular", "--mode", "socks5", "--mode", "wireguard@8080");
	cli_free(&c);
	OK(&c, "-p", "8080", "--mode", "regular", "--mode", "local", "--mode", "tun");
	assert_int_equal(c.nmodes, 3);
	cli_free(&c);
}

/* Runs cli_parse with stdout redirected; returns what it printed. */
static char *capture(const char *const *args, struct cli *c)
{
	char err[256], *out;
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	long len;

	assert_non_null(tmp);
	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	assert_int_equal(parse(c, err, sizeof(err), args), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = ftell(tmp);
	assert_true(len >= 0);
	out = calloc(1, (size_t)len + 1);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
	fclose(tmp);
	return out;
}

static void test_version(void **state)
{
	struct cli c;
	char *out = capture(ARGS("--version"), &c);

	assert_int_equal(c.action, CLI_EXIT_OK);
	assert_string_equal(out, "snare " SNARE_VERSION "\n");
	free(out);
	cli_free(&c);
}

static void test_help(void **state)
{
	static const char *const want[] = {
	    "--mode SPEC",
	    "-p, --listen-port PORT",
	    "--set NAME[=VALUE]",
	    "-q, --quiet",
	    "-w, --save-stream-file [+]FILE",
	    "-k, --ssl-insecure",
	    "--version",
	    "-h, --help",
	    "\n  regular ",
	    "\n  transparent ",
	    "\n  upstream:URL ",
	    "\n  reverse:URL ",
	    "\n  socks5 ",
	    "\n  dns ",
	    "\n  wireguard[:PATH] ",
	    "\n  local[:SPEC] ",
	    "\n  tun[:NAME] ",
	};
	struct cli c;
	char *out = capture(ARGS("--help", "--frob"), &c);
	size_t i;

	assert_int_equal(c.action, CLI_EXIT_OK);
	assert_int_equal(strncmp(out, "usage: snare", 12), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(out, want[i]) == NULL)
			fail_msg("help lacks \"%s\"", want[i]);
	assert_null(strstr(out, "--role"));
	free(out);
	cli_free(&c);
	out = capture(ARGS("-h"), &c);
	assert_int_equal(strncmp(out, "usage: snare", 12), 0);
	free(out);
	cli_free(&c);
	BAD("unrecognized option: --frob", "--frob", "--help");
}

static void test_options_flag(void **state)
{
	struct cli c;
	char *out = capture(ARGS("--options"), &c);

	assert_int_equal(c.action, CLI_EXIT_OK);
	assert_non_null(strstr(out, "\nblock_global "));
	assert_non_null(strstr(out, "\nstream_large_bodies "));
	free(out);
	cli_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_listen_flags), cmocka_unit_test(test_set),
	    cmocka_unit_test(test_verbosity),	 cmocka_unit_test(test_files),
	    cmocka_unit_test(test_switches),	 cmocka_unit_test(test_role),
	    cmocka_unit_test(test_errors),	 cmocka_unit_test(test_filter_args),
	    cmocka_unit_test(test_conflicts),	 cmocka_unit_test(test_no_conflicts),
	    cmocka_unit_test(test_version),	 cmocka_unit_test(test_help),
	    cmocka_unit_test(test_options_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
