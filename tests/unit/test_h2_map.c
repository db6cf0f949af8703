/* Unit tests for the h2 module's HTTP/1 <-> HTTP/2 header mapping and the cleartext preface
 * detection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "h2/h2.h"

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1                                                 \
	}
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_fields(const struct h2_msg *m, const char *const *want, size_t n)
{
	assert_int_equal(m->nfields, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(m->fields[i].name, want[2 * i]);
		assert_string_equal(m->fields[i].value, want[2 * i + 1]);
	}
}

static void test_request_from_h1(void **state)
{
	struct h2_field f[] = {
	    F("Host", "Example.test:8443"),
	    F("User-Agent", "curl/8"),
	    F("Connection", "keep-alive, X-Hop"),
	    F("Keep-Alive", "timeout=5"),
	    F("X-Hop", "gone"),
	    F("Proxy-Connection", "keep-alive"),
	    F("Transfer-Encoding", "chunked"),
	    F("Upgrade", "h2c"),
	    F("HTTP2-Settings", "AAMAAABkAAQAAP__"),
	    F("TE", "trailers, deflate"),
	    F("Cookie", "a=1; b=2"),
	    F("X-Last", "z"),
	};
	const char *const want[] = {"user-agent", "curl/8",   "te",	"trailers",
				    "cookie",	  "a=1; b=2", "x-last", "z"};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_map_request_from_h1(&m, "GET", "/p?q=1", "https", f, N(f)), 0);
	assert_string_equal(m.method, "GET");
	assert_string_equal(m.scheme, "https");
	assert_string_equal(m.authority, "Example.test:8443");
	assert_string_equal(m.path, "/p?q=1");
	assert_fields(&m, want, N(want) / 2);
	h2_msg_free(&m);
}

static void test_te_not_trailers_dropped(void **state)
{
	struct h2_field f[] = {F("Host", "h"), F("TE", "gzip"), F("Accept", "*/*")};
	const char *const want[] = {"accept", "*/*"};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_map_request_from_h1(&m, "GET", "/", "http", f, N(f)), 0);
	assert_fields(&m, want, 1);
	h2_msg_free(&m);
}

static void test_request_absolute_and_connect(void **state)
{
	struct h2_field f[] = {F("Host", "ignored.test")};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_map_request_from_h1(&m, "GET", "HTTP://a.test:81/x/y?z", "https", f, 1),
			 0);
	assert_string_equal(m.scheme, "http");
	assert_string_equal(m.authority, "a.test:81");
	assert_string_equal(m.path, "/x/y?z");
	assert_int_equal(m.nfields, 0); /* Host became :authority */
	h2_msg_free(&m);

	assert_int_equal(h2_map_request_from_h1(&m, "GET", "http://b.test?q", "http", NULL, 0), 0);
	assert_string_equal(m.path, "/?q");
	h2_msg_free(&m);

	assert_int_equal(h2_map_request_from_h1(&m, "CONNECT", "c.test:443", "http", f, 1), 0);
	assert_string_equal(m.authority, "c.test:443");
	assert_null(m.scheme);
	assert_null(m.path);
	h2_msg_free(&m);

	assert_int_equal(h2_map_request_from_h1(&m, "GET", "nonsense", "http", NULL, 0), -EINVAL);
	h2_msg_free(&m);
	assert_int_equal(h2_map_request_from_h1(&m, "GET", "http:///x", "http", NULL, 0), -EINVAL);
	h2_msg_free(&m);
}

static void test_request_to_h1(void **state)
{
	struct h2_field f[] = {F("cookie", "a=1"), F("accept", "*/*"), F("cookie", "b=2"),
			       F("host", "other.test"), F("cookie", "c=3")};
	struct h2_head h = {.method = "POST",
			    .scheme = "https",
			    .authority = "a.test",
			    .path = "/up",
			    .fields = f,
			    .nfields = N(f)};
	const char *const want[] = {"host", "a.test", "cookie", "a=1; b=2; c=3", "accept", "*/*"};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_map_request_to_h1(&m, &h), 0);
	assert_string_equal(m.method, "POST");
	assert_string_equal(m.path, "/up");
	assert_fields(&m, want, N(want) / 2);
	h2_msg_free(&m);

	h = (struct h2_head){.method = "CONNECT", .authority = "c.test:443"};
	assert_int_equal(h2_map_request_to_h1(&m, &h), 0);
	assert_string_equal(m.path, "c.test:443");
	h2_msg_free(&m);

	h = (struct h2_head){.method = "GET"};
	assert_int_equal(h2_map_request_to_h1(&m, &h), -EINVAL);
	h2_msg_free(&m);
}

