/* Unit tests for the mode-spec and server-spec parsers and the multi-mode
 * check (config module): mitmdump's exact messages, defaults, transports
 * and address conflicts (snare-modes(7)). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "config/modespec.h"

struct err_case {
	const char *spec;
	const char *msg;
};

#define WRAP "Invalid proxy mode specification: "

static const struct err_case err_cases[] = {
    {"flibbel", WRAP "flibbel (unknown mode)"},
    {"", WRAP " (unknown mode)"},
    {"@8080", WRAP "@8080 (unknown mode)"},
    {"regular@x", WRAP "regular@x (invalid port: x)"},
    {"flibbel@x", WRAP "flibbel@x (invalid port: x)"},
    {"regular@70000", WRAP "regular@70000 (invalid port: 70000)"},
    {"regular@65536", WRAP "regular@65536 (invalid port: 65536)"},
    {"regular@-1", WRAP "regular@-1 (invalid port: -1)"},
    {"regular@127.0.0.1:", WRAP "regular@127.0.0.1: (invalid port: )"},
    {"regular@[::1]:x", WRAP "regular@[::1]:x (invalid port: x)"},
    {"regular@8_", WRAP "regular@8_ (invalid port: 8_)"},
    {"regular:foo", WRAP "regular:foo (mode takes no arguments)"},
    {"transparent:x", WRAP "transparent:x (mode takes no arguments)"},
    {"socks5:x@1080", WRAP "socks5:x@1080 (mode takes no arguments)"},
    {"dns:8.8.8.8", WRAP "dns:8.8.8.8 (mode takes no arguments)"},
    {"upstream", WRAP "upstream (Invalid server specification: )"},
    {"upstream:", WRAP "upstream: (Invalid server specification: )"},
    {"upstream:tcp://proxy:3128", WRAP "upstream:tcp://proxy:3128 (invalid upstream proxy scheme)"},
    {"upstream:dns://1.1.1.1", WRAP "upstream:dns://1.1.1.1 (invalid upstream proxy scheme)"},
    {"upstream:socks5://p:1080", WRAP "upstream:socks5://p:1080 (Invalid server scheme: socks5)"},
    {"reverse", WRAP "reverse (Invalid server specification: )"},
    {"reverse:example.com/path", WRAP "reverse:example.com/path (Invalid server specification: "
				      "example.com/path)"},
    {"reverse:http://", WRAP "reverse:http:// (Invalid server specification: http://)"},
    {"reverse:foo://example.com", WRAP "reverse:foo://example.com (Invalid server scheme: foo)"},
    {"reverse:HTTP://example.com", WRAP "reverse:HTTP://example.com (Invalid server scheme: HTTP)"},
    {"reverse:http://exa mple.com", WRAP "reverse:http://exa mple.com (Invalid hostname: exa "
					 "mple.com)"},
    {"reverse:http://a..b", WRAP "reverse:http://a..b (Invalid hostname: a..b)"},
    {"reverse:http://[]", WRAP "reverse:http://[] (Invalid hostname: )"},
    {"reverse:http://[foo:bar]:80", WRAP "reverse:http://[foo:bar]:80 (Invalid hostname: "
					 "foo:bar)"},
    {"reverse:tcp://example.com", WRAP "reverse:tcp://example.com (Port specification missing.)"},
    {"reverse:udp://example.com", WRAP "reverse:udp://example.com (Port specification missing.)"},
    {"reverse:tls://h/", WRAP "reverse:tls://h/ (Port specification missing.)"},
    {"reverse:dtls://h", WRAP "reverse:dtls://h (Port specification missing.)"},
    {"reverse:http://h:99999", WRAP "reverse:http://h:99999 (Invalid port: 99999)"},
    {"reverse:http://h:0099999", WRAP "reverse:http://h:0099999 (Invalid port: 99999)"},
    {"reverse:http://h:12345678901234567890",
     WRAP "reverse:http://h:12345678901234567890 (Invalid port: 12345678901234567890)"},
    {"local:,,", WRAP "local:,, (invalid intercept spec: ,,)"},
    {"local:curl,,wget", WRAP "local:curl,,wget (invalid intercept spec: curl,,wget)"},
    {"local:!", WRAP "local:! (invalid intercept spec: !)"},
    {"local:curl, ! ", WRAP "local:curl, !  (invalid intercept spec: curl, ! )"},
    {"osproxy", WRAP "osproxy (osproxy mode has been renamed to local mode. Thanks for trying our "
		     "experimental features!)"},
    {"OSPROXY:curl", WRAP "OSPROXY:curl (osproxy mode has been renamed to local mode. Thanks for "
			  "trying our experimental features!)"},
    {"tun:waytoolongname123", WRAP "tun:waytoolongname123 (Invalid tun name: waytoolongname123)"},
    {"tun:a/b", WRAP "tun:a/b (Invalid tun name: a/b)"},
    {"tun:a b", WRAP "tun:a b (Invalid tun name: a b)"},
    {"tun:..", WRAP "tun:.. (Invalid tun name: ..)"},
};

static void test_errors(void **state)
{
	struct mode_spec m;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		err[0] = '\0';
		if (modespec_parse(err_cases[i].spec, &m, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", err_cases[i].spec);
		assert_string_equal(err, err_cases[i].msg);
		assert_null(m.full);
		assert_null(m.data);
		assert_null(m.listen_host);
	}
}

static void parse_ok(const char *spec, struct mode_spec *m)
{
	char err[512] = "";

	if (modespec_parse(spec, m, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", spec, err);
	assert_string_equal(m->full, spec);
}

static void expect_mode(const char *spec, enum mode_kind kind, int port, unsigned tr,
			const char *desc)
{
	struct mode_spec m;
	char buf[256];

	parse_ok(spec, &m);
	assert_int_equal(m.kind, kind);
	assert_int_equal(modespec_default_port(&m), port);
	assert_int_equal(modespec_transports(&m), tr);
	modespec_description(&m, buf, sizeof(buf));
	assert_string_equal(buf, desc);
	modespec_free(&m);
}

#define T MODE_TRANSPORT_TCP
#define U MODE_TRANSPORT_UDP

static void test_mode_table(void **state)
{
	expect_mode("regular", MODE_REGULAR, 8080, T, "HTTP(S) proxy");
	expect_mode("REGULAR", MODE_REGULAR, 8080, T, "HTTP(S) proxy");
	expect_mode("regular:", MODE_REGULAR, 8080, T, "HTTP(S) proxy");
	expect_mode("transparent", MODE_TRANSPARENT, 8080, T, "Transparent Proxy");
	expect_mode("upstream:http://proxy:3128", MODE_UPSTREAM, 8080, T,
		    "HTTP(S) proxy (upstream mode)");
	expect_mode("reverse:https://example.com", MODE_REVERSE, 8080, T | U,
		    "reverse proxy to https://example.com");
	expect_mode("reverse:example.com", MODE_REVERSE, 8080, T | U,
		    "reverse proxy to example.com");
	expect_mode("reverse:http://example.com", MODE_REVERSE, 8080, T,
		    "reverse proxy to http://example.com");
	expect_mode("reverse:tcp://h:22", MODE_REVERSE, 8080, T, "reverse proxy to tcp://h:22");
	expect_mode("reverse:tls://h:993", MODE_REVERSE, 8080, T, "reverse proxy to tls://h:993");
	expect_mode("reverse:udp://h:53", MODE_REVERSE, 8080, U, "reverse proxy to udp://h:53");
	expect_mode("reverse:dtls://h:5684", MODE_REVERSE, 8080, U,
		    "reverse proxy to dtls://h:5684");
	expect_mode("reverse:http3://h", MODE_REVERSE, 8080, U, "reverse proxy to http3://h");
	expect_mode("reverse:quic://h", MODE_REVERSE, 8080, U, "reverse proxy to quic://h");
	expect_mode("reverse:dns://8.8.8.8", MODE_REVERSE, 53, T | U,
		    "reverse proxy to dns://8.8.8.8");
	expect_mode("socks5", MODE_SOCKS5, 1080, T, "SOCKS v5 proxy");
	expect_mode("dns", MODE_DNS, 53, T | U, "DNS server");
	expect_mode("wireguard", MODE_WIREGUARD, 51820, U, "WireGuard server");
	expect_mode("local", MODE_LOCAL, -1, 0, "Local redirector");
	expect_mode("local:!curl,wget", MODE_LOCAL, -1, 0, "Local redirector");
	expect_mode("tun", MODE_TUN, -1, 0, "TUN interface");
	expect_mode("tun:mitm0", MODE_TUN, -1, 0, "TUN interface");
	expect_mode("@regular", MODE_REGULAR, 8080, T, "HTTP(S) proxy");
}

static void test_kind_names(void **state)
{
	static const char *const names[] = {"regular",	 "transparent", "upstream",
					    "reverse",	 "socks5",	"dns",
					    "wireguard", "local",	"tun"};
	int k;

	for (k = 0; k < MODE_KIND_COUNT; k++)
		assert_string_equal(modespec_kind_name((enum mode_kind)k), names[k]);
}

static void expect_listen(const char *spec, const char *host, int port)
{
	struct mode_spec m;

	parse_ok(spec, &m);
	if (host)
		assert_string_equal(m.listen_host, host);
	else
		assert_null(m.listen_host);
	assert_int_equal(m.listen_port, port);
	modespec_free(&m);
}

static void test_listen_part(void **state)
{
	expect_listen("regular", NULL, -1);
	expect_listen("regular@", NULL, -1);
	expect_listen("regular@8081", NULL, 8081);
	expect_listen("regular@0", NULL, 0);
	expect_listen("regular@65535", NULL, 65535);
	expect_listen("regular@127.0.0.1:8081", "127.0.0.1", 8081);
	expect_listen("regular@::1:8080", "::1", 8080);
	expect_listen("regular@[::1]:8080", "[::1]", 8080); /* literal, as mitmproxy */
	expect_listen("regular@:8080", "", 8080);
	expect_listen("socks5@localhost:1081", "localhost", 1081);
	/* Python's int(): whitespace, sign and digit separators */
	expect_listen("regular@ 8080 ", NULL, 8080);
	expect_listen("regular@+80", NULL, 80);
	expect_listen("regular@-0", NULL, 0);
	expect_listen("regular@8_080", NULL, 8080);
	expect_listen("regular@00080", NULL, 80);
}

