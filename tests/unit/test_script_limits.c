/* Unit tests for the script sandbox and limits: the removed libraries and
 * binary chunks, __gc refused, an endless loop (also one that pcall tries
 * to survive), a memory bomb and a runtime error, each leaving the flow
 * unchanged and the script either usable or disabled with one message;
 * limits while loading; a flow too big for the script's memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "script/script.h"
#include "test_flow_fixture.h"

static void test_sandbox(void **st)
{
	struct fx x;
	struct script *s;

	fx_http(&x, false);
	s = fx_load("function request(f)\n"
		    "  local gone = {}\n"
		    "  for _, n in ipairs({'io', 'os', 'package', 'debug', 'require', 'dofile',\n"
		    "    'loadfile'}) do if _G[n] ~= nil then gone[#gone + 1] = n end end\n"
		    "  assert(#gone == 0, table.concat(gone, ','))\n"
		    "  assert(string.dump == nil)\n"
		    "  assert(load('return 1 + 1')() == 2)\n"
		    "  local fn, err = load('\\27Lua')\n"
		    "  assert(fn == nil and err:find('binary'), err)\n"
		    "  assert(not pcall(setmetatable, {}, {__gc = function() end}))\n"
		    "  f.comment = 'sandboxed'\n"
		    "end\n");
	assert_non_null(s);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.sf.comment, "sandboxed");
	script_free(s);
	script_flow_release(&x.sf);
}

/* Calls a hook that breaks a limit: disabled with one error line, flow
 * unchanged, and later calls refused without a new line. */
static void check_disabled(const char *text, const char *why)
{
	struct script_limits lim = {.memory = 4u << 20, .instructions = 200000};
	struct fx x;
	struct script *s;

	fx_log_reset();
	fx_http(&x, false);
	s = fx_load_limited("bad.lua", text, &lim);
	assert_non_null(s);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -ECANCELED);
	assert_true(script_disabled(s));
	assert_int_equal(fx_log_count[LOG_LVL_ERROR], 1);
	assert_non_null(strstr(fx_log_last[LOG_LVL_ERROR], why));
	assert_string_equal(x.req.method, "GET");
	assert_int_equal(x.sf.changed, 0);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -ECANCELED);
	assert_int_equal(fx_log_count[LOG_LVL_ERROR], 1);
	assert_false(script_wants(s, SCRIPT_EV_REQUEST));
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_endless_loop(void **st)
{
	check_disabled("function request(f) f.request.method = 'PUT' while true do end end\n",
		       "bad.lua: disabled: one call ran more than 200000 Lua instructions");
}

static void test_endless_loop_pcall(void **st)
{
	check_disabled("function request(f)\n"
		       "  f.request.method = 'PUT'\n"
		       "  while true do pcall(function() while true do end end) end\n"
		       "end\n",
		       "instructions");
	check_disabled("function request(f)\n"
		       "  while true do coroutine.resume(coroutine.create(function()\n"
		       "    while true do end end)) end\n"
		       "end\n",
		       "instructions");
}

static void test_memory_bomb(void **st)
{
	check_disabled("t = {}\n"
		       "function request(f)\n"
		       "  f.request.method = 'PUT'\n"
		       "  local s = 'x'\n"
		       "  while true do s = s .. s t[#t + 1] = s end\n"
		       "end\n",
		       "bad.lua: disabled: it needed more than its 4194304 bytes of memory");
	check_disabled("function request(f)\n"
		       "  while true do pcall(string.rep, 'x', 1 << 30) end\n"
		       "end\n",
		       "memory");
}

static void test_other_scripts_unaffected(void **st)
{
	struct script_limits lim = {.instructions = 100000};
	struct script_set set = {0};
	struct fx x;

	fx_log_reset();
	fx_http(&x, false);
	script_set_add(&set,
		       fx_load_limited("loop.lua", "function request(f) while 1 do end end", &lim));
	script_set_add(&set, fx_load("function request(f) f.request.headers.x = 'ok' end"));
	assert_int_equal(script_set_call(&set, SCRIPT_EV_REQUEST, &x.sf), 1);
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "x"), "ok");
	assert_true(script_set_wants(&set, SCRIPT_EV_REQUEST));
	script_set_free(&set);
	script_flow_release(&x.sf);
}

