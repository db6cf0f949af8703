/* Unit tests for the h2 module's WebSocket mapping (map_ws.c, RFC 8441 section 5): extended
 * CONNECT to an HTTP/1.1 Upgrade request, the 101's accept check and its fields as a 200, and
 * :protocol carried through struct h2_msg. */
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

/* RFC 6455 1.3's example key and accept. */
#define KEY_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static void test_connect_recognised(void **state)
{
	assert_true(h2_ws_connect("CONNECT", "websocket"));
	assert_true(h2_ws_connect("CONNECT", "WebSocket"));
	assert_false(h2_ws_connect("CONNECT", "chat"));
	assert_false(h2_ws_connect("CONNECT", NULL));
	assert_false(h2_ws_connect("GET", "websocket"));
	assert_false(h2_ws_connect(NULL, "websocket"));
}

static void test_request_to_h1(void **state)
{
	struct h2_field f[] = {
	    F("sec-websocket-version", "13"),
	    F("sec-websocket-protocol", "chat"),
	    F("origin", "https://example.test"),
	    F("cookie", "a=1"),
	    F("cookie", "b=2"),
	};
	struct h2_head in = {.method = "CONNECT",
			     .protocol = "websocket",
			     .scheme = "https",
			     .authority = "example.test:8443",
			     .path = "/chat?x=1",
			     .fields = f,
			     .nfields = N(f)};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_ws_request_to_h1(&m, &in), 0);
	assert_string_equal(m.method, "GET");
	assert_string_equal(m.path, "/chat?x=1");
	assert_null(m.protocol);
	assert_string_equal(m.fields[0].name, "host");
	assert_string_equal(m.fields[0].value, "example.test:8443");
	for (size_t i = 0; i < m.nfields; i++) /* cookie crumbs joined, the rest kept */
		if (strcmp(m.fields[i].name, "cookie") == 0)
			assert_string_equal(m.fields[i].value, "a=1; b=2");
	h2_msg_free(&m);
}

static void test_request_to_h1_refused(void **state)
{
	struct h2_head no_path = {.method = "CONNECT", .protocol = "websocket", .authority = "h"};
	struct h2_head no_auth = {.method = "CONNECT", .protocol = "websocket", .path = "/"};
	struct h2_head other = {
	    .method = "CONNECT", .protocol = "chat", .authority = "h", .path = "/"};
	struct h2_head plain = {.method = "CONNECT", .authority = "h:443"};
	const struct h2_head *bad[] = {&no_path, &no_auth, &other, &plain};
	struct h2_msg m;

	for (size_t i = 0; i < N(bad); i++) {
		h2_msg_init(&m);
		assert_int_equal(h2_ws_request_to_h1(&m, bad[i]), -EINVAL);
		h2_msg_free(&m);
	}
}

static void test_accept(void **state)
{
	struct h2_field ok[] = {F("Upgrade", "WebSocket"), F("Connection", "Upgrade"),
				F("Sec-WebSocket-Accept", KEY_ACCEPT)};
	struct h2_field wrong[] = {F("Upgrade", "websocket"),
				   F("Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")};
	struct h2_field no_upgrade[] = {F("Sec-WebSocket-Accept", KEY_ACCEPT)};
	struct h2_field other_upgrade[] = {F("Upgrade", "h2c"),
					   F("Sec-WebSocket-Accept", KEY_ACCEPT)};

	assert_int_equal(h2_ws_accept_ok(ok, N(ok), KEY_ACCEPT), 0);
	assert_int_equal(h2_ws_accept_ok(wrong, N(wrong), KEY_ACCEPT), -EPROTO);
	assert_int_equal(h2_ws_accept_ok(no_upgrade, N(no_upgrade), KEY_ACCEPT), -EPROTO);
	assert_int_equal(h2_ws_accept_ok(other_upgrade, N(other_upgrade), KEY_ACCEPT), -EPROTO);
	assert_int_equal(h2_ws_accept_ok(NULL, 0, KEY_ACCEPT), -EPROTO);
}

static void test_response_from_h1(void **state)
{
	struct h2_field f[] = {
	    F("Upgrade", "websocket"),
	    F("Connection", "Upgrade, X-Hop"),
	    F("X-Hop", "gone"),
	    F("Sec-WebSocket-Accept", KEY_ACCEPT),
	    F("Sec-WebSocket-Protocol", "chat"),
	    F("Server", "origin"),
	};
	struct h2_msg m;

	h2_msg_init(&m);
	assert_int_equal(h2_ws_response_from_h1(&m, f, N(f)), 0);
	assert_int_equal(m.status, 200);
	assert_int_equal(m.nfields, 2);
	assert_string_equal(m.fields[0].name, "sec-websocket-protocol");
	assert_string_equal(m.fields[0].value, "chat");
	assert_string_equal(m.fields[1].name, "server");
	h2_msg_free(&m);
}

static void test_msg_protocol_owned(void **state)
{
	struct h2_msg m;
	struct h2_head h;

	h2_msg_init(&m);
	m.method = strdup("CONNECT");
	m.protocol = strdup("websocket");
	h = h2_msg_head(&m);
	assert_string_equal(h.protocol, "websocket");
	h2_msg_free(&m); /* frees protocol too (ASan would say) */
	assert_null(m.protocol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_recognised),	  cmocka_unit_test(test_request_to_h1),
	    cmocka_unit_test(test_request_to_h1_refused), cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_response_from_h1),	  cmocka_unit_test(test_msg_protocol_owned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