static void test_data(void **state)
{
	struct mode_spec m;

	parse_ok("wireguard:~/wg1.json@51821", &m);
	assert_string_equal(m.data, "~/wg1.json");
	assert_int_equal(m.listen_port, 51821);
	modespec_free(&m);

	parse_ok("regular", &m);
	assert_null(m.data);
	modespec_free(&m);

	/* the last '@' splits, so '@' inside data ends the data there */
	parse_ok("wireguard:/a@b/k.json@5", &m);
	assert_string_equal(m.data, "/a@b/k.json");
	assert_int_equal(m.listen_port, 5);
	modespec_free(&m);

	parse_ok("local:4242", &m);
	assert_string_equal(m.data, "4242");
	modespec_free(&m);

	parse_ok("reverse:https://example.com@127.0.0.1:8443", &m);
	assert_string_equal(m.data, "https://example.com");
	assert_string_equal(m.listen_host, "127.0.0.1");
	assert_int_equal(m.listen_port, 8443);
	assert_string_equal(m.server.scheme, "https");
	assert_string_equal(m.server.host, "example.com");
	assert_int_equal(m.server.port, 443);
	modespec_free(&m);
}

static void expect_server(const char *spec, const char *def, const char *scheme, const char *host,
			  int port)
{
	struct server_spec s;
	char err[256] = "";

	if (server_spec_parse(spec, def, &s, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", spec, err);
	assert_string_equal(s.scheme, scheme);
	assert_string_equal(s.host, host);
	assert_int_equal(s.port, port);
}

static void test_server_spec(void **state)
{
	expect_server("proxy", "http", "http", "proxy", 80);
	expect_server("proxy", "https", "https", "proxy", 443);
	expect_server("http://proxy:3128", "https", "http", "proxy", 3128);
	expect_server("https://example.com/", "http", "https", "example.com", 443);
	expect_server("http3://h", "http", "http3", "h", 443);
	expect_server("quic://h", "http", "quic", "h", 443);
	expect_server("dns://8.8.8.8", "http", "dns", "8.8.8.8", 53);
	expect_server("tcp://h:22", "http", "tcp", "h", 22);
	expect_server("http://[::1]:8080/", "http", "http", "::1", 8080);
	expect_server("[2001:db8::1]", "https", "https", "2001:db8::1", 443);
	expect_server("http://[fe80::1%eth0]", "http", "http", "fe80::1%eth0", 80);
	expect_server("example.com.:0443", "http", "http", "example.com.", 443);
	expect_server("under_score-1.example", "http", "http", "under_score-1.example", 80);
	expect_server("h:0", "http", "http", "h", 0);
	expect_server("256.1.1.1", "http", "http", "256.1.1.1", 80); /* digits are labels */
}

static void test_server_spec_errors(void **state)
{
	static const struct err_case cases[] = {
	    {"", "Invalid server specification: "},
	    {"http://h/x", "Invalid server specification: http://h/x"},
	    {"h:80:80", "Invalid server specification: h:80:80"},
	    {"::1", "Invalid server specification: ::1"},
	    {"h//", "Invalid server specification: h//"},
	    {"a-b://h", "Invalid server specification: a-b://h"},
	    {"ftp://h", "Invalid server scheme: ftp"},
	    {"averyveryverylongscheme://h", "Invalid server scheme: averyveryverylongscheme"},
	    {"[no pe]", "Invalid hostname: no pe"},
	    {"-", NULL},
	    {"a.b.", NULL},
	    {"[1.2.3.4%x]", "Invalid hostname: 1.2.3.4%x"},
	    {"[fe80::1%]", "Invalid hostname: fe80::1%"},
	    {"tcp://h", "Port specification missing."},
	    {"h:65536", "Invalid port: 65536"},
	};
	struct server_spec s;
	char err[600], longhost[400];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = server_spec_parse(cases[i].spec, "http", &s, err, sizeof(err));

		if (cases[i].msg == NULL) { /* valid oddities: "-" is a DNS label here */
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != -EINVAL)
			fail_msg("accepted: %s", cases[i].spec);
		assert_string_equal(err, cases[i].msg);
	}
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	for (i = 60; i < sizeof(longhost) - 1; i += 61)
		longhost[i] = '.';
	assert_int_equal(server_spec_parse(longhost, "http", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "Invalid hostname: aaaa", 22), 0);
	assert_int_equal(strlen(err), strlen("Invalid hostname: ") + strlen(longhost));
	longhost[255] = '\0'; /* 255 bytes is still fine */
	assert_int_equal(server_spec_parse(longhost, "http", &s, err, sizeof(err)), 0);
	assert_string_equal(s.host, longhost);
}

static void test_listen_precedence(void **state)
{
	struct mode_spec a, b, l;

	parse_ok("regular", &a);
	parse_ok("socks5@10.0.0.1:1081", &b);
	parse_ok("local", &l);
	assert_string_equal(modespec_listen_host(&a, ""), "");
	assert_string_equal(modespec_listen_host(&a, NULL), "");
	assert_string_equal(modespec_listen_host(&a, "127.0.0.1"), "127.0.0.1");
	assert_string_equal(modespec_listen_host(&b, "127.0.0.1"), "10.0.0.1");
	assert_int_equal(modespec_listen_port(&a, -1), 8080);
	assert_int_equal(modespec_listen_port(&a, 9000), 9000);
	assert_int_equal(modespec_listen_port(&b, 9000), 1081);
	assert_int_equal(modespec_listen_port(&l, 9000), -1);
	modespec_free(&a);
	modespec_free(&b);
	modespec_free(&l);
}

/* Parses specs[] and runs the set check; returns its result, message in err. */
static int check_set(const char *const *specs, size_t n, const char *host, int port, char *err,
		     size_t errlen)
{
	struct mode_spec m[8];
	size_t i;
	int rc;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		parse_ok(specs[i], &m[i]);
	err[0] = '\0';
	rc = modespec_check_set(m, n, host, port, err, errlen);
	for (i = 0; i < n; i++)
		modespec_free(&m[i]);
	return rc;
}

#define SET(...) ((const char *const[]){__VA_ARGS__})
#define NSET(...) (sizeof(SET(__VA_ARGS__)) / sizeof(const char *))
#define DUP "Cannot spawn multiple servers on the same address: "

static void expect_conflict(const char *msg, const char *host, int port, const char *const *s,
			    size_t n)
{
	char err[256];

	assert_int_equal(check_set(s, n, host, port, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void expect_no_conflict(const char *host, int port, const char *const *s, size_t n)
{
	char err[256];

	if (check_set(s, n, host, port, err, sizeof(err)) != 0)
		fail_msg("unexpected conflict: %s", err);
}

#define CONFLICT(msg, host, port, ...)                                                             \
	expect_conflict(msg, host, port, SET(__VA_ARGS__), NSET(__VA_ARGS__))
#define NO_CONFLICT(host, port, ...)                                                               \
	expect_no_conflict(host, port, SET(__VA_ARGS__), NSET(__VA_ARGS__))

static void test_check_set(void **state)
{
	CONFLICT(DUP "*:8080", "", -1, "regular", "regular");
	CONFLICT(DUP "*:53", "", -1, "dns@53", "reverse:dns://x@53");
	CONFLICT(DUP "*:53", "", -1, "dns", "reverse:dns://8.8.8.8");
	CONFLICT(DUP "*:8080", "", -1, "regular@8080", "socks5@8080");
	CONFLICT(DUP "*:8080", "", -1, "regular@8080", "dns@8080");
	CONFLICT(DUP "*:9000", "", 9000, "regular", "socks5");
	CONFLICT(DUP "127.0.0.1:8080", "127.0.0.1", -1, "regular", "socks5@8080");
	CONFLICT(DUP "[::1]:8080", "", -1, "regular@::1:8080", "socks5@::1:8080");
	CONFLICT(DUP "*:8080", "", -1, "regular@0.0.0.0:8080", "transparent@0.0.0.0:8080");
	CONFLICT(DUP "*:8080", "", -1, "regular@:::8080", "transparent@:::8080");
	CONFLICT(DUP "127.0.0.1:80", "", -1, "regular@::ffff:127.0.0.1:80",
		 "socks5@::ffff:127.0.0.1:80");
	CONFLICT(DUP "localhost:80", "", -1, "regular@localhost:80", "socks5@localhost:80");
	CONFLICT(DUP "*:443", "", -1, "reverse:https://a@443", "reverse:http3://b@443");
	/* the most frequent address is reported, as Counter.most_common */
	CONFLICT(DUP "*:7001", "", -1, "regular@7000", "socks5@7000", "regular@7001", "socks5@7001",
		 "transparent@7001");
	CONFLICT("Cannot spawn more than one local redirector.", "", -1, "local:curl",
		 "local:wget");
	CONFLICT("Cannot spawn more than one local redirector.", "", -1, "local", "LOCAL");

	NO_CONFLICT("", -1, "regular@127.0.0.1:8080", "regular@127.0.0.2:8080");
	NO_CONFLICT("", -1, "regular", "socks5", "dns", "wireguard", "local", "tun");
	NO_CONFLICT("", -1, "wireguard@8080", "regular@8080");
	NO_CONFLICT("", -1, "reverse:udp://h:1@8080", "regular@8080");
	NO_CONFLICT("", -1, "wireguard", "wireguard@51821");
	NO_CONFLICT("", -1, "local", "local");
	NO_CONFLICT("", -1, "tun:a", "tun:b", "tun:a");
	NO_CONFLICT("", 8080, "regular", "local", "tun");
	NO_CONFLICT("", -1, "regular@127.0.0.1:8080", "regular");
}

static void test_intercept_spec(void **state)
{
	assert_int_equal(intercept_spec_validate(""), 0);
	assert_int_equal(intercept_spec_validate("  "), 0);
	assert_int_equal(intercept_spec_validate("curl"), 0);
	assert_int_equal(intercept_spec_validate("!curl, wget ,42"), 0);
	assert_int_equal(intercept_spec_validate("! curl"), 0);
	assert_int_equal(intercept_spec_validate(","), -EINVAL);
	assert_int_equal(intercept_spec_validate("curl,"), -EINVAL);
	assert_int_equal(intercept_spec_validate(",curl"), -EINVAL);
	assert_int_equal(intercept_spec_validate("curl,!"), -EINVAL);
	assert_int_equal(intercept_spec_validate("curl, ! ,x"), -EINVAL);
}

/* The scheme table: every question about a server scheme. */
static void test_scheme_table(void **state)
{
	static const char *const reverse_ok[] = {"http", "https", "tcp", "tls",
						 "dns",	 "udp",	  "dtls"};
	struct mode_spec m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reverse_ok); i++)
		assert_true(modespec_scheme(reverse_ok[i])->reverse_ok);
	assert_true(modespec_scheme("http3")->reverse_ok);
	assert_int_equal(modespec_scheme("http3")->dgram, SCHEME_DGRAM_HTTP3);
	assert_true(modespec_scheme("quic")->reverse_ok);
	assert_int_equal(modespec_scheme("quic")->dgram, SCHEME_DGRAM_QUIC);
	assert_string_equal(modespec_scheme("gopher")->name, "");
	assert_false(modespec_scheme("gopher")->reverse_ok);
	assert_true(modespec_scheme("http")->upstream_ok);
	assert_true(modespec_scheme("https")->upstream_ok);
	assert_false(modespec_scheme("tls")->upstream_ok);
	assert_true(modespec_scheme("tls")->raw && modespec_scheme("tls")->server_tls);
	assert_true(modespec_scheme("tcp")->raw && !modespec_scheme("tcp")->server_tls);
	assert_false(modespec_scheme("https")->raw);
	assert_true(modespec_scheme("dns")->dns);
	assert_int_equal(modespec_scheme("dns")->dgram, SCHEME_DGRAM_DNS);
	assert_int_equal(modespec_scheme("udp")->dgram, SCHEME_DGRAM_UDP);
	assert_int_equal(modespec_scheme("dtls")->dgram, SCHEME_DGRAM_DTLS);
	assert_int_equal(modespec_scheme("https")->dgram, SCHEME_DGRAM_NONE);

	parse_ok("reverse:https://example.com", &m);
	assert_int_equal(modespec_transports(&m), MODE_TRANSPORT_TCP | MODE_TRANSPORT_UDP);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_TCP);
	assert_true(modespec_scheme_of(&m)->server_tls);
	modespec_free(&m);
	parse_ok("reverse:dns://9.9.9.9", &m);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_TCP | MODE_TRANSPORT_UDP);
	assert_int_equal(modespec_default_port(&m), 53);
	modespec_free(&m);
	parse_ok("reverse:udp://10.0.0.1:53", &m);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_UDP);
	modespec_free(&m);
	parse_ok("reverse:quic://example.com", &m);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_UDP);
	modespec_free(&m);
	parse_ok("reverse:http3://example.com", &m);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_UDP);
	modespec_free(&m);
	parse_ok("regular", &m);
	assert_string_equal(modespec_scheme_of(&m)->name, "");
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_TCP);
	modespec_free(&m);
	parse_ok("wireguard", &m);
	assert_int_equal(modespec_served_transports(&m), MODE_TRANSPORT_UDP);
	modespec_free(&m);
}

static void test_truncated_error_buffer(void **state)
{
	struct mode_spec m;
	char err[16];

	assert_int_equal(modespec_parse("flibbel", &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Invalid proxy m");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_mode_table),
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_listen_part),
	    cmocka_unit_test(test_data),
	    cmocka_unit_test(test_server_spec),
	    cmocka_unit_test(test_server_spec_errors),
	    cmocka_unit_test(test_listen_precedence),
	    cmocka_unit_test(test_check_set),
	    cmocka_unit_test(test_intercept_spec),
	    cmocka_unit_test(test_truncated_error_buffer),
	    cmocka_unit_test(test_scheme_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
