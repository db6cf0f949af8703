/* Unit tests for the examples/ folder: each example is loaded as the worker
 * would (from its text) and run against a built flow, and its effect is
 * checked.  Run from the repository's top folder (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "script/script.h"
#include "test_flow_fixture.h"

static struct script *load_example(const char *name)
{
	char path[256], err[512], *text = NULL;
	size_t cap = 0, len;
	struct script *s = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "examples/%s", name);
	f = fopen(path, "r");
	assert_non_null(f);
	len = getdelim(&text, &cap, 0, f);
	fclose(f);
	assert_true(len > 0 && len != (size_t)-1);
	if (script_load(name, text, len, NULL, fx_log, NULL, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(text);
	return s;
}

static void test_add_header(void **st)
{
	struct script *s = load_example("add_header.lua");
	struct fx x;

	for (int i = 1; i <= 2; i++) {
		fx_http(&x, true);
		assert_int_equal(script_call(s, SCRIPT_EV_RESPONSE, &x.sf), 0);
		assert_string_equal(fx_hget(x.resp.headers, x.resp.n_headers, "X-Snare"), "hello");
		assert_string_equal(fx_hget(x.resp.headers, x.resp.n_headers, "x-snare-count"),
				    i == 1 ? "1" : "2");
		script_flow_release(&x.sf);
	}
	script_free(s);
}

static void test_json_body(void **st)
{
	struct script *s = load_example("json_body.lua");
	struct fx x;

	fx_http(&x, true);
	fx_header(&x.rhdr[0], "Content-Type", "application/json");
	x.resp.content = fx_bytes("{\"user\": \"ann\", \"admin\": false}");
	assert_int_equal(script_call(s, SCRIPT_EV_RESPONSE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.resp.content, "{\"user\": \"ann\", \"admin\": true}"));
	script_flow_release(&x.sf);
	/* Not JSON: left alone. */
	fx_http(&x, true);
	x.resp.content = fx_bytes("\"admin\": false");
	assert_int_equal(script_call(s, SCRIPT_EV_RESPONSE, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_answer_locally(void **st)
{
	struct script *s = load_example("answer_locally.lua");
	struct fx x;

	fx_http(&x, false);
	x.req.path = "/hello";
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_true(x.sf.changed & SCRIPT_CH_LOCAL_RESPONSE);
	assert_int_equal(x.flow.response->status_code, 200);
	assert_true(fx_bytes_eq(x.flow.response->content, "Hello from snare\n"));
	script_flow_release(&x.sf);
	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_null(x.flow.response);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_block_host(void **st)
{
	struct script *s = load_example("block_host.lua");
	struct fx x;

	fx_http(&x, false);
	x.req.host = "ADS.example";
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_int_equal(x.flow.response->status_code, 403);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	x.req.host = "malware.example";
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_KILL);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_dns_table(void **st)
{
	static const uint8_t up[4] = {93, 184, 216, 34};
	struct script *s = load_example("dns_table.lua");
	struct dns_msg m;
	struct fx x;

	fx_dns(&x, "www.internal.test", DNS_T_A, NULL, NULL);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), 0);
	assert_int_equal(dns_parse(x.flow.dns_response->raw.data, x.flow.dns_response->raw.len, &m),
			 0);
	assert_int_equal(m.nan, 2);
	assert_int_equal(m.an[0].type, DNS_T_CNAME);
	assert_string_equal(m.an[1].name, "app.internal.test");
	assert_string_equal(m.an[1].display, "10.0.0.10");
	dns_msg_free(&m);
	script_flow_release(&x.sf);
	fx_dns(&x, "x.blocked", DNS_T_A, NULL, NULL);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), 0);
	assert_int_equal(x.flow.dns_response->rcode, DNS_R_NXDOMAIN);
	script_flow_release(&x.sf);
	fx_dns(&x, "elsewhere.test", DNS_T_A, NULL, NULL);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_REQUEST, &x.sf), 0);
	assert_null(x.flow.dns_response);
	script_flow_release(&x.sf);
	fx_dns(&x, "example.com", DNS_T_A, "93.184.216.34", up);
	assert_int_equal(script_call(s, SCRIPT_EV_DNS_RESPONSE, &x.sf), 0);
	assert_int_equal(dns_parse(x.dr.raw.data, x.dr.raw.len, &m), 0);
	assert_string_equal(m.an[0].display, "127.0.0.1");
	dns_msg_free(&m);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_websocket_rewrite(void **st)
{
	struct script *s = load_example("websocket_rewrite.lua");
	struct fx x;

	fx_stream(&x, SNARE__FLOW__TYPE__HTTP, true, "hello there", false);
	assert_int_equal(script_call(s, SCRIPT_EV_WEBSOCKET_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "HELLO there"));
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__HTTP, true, "debug", true);
	assert_int_equal(script_call(s, SCRIPT_EV_WEBSOCKET_MESSAGE, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_DROP);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_tcp_rewrite(void **st)
{
	struct script *s = load_example("tcp_rewrite.lua");
	struct fx x;

	fx_stream(&x, SNARE__FLOW__TYPE__TCP, false, "foo bar", true);
	assert_int_equal(script_call(s, SCRIPT_EV_TCP_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "bar bar"));
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__TCP, false, "foo bar", false);
	assert_int_equal(script_call(s, SCRIPT_EV_TCP_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "foo baz"));
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_udp_rewrite(void **st)
{
	struct script *s = load_example("udp_rewrite.lua");
	struct fx x;

	fx_stream(&x, SNARE__FLOW__TYPE__UDP, false, "a foo", true);
	assert_int_equal(script_call(s, SCRIPT_EV_UDP_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "a bar"));
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__UDP, false, "drop me", true);
	assert_int_equal(script_call(s, SCRIPT_EV_UDP_MESSAGE, &x.sf), 0);
	assert_true(x.sf.changed & SCRIPT_CH_DROP);
	script_flow_release(&x.sf);
	fx_stream(&x, SNARE__FLOW__TYPE__UDP, false, "bar", false);
	assert_int_equal(script_call(s, SCRIPT_EV_UDP_MESSAGE, &x.sf), 0);
	assert_true(fx_bytes_eq(x.msg[0].content, "baz"));
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_request_body(void **st)
{
	struct script *s = load_example("request_body.lua");
	struct fx x;

	fx_http(&x, false);
	fx_header(&x.hdr[1], "Content-Type", "application/x-www-form-urlencoded");
	x.req.content = fx_bytes("name=a&role=user");
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_true(fx_bytes_eq(x.req.content, "name=a&role=admin"));
	script_flow_release(&x.sf);
	/* Another type: left alone. */
	fx_http(&x, false);
	x.req.content = fx_bytes("role=user");
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_tls_passthrough(void **st)
{
	struct script *s = load_example("tls_passthrough.lua");
	static const char *const alpn[] = {"h2", "http/1.1"};
	struct fx x;

	fx_http(&x, false);
	x.flow.request = NULL;
	x.sf.hello_sni = "pinned.example";
	x.sf.hello_alpn = alpn;
	x.sf.hello_nalpn = 2;
	assert_int_equal(script_call(s, SCRIPT_EV_TLS_CLIENTHELLO, &x.sf), 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_IGNORE_TLS);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	x.flow.request = NULL;
	x.sf.hello_sni = "other.example";
	assert_int_equal(script_call(s, SCRIPT_EV_TLS_CLIENTHELLO, &x.sf), 0);
	assert_int_equal(x.sf.changed, 0);
	script_free(s);
	script_flow_release(&x.sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_header),	   cmocka_unit_test(test_json_body),
	    cmocka_unit_test(test_answer_locally), cmocka_unit_test(test_block_host),
	    cmocka_unit_test(test_dns_table),	   cmocka_unit_test(test_websocket_rewrite),
	    cmocka_unit_test(test_tcp_rewrite),	   cmocka_unit_test(test_udp_rewrite),
	    cmocka_unit_test(test_request_body),   cmocka_unit_test(test_tls_passthrough),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
