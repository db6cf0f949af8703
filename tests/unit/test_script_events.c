/* Unit tests for the script module's events: every mitmproxy event name
 * reaches its hook (lifecycle events without a flow), scripts run in load
 * order and see each other's changes, and the message events (WebSocket,
 * TCP, UDP) change or drop the current message; tls_clienthello. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "script/script.h"
#include "test_flow_fixture.h"

static const char *const flow_events[] = {
    "requestheaders", "request",     "responseheaders", "response",  "error",	  "websocket_start",
    "websocket_end",  "tcp_start",   "tcp_end",		"tcp_error", "udp_start", "udp_end",
    "udp_error",      "dns_request", "dns_response",	"dns_error",
};

static void test_names(void **st)
{
	assert_int_equal(SCRIPT_EV_COUNT, 24);
	for (int ev = 0; ev < SCRIPT_EV_COUNT; ev++)
		assert_int_equal(script_event_from_name(script_event_name(ev)), ev);
	assert_int_equal(script_event_from_name("clientconnect"), -1);
	assert_string_equal(script_event_name(SCRIPT_EV_TLS_CLIENTHELLO), "tls_clienthello");
}

static void test_flow_events(void **st)
{
	char text[4096] = "";
	struct script *s;

	for (size_t i = 0; i < ARRAY_SIZE(flow_events); i++) {
		char line[200];
		snprintf(line, sizeof(line), "function %s(f) f.comment = '%s' end\n",
			 flow_events[i], flow_events[i]);
		strcat(text, line);
	}
	s = fx_load(text);
	assert_non_null(s);
	for (size_t i = 0; i < ARRAY_SIZE(flow_events); i++) {
		int ev = script_event_from_name(flow_events[i]);
		struct fx x;

		assert_true(script_wants(s, ev));
		fx_http(&x, true);
		assert_int_equal(script_call(s, ev, &x.sf), 0);
		assert_string_equal(x.sf.comment, flow_events[i]);
		script_flow_release(&x.sf);
	}
	assert_false(script_wants(s, SCRIPT_EV_LOAD));
	script_free(s);
}

static void test_lifecycle(void **st)
{
	struct script *s =
	    fx_load("function load() print('load') end\n"
		    "function configure(updated) print('configure', type(updated)) end\n"
		    "function running() print('running') end\n"
		    "function done() print('done') end\n");
	const char *want[] = {"t.lua: load", "t.lua: configure\ttable", "t.lua: running",
			      "t.lua: done"};

	assert_non_null(s);
	fx_log_reset();
	for (int ev = SCRIPT_EV_LOAD; ev <= SCRIPT_EV_DONE; ev++) {
		assert_int_equal(script_call(s, ev, NULL), 0);
		assert_string_equal(fx_log_last[LOG_LVL_INFO], want[ev]);
	}
	assert_int_equal(fx_log_count[LOG_LVL_INFO], 4);
	/* A hook the script does not define is no error. */
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, NULL), 0);
	script_free(s);
}

/* load and error are also Lua's own functions: a script that does not
 * define them has no such hooks, and a returned table of hooks leaves
 * Lua's error() alone. */
static void test_returned_hooks(void **st)
{
	struct fx x;
	struct script *s = fx_load("local M = {}\n"
				   "function M.load() print('loaded') end\n"
				   "function M.error(f) f.comment = 'error hook' end\n"
				   "function M.request(f) error('real error') end\n"
				   "return M\n");

	assert_non_null(s);
	assert_true(script_wants(s, SCRIPT_EV_LOAD));
	assert_true(script_wants(s, SCRIPT_EV_ERROR));
	fx_log_reset();
	assert_int_equal(script_call(s, SCRIPT_EV_LOAD, NULL), 0);
	assert_string_equal(fx_log_last[LOG_LVL_INFO], "t.lua: loaded");
	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -EINVAL);
	assert_non_null(strstr(fx_log_last[LOG_LVL_WARN], "real error"));
	assert_int_equal(script_call(s, SCRIPT_EV_ERROR, &x.sf), 0);
	assert_string_equal(x.sf.comment, "error hook");
	script_free(s);
	script_flow_release(&x.sf);
	s = fx_load("function request(f) end");
	assert_false(script_wants(s, SCRIPT_EV_LOAD));
	assert_false(script_wants(s, SCRIPT_EV_ERROR));
	script_free(s);
}

