/* Unit tests for the script module's flow object: reading a request and
 * its connections, changing headers (single and multi-value), content,
 * text and url, answering locally, changing a response, kill, marked and
 * comment, intercept and resume, and a flow left alone when nothing changed or a hook failed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "script/script.h"
#include "test_flow_fixture.h"

static void run(const char *text, enum script_event ev, struct fx *x, int want)
{
	struct script *s = fx_load(text);

	assert_non_null(s);
	assert_int_equal(script_call(s, ev, &x->sf), want);
	script_free(s);
}

static void test_read_request(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f)\n"
	    "  local r = f.request\n"
	    "  f.comment = table.concat({f.id, f.type, r.method, r.url, r.host, r.port, r.path,\n"
	    "    r.scheme, r.http_version, r.headers:get('HOST'), r.headers.accept, #r.content,\n"
	    "    r.text, f.client_conn.peername.host, f.client_conn.peername[2],\n"
	    "    f.client_conn.sni, f.client_conn.tls_version, f.client_conn.process_name,\n"
	    "    f.client_conn.pid, f.server_conn.address.host, tostring(f.marked)}, '|')\n"
	    "end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_string_equal(
	    x.sf.comment,
	    "0d2f8d7e-5a0c-4f7e-9b3c-2b1f6a0e9c11|http|GET|https://example.com/index.html|"
	    "example.com|443|/index.html|https|HTTP/1.1|example.com|*/*|0||192.0.2.7|"
	    "40000|example.com|TLSv1.3|curl|4242|example.com|false");
	assert_int_equal(x.sf.changed, SCRIPT_CH_COMMENT);
	script_flow_release(&x.sf);
}

static void test_headers(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f)\n"
	    "  local h = f.request.headers\n"
	    "  h:set('X-One', '1')\n"
	    "  h:add('X-Multi', 'a') h:add('x-multi', 'b')\n"
	    "  assert(h:get('x-multi') == 'a, b')\n"
	    "  assert(#h:get_all('X-MULTI') == 2)\n"
	    "  h:remove('accept')\n"
	    "  h['X-Two'] = 2\n"
	    "  assert(h:get('missing', 'd') == 'd')\n"
	    "end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_REQUEST);
	assert_int_equal(x.req.n_headers, 5);
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "x-one"), "1");
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "x-two"), "2");
	assert_null(fx_hget(x.req.headers, x.req.n_headers, "accept"));
	/* The caller's array is untouched. */
	assert_ptr_equal(x.hp[1], &x.hdr[1]);
	assert_true(fx_bytes_eq(x.hdr[1].value, "*/*"));
	script_flow_release(&x.sf);
}

/* set, set_all and remove keep the other headers in order and put the
 * new values where the first of the name was. */
static void test_headers_order(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f)\n"
	    "  local h = f.request.headers\n"
	    "  h:add('B', '2') h:add('c', '3') h:add('b', '4') h:add('D', '5')\n"
	    "  h:set('b', 'x')\n"
	    "  local got = {}\n"
	    "  for n, v in pairs(h) do got[#got + 1] = n .. '=' .. v end\n"
	    "  assert(table.concat(got, ' ') == 'Host=example.com Accept=*/* b=x c=3 D=5',\n"
	    "    table.concat(got, ' '))\n"
	    "  local vals = {1, 'two'}\n"
	    "  h:set_all('accept', vals)\n"
	    "  assert(vals[1] == 1)\n"
	    "  h:remove('C') h:remove('none')\n"
	    "  got = {}\n"
	    "  for n, v in pairs(h) do got[#got + 1] = n .. '=' .. v end\n"
	    "  assert(table.concat(got, ' ') == 'Host=example.com accept=1 accept=two b=x D=5',\n"
	    "    table.concat(got, ' '))\n"
	    "  assert(#h == 5)\n"
	    "end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_int_equal(x.req.n_headers, 5);
	script_flow_release(&x.sf);
}

static void test_content_text_url(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f)\n"
	    "  f.request.text = 'body'\n"
	    "  f.request.url = 'http://other.test:8080/x?y=1'\n"
	    "  f.request.method = 'POST'\n"
	    "end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_REQUEST);
	assert_true(fx_bytes_eq(x.req.content, "body"));
	assert_string_equal(x.req.scheme, "http");
	assert_string_equal(x.req.host, "other.test");
	assert_int_equal(x.req.port, 8080);
	assert_string_equal(x.req.path, "/x?y=1");
	assert_string_equal(x.req.method, "POST");
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "host"), "other.test:8080");
	script_flow_release(&x.sf);
}

static void test_local_response(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f)\n"
	    "  f.response = snare.response(200, {['content-type'] = 'text/plain'}, 'hi')\n"
	    "end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_RESPONSE | SCRIPT_CH_LOCAL_RESPONSE);
	assert_non_null(x.flow.response);
	assert_int_equal(x.flow.response->status_code, 200);
	assert_string_equal(x.flow.response->reason, "OK");
	assert_true(fx_bytes_eq(x.flow.response->content, "hi"));
	assert_string_equal(
	    fx_hget(x.flow.response->headers, x.flow.response->n_headers, "Content-Type"),
	    "text/plain");
	script_flow_release(&x.sf);
}