static void test_runtime_error_then_usable(void **st)
{
	struct fx x;
	struct script *s;

	fx_log_reset();
	fx_http(&x, false);
	s = fx_load("function request(f)\n"
		    "  if f.request.path == '/bad' then local t = nil; return t.x end\n"
		    "  f.comment = 'fine'\n"
		    "end\n");
	x.req.path = "/bad";
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -EINVAL);
	assert_non_null(
	    strstr(fx_log_last[LOG_LVL_WARN], "t.lua: request: t.lua:2: attempt to index"));
	assert_false(script_disabled(s));
	script_flow_release(&x.sf);
	fx_http(&x, false);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.sf.comment, "fine");
	assert_int_equal(fx_log_count[LOG_LVL_ERROR], 0);
	script_free(s);
	script_flow_release(&x.sf);
}

static void test_load_errors(void **st)
{
	struct script_limits lim = {.instructions = 100000, .memory = 2u << 20};
	struct script *s = NULL;
	char err[256];
	const char *loop = "while true do end",
		   *bomb = "local s = 'x' while true do s = s .. s end",
		   *syntax = "function request(f)\n  x = = 1\nend\n", *boom = "error('no')";

	assert_int_equal(
	    script_load("l.lua", loop, strlen(loop), &lim, fx_log, NULL, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "l.lua: ran more than 100000 instructions while loading");
	assert_int_equal(
	    script_load("m.lua", bomb, strlen(bomb), &lim, fx_log, NULL, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "m.lua: needed more than 2097152 bytes of memory while loading");
	assert_int_equal(
	    script_load("s.lua", syntax, strlen(syntax), &lim, fx_log, NULL, &s, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "s.lua:2:"));
	assert_int_equal(
	    script_load("e.lua", boom, strlen(boom), &lim, fx_log, NULL, &s, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "e.lua:1: no");
	assert_null(s);
}

static void test_flow_too_big(void **st)
{
	struct script_limits lim = {.memory = 1u << 20};
	size_t big = 2u << 20;
	char *body = malloc(big + 1);
	struct fx x;
	struct script *s;

	memset(body, 'a', big);
	body[big] = 0;
	fx_log_reset();
	fx_http(&x, false);
	x.req.content = fx_bytes(body);
	s = fx_load_limited("small.lua",
			    "function request(f) local r = f.request f.comment = 'ran' end", &lim);
	assert_non_null(s);
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), -E2BIG);
	assert_false(script_disabled(s));
	assert_non_null(strstr(fx_log_last[LOG_LVL_WARN], "does not fit"));
	x.req.content = fx_bytes("small");
	assert_int_equal(script_call(s, SCRIPT_EV_REQUEST, &x.sf), 0);
	assert_string_equal(x.sf.comment, "ran");
	assert_true(script_memory(s) < lim.memory);
	script_free(s);
	script_flow_release(&x.sf);
	free(body);
}

/* Garbage from many flows is collected, not counted against the limit:
 * two hundred 256 KiB bodies through a 4 MiB state. */
static void test_garbage_is_collected(void **st)
{
	struct script_limits lim = {.memory = 4u << 20};
	size_t big = 256u << 10;
	char *body = malloc(big + 1);
	struct script *s;

	memset(body, 'b', big);
	body[big] = 0;
	s = fx_load_limited(
	    "gc.lua",
	    "n = 0\n"
	    "function response(f) n = n + 1 f.response.text = f.response.text:upper() end",
	    &lim);
	assert_non_null(s);
	for (int i = 0; i < 200; i++) {
		struct fx x;

		fx_http(&x, true);
		x.resp.content = fx_bytes(body);
		assert_int_equal(script_call(s, SCRIPT_EV_RESPONSE, &x.sf), 0);
		assert_int_equal(x.resp.content.len, big);
		assert_int_equal(x.resp.content.data[0], 'B');
		script_flow_release(&x.sf);
	}
	assert_false(script_disabled(s));
	assert_true(script_memory(s) <= lim.memory);
	script_free(s);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sandbox),
	    cmocka_unit_test(test_endless_loop),
	    cmocka_unit_test(test_endless_loop_pcall),
	    cmocka_unit_test(test_memory_bomb),
	    cmocka_unit_test(test_other_scripts_unaffected),
	    cmocka_unit_test(test_runtime_error_then_usable),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_flow_too_big),
	    cmocka_unit_test(test_garbage_is_collected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
