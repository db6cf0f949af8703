/* Unit tests for the option table (config module): defaults, every type's
 * parser and its one-line errors, the auth syntax checks, and the exact
 * round trip through options_foreach_set that workers rely on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"

static int setup(void **state)
{
	setenv("HOME", "/home/tester", 1);
	return 0;
}

static void set_ok(struct options *o, const char *nv)
{
	char err[256] = "";

	if (options_set(o, nv, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", nv, err);
}

static void set_err(struct options *o, const char *nv, const char *msg)
{
	char err[256] = "";

	if (options_set(o, nv, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", nv);
	assert_string_equal(err, msg);
}

static void test_defaults(void **state)
{
	struct options o;

	options_init(&o);
	assert_string_equal(o.listen_host, "");
	assert_int_equal(o.listen_port, -1);
	assert_string_equal(o.confdir, "/home/tester/.snare");
	assert_int_equal(o.flow_detail, 1);
	assert_string_equal(o.termlog_verbosity, "info");
	assert_false(o.keep_host_header);
	assert_int_equal(o.ignore_hosts.n + o.allow_hosts.n + o.tcp_hosts.n + o.udp_hosts.n, 0);
	assert_int_equal(o.dns_name_servers.n, 0);
	assert_true(o.dns_use_hosts_file);
	assert_int_equal(o.connection_strategy, STRATEGY_EAGER);
	assert_false(o.ssl_insecure);
	assert_null(o.ssl_verify_upstream_trusted_ca);
	assert_null(o.proxyauth);
	assert_null(o.upstream_auth);
	assert_true(o.block_global);
	assert_false(o.block_private);
	assert_false(o.showhost);
	assert_true(o.onboarding);
	assert_string_equal(o.onboarding_host, "mitm.it");
	assert_int_equal(o.stream_large_bodies, 1024 * 1024);
	assert_int_equal(o.body_size_limit, -1);
	assert_true(o.rawtcp && o.websocket && o.http2 && o.upstream_cert);
	assert_false(o.show_ignored_hosts);
	assert_true(o.http_connect_send_host_header);
	assert_int_equal(o.workers, 0);
	assert_string_equal(o.user, "nobody");
	assert_int_equal(o.leaf_key, LEAF_KEY_ECDSA_P256);
	assert_int_equal(o.key_size, 2048);
	assert_int_equal(o.tcp_timeout, 600);
	assert_int_equal(o.quic_idle_timeout, 30);
	assert_int_equal(o.header_timeout, 60);
	assert_int_equal(o.max_connections, 8192);
	assert_int_equal(o.max_connections_per_source, 4096);
	assert_int_equal(o.udp_reply_rate, 100);
	assert_true(o.server && o.wireguard_qr);
	assert_int_equal(o.max_header_bytes, 65536);
	assert_int_equal(o.max_headers, 100);
	options_free(&o);
}

static void test_bools(void **state)
{
	static const char *const yes[] = {"true", "True", "yes", "1", "on", "ON"};
	static const char *const no[] = {"false", "FALSE", "no", "0", "off"};
	struct options o;
	char buf[64];
	size_t i;

	options_init(&o);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		o.ssl_insecure = false;
		snprintf(buf, sizeof(buf), "ssl_insecure=%s", yes[i]);
		set_ok(&o, buf);
		assert_true(o.ssl_insecure);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(buf, sizeof(buf), "block_global=%s", no[i]);
		o.block_global = true;
		set_ok(&o, buf);
		assert_false(o.block_global);
	}
	set_ok(&o, "showhost");
	assert_true(o.showhost);
	set_ok(&o, "showhost=toggle");
	assert_false(o.showhost);
	set_err(&o, "showhost=maybe", "Invalid value for showhost: maybe (expected true or false)");
	set_err(&o, "showhost=", "Invalid value for showhost:  (expected true or false)");
	options_free(&o);
}

static void test_ints(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "flow_detail=4");
	assert_int_equal(o.flow_detail, 4);
	set_ok(&o, "listen_port=0");
	assert_int_equal(o.listen_port, 0);
	set_ok(&o, "listen_port");
	assert_int_equal(o.listen_port, -1);
	set_ok(&o, "workers=+8");
	assert_int_equal(o.workers, 8);
	set_err(&o, "flow_detail=x", "Invalid value for flow_detail: x (expected an integer 0..4)");
	set_err(&o, "flow_detail=5", "Invalid value for flow_detail: 5 (expected an integer 0..4)");
	set_err(&o, "flow_detail= 1",
		"Invalid value for flow_detail:  1 (expected an integer 0..4)");
	set_err(&o, "flow_detail=1x",
		"Invalid value for flow_detail: 1x (expected an integer 0..4)");
	set_err(&o, "listen_port=65536",
		"Invalid value for listen_port: 65536 (expected an integer -1..65535)");
	set_err(&o, "tcp_timeout=99999999999999999999999",
		"Invalid value for tcp_timeout: 99999999999999999999999 (expected an integer "
		"1..86400)");
	set_err(&o, "workers", "Missing value for workers (expected an integer 0..1024)");
	assert_int_equal(o.flow_detail, 4); /* unchanged by the errors */
	options_free(&o);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		long long v;
	} ok[] = {
	    {"0", 0},
	    {"1024", 1024},
	    {"1b", 1},
	    {"512k", 512 << 10},
	    {"1m", 1 << 20},
	    {"10g", 10LL << 30},
	    {"2t", 2LL << 40},
	    {"3M", 3 << 20},
	    {"8388607t", 8388607LL << 40},
	};
	static const char *const bad[] = {
	    "", "m", "1.5m", "-1", "k1", "1mb", "1 m", "8388608t", "99999999999999999999", "1x"};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -2;
		assert_int_equal(options_parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (options_parse_size(bad[i], &v) != -EINVAL)
			fail_msg("accepted size %s", bad[i]);
}