static void test_change_response(void **st)
{
	struct fx x;

	fx_http(&x, true);
	run("function response(f)\n"
	    "  f.response.status_code = 404\n"
	    "  f.response.text = f.response.text .. ' world'\n"
	    "  f.response.headers['x-snare'] = 'yes'\n"
	    "end\n",
	    SCRIPT_EV_RESPONSE, &x, 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_RESPONSE);
	assert_ptr_equal(x.flow.response, &x.resp);
	assert_int_equal(x.resp.status_code, 404);
	assert_true(fx_bytes_eq(x.resp.content, "hello world"));
	assert_string_equal(fx_hget(x.resp.headers, x.resp.n_headers, "X-Snare"), "yes");
	script_flow_release(&x.sf);
}

static void test_kill_mark_comment(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f) f:kill() f.marked = true f.comment = 'seen' end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_int_equal(x.sf.changed, SCRIPT_CH_KILL | SCRIPT_CH_MARKED | SCRIPT_CH_COMMENT);
	assert_true(x.sf.marked);
	assert_string_equal(x.sf.comment, "seen");
	script_flow_release(&x.sf);
}

static void test_intercept_resume(void **st)
{
	struct fx x;

	fx_http(&x, false);
	run("function request(f) assert(f.intercepted == false) f:intercept()\n"
	    "  assert(f.intercepted) end\n",
	    SCRIPT_EV_REQUEST, &x, 0);
	assert_true(x.sf.intercepted);
	assert_int_equal(x.sf.changed, 0);
	/* a later hook of the same point sees it and may take it back */
	run("function request(f) assert(f.intercepted) f:resume() end\n", SCRIPT_EV_REQUEST, &x, 0);
	assert_false(x.sf.intercepted);
	/* a hook that fails leaves it as it was */
	run("function request(f) f:intercept() error('boom') end\n", SCRIPT_EV_REQUEST, &x,
	    -EINVAL);
	assert_false(x.sf.intercepted);
	script_flow_release(&x.sf);
}

static void test_nothing_changed(void **st)
{
	struct fx x;

	fx_http(&x, true);
	run("function response(f) local _ = f.request.url .. f.response.text\n"
	    "  f.request.headers:set('Host', 'example.com') end\n",
	    SCRIPT_EV_RESPONSE, &x, 0);
	assert_int_equal(x.sf.changed, 0);
	assert_ptr_equal(x.req.headers, x.hp);
	assert_ptr_equal(x.resp.content.data, (const uint8_t *)"hello");
	script_flow_release(&x.sf);
}

static void test_runtime_error_leaves_flow(void **st)
{
	struct fx x;
	struct script *s;

	fx_log_reset();
	fx_http(&x, false);
	s = fx_load("n = 0\n"
		    "function request(f)\n"
		    "  n = n + 1\n"
		    "  f.request.method = 'PUT'\n"
		    "  if n == 1 then error('boom') end\n"
		    "end\n");
	assert_non_null(s);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -EINVAL);
	assert_string_equal(fx_log_last[LOG_LVL_WARN], "t.lua: request: t.lua:5: boom");
	assert_string_equal(x.req.method, "GET");
	assert_int_equal(x.sf.changed, 0);
	/* The state stays usable for the next flow. */
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.req.method, "PUT");
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_bad_value_leaves_flow(void **st)
{
	struct fx x;

	fx_log_reset();
	fx_http(&x, false);
	run("function request(f) f.request.method = 'PUT' f.request.port = 'x' end\n",
	    SCRIPT_EV_REQUEST, &x, -EINVAL);
	assert_non_null(strstr(fx_log_last[LOG_LVL_WARN], "flow.request.port: integer"));
	assert_string_equal(x.req.method, "GET");
	assert_int_equal(x.req.port, 443);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	run("function request(f) f.request.headers = {['x-a'] = {}} end\n", SCRIPT_EV_REQUEST, &x,
	    -EINVAL);
	assert_int_equal(x.req.n_headers, 2);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	run("function request(f) f.request.headers = {['x-a'] = 'b'} end\n", SCRIPT_EV_REQUEST, &x,
	    0);
	assert_int_equal(x.req.n_headers, 1);
	script_flow_release(&x.sf);
}

/* A flow object a script keeps past its call reads no longer-valid
 * memory: its lazy parts are nil, and changing it changes nothing. */
static void test_kept_flow_object(void **st)
{
	struct fx x;
	struct script *s =
	    fx_load("function request(f)\n"
		    "  if old then\n"
		    "    f.comment = tostring(old.client_conn) .. '/' .. tostring(old.request)\n"
		    "    old.request = {method = 'DELETE'}\n"
		    "  end\n"
		    "  old = f\n"
		    "end\n");

	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_null(x.sf.comment);
	script_flow_release(&x.sf);
	fx_http(&x, false);
	x.req.method = "PUT";
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.sf.comment, "nil/nil");
	assert_string_equal(x.req.method, "PUT");
	assert_int_equal(x.sf.changed, SCRIPT_CH_COMMENT);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_print_logs(void **st)
{
	struct fx x;

	fx_log_reset();
	fx_http(&x, false);
	run("function request(f) print('host', f.request.host, 1) end\n", SCRIPT_EV_REQUEST, &x, 0);
	assert_string_equal(fx_log_last[LOG_LVL_INFO], "t.lua: host\texample.com\t1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_request),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_headers_order),
	    cmocka_unit_test(test_content_text_url),
	    cmocka_unit_test(test_local_response),
	    cmocka_unit_test(test_change_response),
	    cmocka_unit_test(test_kill_mark_comment),
	    cmocka_unit_test(test_intercept_resume),
	    cmocka_unit_test(test_nothing_changed),
	    cmocka_unit_test(test_runtime_error_leaves_flow),
	    cmocka_unit_test(test_bad_value_leaves_flow),
	    cmocka_unit_test(test_print_logs),
	    cmocka_unit_test(test_kept_flow_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
