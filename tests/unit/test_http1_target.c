/* Unit tests for the request-target helpers (worker code, run here in a
 * plain test process): absolute-form and authority-form parsing, including
 * the shapes that must be refused because they decide where we connect. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "http1/http1.h"

static struct http1_str str(const char *s)
{
	return (struct http1_str){s, strlen(s)};
}

struct abs_case {
	const char *target;
	const char *scheme, *host, *path;
	uint16_t port;
	bool has_port;
};

static const struct abs_case abs_ok[] = {
    {"http://example.com/a?b=c", "http", "example.com", "/a?b=c", 80, false},
    {"HTTP://Example.com", "http", "Example.com", "/", 80, false},
    {"https://x.y:8443/", "https", "x.y", "/", 8443, true},
    {"HtTpS://h", "https", "h", "/", 443, false},
    {"http://[::1]:8080/p", "http", "::1", "/p", 8080, true},
    {"http://[2001:db8::1]/", "http", "2001:db8::1", "/", 80, false},
    {"http://[::ffff:1.2.3.4]/", "http", "::ffff:1.2.3.4", "/", 80, false},
    {"http://127.0.0.1:1/x/y", "http", "127.0.0.1", "/x/y", 1, true},
    {"http://a-b_c~d.e:65535/%20", "http", "a-b_c~d.e", "/%20", 65535, true},
};

static const char *const abs_bad[] = {
    "",
    "/path",
    "ftp://h/",
    "http:/h/",
    "http:h",
    "http://",
    "http:///p",
    "http://:80/",
    "http://user@h/",
    "http://user:pw@h/",
    "http://h:/",
    "http://h:0/",
    "http://h:65536/",
    "http://h:99999999/",
    "http://h:8a/",
    "http://h:-1/",
    "http://h:80:81/",
    "http://h h/",
    "http://h%41/",
    "http://[::1/",
    "http://[::1]x/",
    "http://[::1]:/",
    "http://[]/",
    "http://[1.2.3.4]/",
    "http://[::1%eth0]/",
    "http://[g::1]/",
    "http://h?q",
    "http://h#f",
    "http://h/p#f",
    "http://h/a b",
    "http://h/\x01",
    "httpx://h/",
    "https:/",
};

static void test_absolute(void **state)
{
	struct http1_target t;

	for (size_t i = 0; i < sizeof(abs_ok) / sizeof(abs_ok[0]); i++) {
		const struct abs_case *c = &abs_ok[i];

		if (http1_parse_absolute(str(c->target), &t) != HTTP1_OK)
			fail_msg("rejected %s", c->target);
		assert_string_equal(t.scheme, c->scheme);
		assert_string_equal(t.host, c->host);
		assert_true(http1_str_eq(t.path, c->path));
		assert_int_equal(t.port, c->port);
		assert_int_equal(t.has_port, c->has_port);
	}
	for (size_t i = 0; i < sizeof(abs_bad) / sizeof(abs_bad[0]); i++) {
		if (http1_parse_absolute(str(abs_bad[i]), &t) != HTTP1_E_SYNTAX)
			fail_msg("accepted %s", abs_bad[i]);
	}
}

static void test_absolute_path_points_into_target(void **state)
{
	const char *s = "http://h:1/abc";
	struct http1_target t;

	assert_int_equal(http1_parse_absolute(str(s), &t), HTTP1_OK);
	assert_ptr_equal(t.path.p, s + 10);
	assert_int_equal(t.path.n, 4);
}

static void test_host_length(void **state)
{
	char buf[300] = "http://";
	struct http1_target t;

	memset(buf + 7, 'a', 255);
	assert_int_equal(http1_parse_absolute(str(buf), &t), HTTP1_OK);
	assert_int_equal(strlen(t.host), 255);
	buf[7 + 255] = 'a';
	assert_int_equal(http1_parse_absolute(str(buf), &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str(buf + 7), 443, &t), HTTP1_E_SYNTAX);
}

static void test_authority(void **state)
{
	struct http1_target t;

	assert_int_equal(http1_parse_authority(str("example.com:443"), 0, &t), HTTP1_OK);
	assert_string_equal(t.host, "example.com");
	assert_int_equal(t.port, 443);
	assert_true(t.has_port);
	assert_string_equal(t.scheme, "");
	assert_null(t.path.p);

	assert_int_equal(http1_parse_authority(str("[::1]:8080"), 0, &t), HTTP1_OK);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 8080);

	assert_int_equal(http1_parse_authority(str("h"), 443, &t), HTTP1_OK);
	assert_int_equal(t.port, 443);
	assert_false(t.has_port);
	assert_int_equal(http1_parse_authority(str("[fe80::2]"), 80, &t), HTTP1_OK);
	assert_string_equal(t.host, "fe80::2");
	assert_int_equal(t.port, 80);

	assert_int_equal(http1_parse_authority(str("h"), 0, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("[::1]"), 0, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str(""), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority((struct http1_str){NULL, 0}, 443, &t),
			 HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("h:"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("h:0"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("h:70000"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("u@h:443"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("h:443/"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("::1:443"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("[::1]443"), 443, &t), HTTP1_E_SYNTAX);
	assert_int_equal(http1_parse_authority(str("h :443"), 443, &t), HTTP1_E_SYNTAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_absolute),
	    cmocka_unit_test(test_absolute_path_points_into_target),
	    cmocka_unit_test(test_host_length),
	    cmocka_unit_test(test_authority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