static void test_size_options(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "body_size_limit=3m");
	assert_int_equal(o.body_size_limit, 3 << 20);
	set_ok(&o, "body_size_limit=none");
	assert_int_equal(o.body_size_limit, -1);
	set_ok(&o, "stream_large_bodies=512k");
	assert_int_equal(o.stream_large_bodies, 512 << 10);
	set_ok(&o, "stream_large_bodies");
	assert_int_equal(o.stream_large_bodies, -1);
	set_err(&o, "stream_large_bodies=1x",
		"Invalid value for stream_large_bodies: 1x (expected "
		"a size such as 1024, 512k, 1m or 10g, or none)");
	options_free(&o);
}

static void test_lists(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "ignore_hosts=^example\\.com:443$");
	set_ok(&o, "ignore_hosts=a=b");
	assert_int_equal(o.ignore_hosts.n, 2);
	assert_string_equal(o.ignore_hosts.v[0], "^example\\.com:443$");
	assert_string_equal(o.ignore_hosts.v[1], "a=b");
	set_ok(&o, "ignore_hosts");
	assert_int_equal(o.ignore_hosts.n, 0);
	set_ok(&o, "dns_name_servers=1.1.1.1");
	assert_int_equal(o.dns_name_servers.n, 1);
	options_free(&o);
}

static void test_choices(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "connection_strategy=lazy");
	assert_int_equal(o.connection_strategy, STRATEGY_LAZY);
	set_ok(&o, "leaf_key=rsa2048");
	assert_int_equal(o.leaf_key, LEAF_KEY_RSA2048);
	set_ok(&o, "termlog_verbosity=debug");
	assert_string_equal(o.termlog_verbosity, "debug");
	set_err(&o, "connection_strategy=fast",
		"Invalid value for connection_strategy: fast (expected one of eager, lazy)");
	set_err(&o, "connection_strategy=eag",
		"Invalid value for connection_strategy: eag (expected one of eager, lazy)");
	set_err(&o, "leaf_key=", "Invalid value for leaf_key:  (expected one of ecdsa, rsa2048)");
	set_err(&o, "termlog_verbosity=loud",
		"Invalid value for termlog_verbosity: loud (expected "
		"one of error, warn, info, debug)");
	assert_int_equal(o.connection_strategy, STRATEGY_LAZY);
	options_free(&o);
}