/* A reload as the worker does it: done on the old state, a new state from
 * the new text, load on it; state does not carry over. */
static void test_reload(void **st)
{
	struct script *s = fx_load("n = 0\n"
				   "function request(f) n = n + 1 f.comment = 'v1 ' .. n end\n"
				   "function done() print('v1 done at', n) end\n");
	struct fx x;

	for (int i = 0; i < 2; i++) {
		fx_http(&x, false);
		assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
		script_flow_release(&x.sf);
	}
	fx_log_reset();
	assert_int_equal(script_call(s, SCRIPT_EV_DONE, NULL), 0);
	assert_string_equal(fx_log_last[LOG_LVL_INFO], "t.lua: v1 done at\t2");
	script_free(s);
	s = fx_load("function load() n = 10 end\n"
		    "function request(f) n = n + 1 f.comment = 'v2 ' .. n end\n");
	assert_int_equal(script_call(s, SCRIPT_EV_LOAD, NULL), 0);
	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.sf.comment, "v2 11");
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_order(void **st)
{
	struct script_set set = {0};
	struct fx x;

	fx_http(&x, false);
	script_set_add(&set, fx_load("function request(f) f.request.headers.x = 'a' end"));
	script_set_add(&set, fx_load("function request(f)\n"
				     "  f.request.headers.x = f.request.headers.x .. 'b' end"));
	assert_int_equal(script_set_call(&set, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "x"), "ab");
	assert_int_equal(x.sf.changed, SCRIPT_CH_REQUEST);
	script_set_free(&set);
	script_flow_release(&x.sf);
}

static void test_tcp_message(void **st)
{
	struct fx x;
	struct script *s =
	    fx_load("function tcp_message(f, m)\n"
		    "  assert(m == f.messages[#f.messages])\n"
		    "  if m.from_client then m.content = m.content:gsub('foo', 'bar') end\n"
		    "end\n");

	fx_stream(&x, SNARE__FLOW__TYPE__TCP, false, "foo foo", true);
	assert_int_equal(script_call(s, SCRIPT_EV_TCP_MESSAGE, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_MESSAGE);
	assert_true(fx_bytes_eq(x.msg[0].content, "bar bar"));
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__TCP, false, "foo", false);
	assert_int_equal(script_call(s, SCRIPT_EV_TCP_MESSAGE, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_websocket_udp(void **st)
{
	struct fx x;
	struct script *s =
	    fx_load("function websocket_message(f, m)\n"
		    "  assert(f.websocket and m.is_text)\n"
		    "  if m.text == 'drop me' then m:drop() else m.text = m.text:upper() end\n"
		    "end\n"
		    "function udp_message(f, m)\n"
		    "  assert(f.type == 'udp' and not m.from_client)\n"
		    "  m.dropped = true\n"
		    "end\n");

	fx_stream(&x, SNARE__FLOW__TYPE__HTTP, true, "hello", false);
	assert_int_equal(script_call(s, SCRIPT_EV_WEBSOCKET_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "HELLO"));
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__HTTP, true, "drop me", true);
	assert_int_equal(script_call(s, SCRIPT_EV_WEBSOCKET_MESSAGE, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_DROP);
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__UDP, false, "dgram", false);
	assert_int_equal(script_call(s, SCRIPT_EV_UDP_MESSAGE, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_DROP);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_tls_clienthello(void **st)
{
	struct fx x;
	struct script *s = fx_load("function tls_clienthello(data)\n"
				   "  if data.client_hello.sni == 'example.com' then\n"
				   "    data.ignore_connection = true end\n"
				   "end\n");

	fx_http(&x, false);
	x.flow.request = NULL;
	assert_int_equal(script_call(s, SCRIPT_EV_TLS_CLIENTHELLO, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_IGNORE_TLS);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	x.ctls.sni = "other.test";
	assert_int_equal(script_call(s, SCRIPT_EV_TLS_CLIENTHELLO, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_flow_events),
	    cmocka_unit_test(test_lifecycle),	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_tcp_message),	    cmocka_unit_test(test_websocket_udp),
	    cmocka_unit_test(test_tls_clienthello), cmocka_unit_test(test_returned_hooks),
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