static void test_response_both_ways(void **state)
{
	struct h2_field f[] = {F("Content-Type", "text/html"), F("Connection", "close"),
			       F("Set-Cookie", "a=1"), F("Set-Cookie", "b=2"),
			       F("Transfer-Encoding", "chunked")};
	const char *const want[] = {"content-type", "text/html",  "set-cookie",
				    "a=1",	    "set-cookie", "b=2"};
	struct h2_msg m, back;
	struct h2_head h;

	h2_msg_init(&m);
	h2_msg_init(&back);
	assert_int_equal(h2_map_response_from_h1(&m, 404, f, N(f)), 0);
	assert_int_equal(m.status, 404);
	assert_fields(&m, want, N(want) / 2);
	h = h2_msg_head(&m);
	assert_int_equal(h2_map_response_to_h1(&back, &h), 0);
	assert_int_equal(back.status, 404);
	assert_fields(&back, want, N(want) / 2); /* set-cookie is never joined */
	h2_msg_free(&m);
	h2_msg_free(&back);
	assert_int_equal(h2_map_response_from_h1(&m, 42, NULL, 0), -EINVAL);
	h2_msg_free(&m);
}

static void test_trailer_fields(void **state)
{
	struct h2_field f[] = {F("Grpc-Status", "0"), F("Connection", "close")};
	const char *const want[] = {"grpc-status", "0"};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_map_fields_from_h1(&m, f, N(f)), 0);
	assert_fields(&m, want, 1);
	h2_msg_free(&m);
}

static void test_strip_h2c(void **state)
{
	struct h2_field only[] = {F("Host", "a"), F("Connection", "Upgrade, HTTP2-Settings"),
				  F("Upgrade", "h2c"), F("HTTP2-Settings", "AAMAAABkAAQAAP__"),
				  F("Accept", "*/*")};
	const char *const want_only[] = {"Host", "a", "Accept", "*/*"};
	struct h2_field ws[] = {F("Connection", "keep-alive, Upgrade"),
				F("Upgrade", "h2c, websocket"), F("Sec-WebSocket-Key", "k")};
	const char *const want_ws[] = {"Connection", "keep-alive, Upgrade", "Upgrade",
				       "websocket",  "Sec-WebSocket-Key",   "k"};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_strip_h2c_upgrade(&m, only, N(only)), 0);
	assert_fields(&m, want_only, N(want_only) / 2);
	h2_msg_free(&m);
	assert_int_equal(h2_strip_h2c_upgrade(&m, ws, N(ws)), 0);
	assert_fields(&m, want_ws, N(want_ws) / 2);
	h2_msg_free(&m);
}

static void test_preface(void **state)
{
	static const char p[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4";

	assert_int_equal(h2_preface_check((const uint8_t *)p, 24), H2_PREFACE_YES);
	assert_int_equal(h2_preface_check((const uint8_t *)p, sizeof(p) - 1), H2_PREFACE_YES);
	assert_int_equal(h2_preface_check((const uint8_t *)p, 0), H2_PREFACE_MORE);
	assert_int_equal(h2_preface_check((const uint8_t *)p, 3), H2_PREFACE_MORE);
	assert_int_equal(h2_preface_check((const uint8_t *)p, 23), H2_PREFACE_MORE);
	assert_int_equal(h2_preface_check((const uint8_t *)"GET / HTTP/1.1\r\n", 16),
			 H2_PREFACE_NO);
	assert_int_equal(h2_preface_check((const uint8_t *)"PRI * HTTP/1.1", 14), H2_PREFACE_NO);
	assert_int_equal(h2_preface_check((const uint8_t *)"P", 1), H2_PREFACE_MORE);
	assert_int_equal(h2_preface_check((const uint8_t *)"\x16\x03\x01", 3), H2_PREFACE_NO);
}

static void test_names(void **state)
{
	assert_string_equal(h2_error_name(H2_ENHANCE_YOUR_CALM), "ENHANCE_YOUR_CALM");
	assert_string_equal(h2_error_name(0x99), "UNKNOWN_ERROR");
	assert_string_equal(h2_abuse_name(H2_ABUSE_RAPID_RESET), "rapid reset");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_from_h1),
	    cmocka_unit_test(test_te_not_trailers_dropped),
	    cmocka_unit_test(test_request_absolute_and_connect),
	    cmocka_unit_test(test_request_to_h1),
	    cmocka_unit_test(test_response_both_ways),
	    cmocka_unit_test(test_trailer_fields),
	    cmocka_unit_test(test_strip_h2c),
	    cmocka_unit_test(test_preface),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