static void test_strings(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "confdir=~/elsewhere");
	assert_string_equal(o.confdir, "/home/tester/elsewhere");
	set_ok(&o, "listen_host=127.0.0.1");
	assert_string_equal(o.listen_host, "127.0.0.1");
	set_ok(&o, "listen_host=");
	assert_string_equal(o.listen_host, "");
	set_ok(&o, "ssl_verify_upstream_trusted_ca=/etc/ca.pem");
	assert_string_equal(o.ssl_verify_upstream_trusted_ca, "/etc/ca.pem");
	set_ok(&o, "ssl_verify_upstream_trusted_ca=");
	assert_null(o.ssl_verify_upstream_trusted_ca);
	set_err(&o, "user", "Missing value for user (expected a string)");
	options_free(&o);
}

static void test_unknown(void **state)
{
	struct options o;
	char err[128];

	options_init(&o);
	set_err(&o, "foo=bar", "Unknown option: foo");
	set_err(&o, "foo", "Unknown option: foo");
	set_err(&o, "=x", "Unknown option: ");
	set_err(&o, "mode=regular", "Unknown option: mode");
	assert_int_equal(options_set_kv(&o, "Block_Global", "true", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Unknown option: Block_Global");
	set_err(&o, "a_very_long_option_name_that_does_not_fit_into_the_name_buffer_at_all=1",
		"Unknown option: a_very_long_option_name_that_does_not_fit_into_the_name_buffer_"
		"at_all");
	options_free(&o);
}

static void test_proxyauth(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "proxyauth=user:pass");
	assert_string_equal(o.proxyauth, "user:pass");
	set_ok(&o, "proxyauth=any");
	set_ok(&o, "proxyauth=@/etc/htpasswd");
	assert_string_equal(o.proxyauth, "@/etc/htpasswd");
	set_ok(&o, "proxyauth=");
	assert_null(o.proxyauth);
	set_err(&o, "proxyauth=nope", "Invalid proxyauth specification.");
	set_err(&o, "proxyauth=@", "Invalid proxyauth specification.");
	set_err(&o, "proxyauth=a:b:c", "Invalid single-user auth specification.");
	set_err(&o, "proxyauth=ldaps:localhost:cn=x:pw:ou=y",
		"Invalid proxyauth specification: LDAP is not supported.");
	assert_null(o.proxyauth);
	options_free(&o);
}

static void test_upstream_auth(void **state)
{
	struct options o;

	options_init(&o);
	set_ok(&o, "upstream_auth=user:pass");
	assert_string_equal(o.upstream_auth, "user:pass");
	set_ok(&o, "upstream_auth=u:");
	set_ok(&o, "upstream_auth=:x:y");
	set_err(&o, "upstream_auth=nocolon", "Invalid upstream auth specification: nocolon");
	set_err(&o, "upstream_auth=:pass", "Invalid upstream auth specification: :pass");
	set_ok(&o, "upstream_auth");
	assert_null(o.upstream_auth);
	options_free(&o);
}

static void test_value_too_long(void **state)
{
	struct options o;
	char err[128], *v = malloc(70000);

	memset(v, 'a', 69999);
	v[69999] = '\0';
	options_init(&o);
	assert_int_equal(options_set_kv(&o, "user", v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Value for user too long (at most 65536 bytes)");
	assert_string_equal(o.user, "nobody");
	options_free(&o);
	free(v);
}

static void test_expand_home(void **state)
{
	char *s;

	s = options_expand_home("~/a/b");
	assert_string_equal(s, "/home/tester/a/b");
	free(s);
	s = options_expand_home("~");
	assert_string_equal(s, "/home/tester");
	free(s);
	s = options_expand_home("~other/x");
	assert_string_equal(s, "~other/x");
	free(s);
	s = options_expand_home("/abs/~/x");
	assert_string_equal(s, "/abs/~/x");
	free(s);
	unsetenv("HOME");
	s = options_expand_home("~/a");
	assert_string_equal(s, "~/a");
	free(s);
	setenv("HOME", "/home/tester", 1);
}

struct pairs {
	char *text; /* "name=value\n" lines */
	size_t n;
};

static void collect(const char *name, const char *value, void *arg)
{
	struct pairs *p = arg;
	size_t old = p->text ? strlen(p->text) : 0;
	size_t add = strlen(name) + strlen(value) + 3;

	p->text = realloc(p->text, old + add);
	assert_non_null(p->text);
	snprintf(p->text + old, add, "%s=%s\n", name, value);
	p->n++;
}

static void test_foreach_defaults_empty(void **state)
{
	struct options o;
	struct pairs p = {NULL, 0};

	options_init(&o);
	options_foreach_set(&o, collect, &p);
	assert_int_equal(p.n, 0);
	options_free(&o);
}

static void rebuild(const char *text, struct options *o)
{
	char *copy = strdup(text), *line, *save = NULL, *eq;
	char err[256];

	options_init(o);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		eq = strchr(line, '=');
		assert_non_null(eq);
		*eq = '\0';
		if (options_set_kv(o, line, eq + 1, err, sizeof(err)) != 0)
			fail_msg("round trip rejected %s: %s", line, err);
	}
	free(copy);
}

static void test_round_trip(void **state)
{
	static const char *const sets[] = {
	    "listen_host=::1",
	    "listen_port=0",
	    "confdir=/tmp/x y",
	    "flow_detail=0",
	    "termlog_verbosity=warn",
	    "keep_host_header=yes",
	    "ignore_hosts=a",
	    "ignore_hosts=b=c",
	    "allow_hosts=x",
	    "tcp_hosts=t",
	    "udp_hosts=u",
	    "dns_use_hosts_file=false",
	    "dns_name_servers=9.9.9.9",
	    "connection_strategy=lazy",
	    "ssl_insecure=1",
	    "ssl_verify_upstream_trusted_ca=/ca.pem",
	    "proxyauth=@/h",
	    "upstream_auth=u:p:w",
	    "block_global=off",
	    "block_private=on",
	    "udp_reply_rate=7",
	    "showhost",
	    "onboarding=0",
	    "onboarding_host=onboard.test",
	    "stream_large_bodies=none",
	    "body_size_limit=5g",
	    "rawtcp=false",
	    "websocket=false",
	    "http2=false",
	    "http2_origin=true",
	    "upstream_cert=false",
	    "show_ignored_hosts=true",
	    "http_connect_send_host_header=false",
	    "workers=3",
	    "user=snare",
	    "leaf_key=rsa2048",
	    "key_size=4096",
	    "tcp_timeout=30",
	    "quic_idle_timeout=7",
	    "header_timeout=0",
	    "max_connections=100",
	    "max_connections_per_source=0",
	    "upstream_keepalive=5",
	    "upstream_keepalive_total=7",
	    "upstream_keepalive_timeout=9",
	    "server=false",
	    "wireguard_qr=false",
	    "max_header_bytes=2048",
	    "max_headers=7",
	    "transparent_ports=80,443",
	    "transparent_udp_ports=53,443",
	    "transparent_interfaces=eth0",
	    "transparent_local=true",
	    "http3=false",
	    "strip_ech=false",
	    "web=true",
	    "web_host=::1",
	    "web_port=9090",
	    "web_open_browser=false",
	    "web_static=/tmp/web",
	    "view_filter=~d view",
	    "dumper_filter=~q | ~s",
	    "save_stream_filter=!~c 200",
	    "readfile_filter=~http",
	    "hardump=/tmp/x.har",
	    "scripts=s.lua",
	    "modify_headers=/x-a/1",
	    "modify_body=/a/b",
	    "map_remote=/a/b",
	    "map_local=|a|/srv/",
	    "block_list=/~q/404",
	    "anticache",
	    "anticomp",
	    "server_replay=r.flows",
	    "client_replay=c.flows",
	    "server_replay_kill_extra",
	    "server_replay_ignore_params=p",
	    "server_replay_ignore_content",
	    "server_replay_use_headers=cookie",
	    "server_replay_nopop",
	    "server_replay_refresh=false",
	    "server_replay_reuse",
	    "server_replay_extra=500",
	    "server_replay_ignore_host",
	    "server_replay_ignore_port",
	    "server_replay_ignore_payload_params=f",
	    "client_replay_concurrency=-1",
	};
	struct options a, b;
	struct pairs pa = {NULL, 0}, pb = {NULL, 0};
	size_t i, n;

	options_init(&a);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		set_ok(&a, sets[i]);
	options_foreach_set(&a, collect, &pa);
	options_table(&n);
	/* every option, ignore_hosts twice, but the 2 intercept options (set in
	 * test_config_rewrite_opts.c) stay at their defaults */
	assert_int_equal(pa.n, n + 1 - 2);
	rebuild(pa.text, &b);
	options_foreach_set(&b, collect, &pb);
	assert_string_equal(pa.text, pb.text);
	assert_memory_equal(&a.listen_port, &b.listen_port, sizeof(int));
	assert_string_equal(b.confdir, "/tmp/x y");
	assert_string_equal(b.ignore_hosts.v[1], "b=c");
	assert_int_equal(b.body_size_limit, 5LL << 30);
	assert_int_equal(b.stream_large_bodies, -1);
	assert_int_equal(b.leaf_key, LEAF_KEY_RSA2048);
	assert_false(b.server);
	assert_false(b.http3);
	assert_false(b.strip_ech);
	assert_string_equal(b.upstream_auth, "u:p:w");
	assert_string_equal(b.dumper_filter, "~q | ~s");
	assert_string_equal(b.hardump, "/tmp/x.har");
	assert_string_equal(b.server_replay_extra, "500");
	assert_int_equal(b.client_replay_concurrency, -1);
	assert_int_equal(b.quic_idle_timeout, 7);
	assert_false(b.server_replay_refresh);
	options_free(&a);
	options_free(&b);
	free(pa.text);
	free(pb.text);
}

static void test_table_and_print(void **state)
{
	const struct option_def *t = NULL;
	char *buf = NULL, line[160];
	size_t n, i, len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	t = options_table(&n);
	assert_int_equal(n, 88);
	options_print(f);
	fclose(f);
	assert_int_equal(strncmp(buf, "NAME ", 5), 0);
	for (i = 0; i < n; i++) {
		assert_true(t[i].help && t[i].help[0]);
		assert_true((t[i].type == OPT_CHOICE) == (t[i].choices != NULL));
		snprintf(line, sizeof(line), "\n%s ", t[i].name);
		if (strstr(buf, line) == NULL)
			fail_msg("options_print lacks %s", t[i].name);
	}
	assert_non_null(strstr(buf, "\nconnection_strategy"
				    "                  eager|lazy"));
	assert_non_null(strstr(buf, "mitm.it"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_bools),
	    cmocka_unit_test(test_ints),	  cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_size_options),  cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_choices),	  cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_unknown),	  cmocka_unit_test(test_proxyauth),
	    cmocka_unit_test(test_upstream_auth), cmocka_unit_test(test_value_too_long),
	    cmocka_unit_test(test_expand_home),	  cmocka_unit_test(test_foreach_defaults_empty),
	    cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_table_and_print),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
