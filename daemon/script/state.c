/* Runs in the worker: a Lua state for one untrusted script.  Its allocator
 * counts bytes and refuses past the limit, a count hook bounds one call,
 * and only the base, coroutine, table, string, math and utf8 libraries are
 * opened, without dofile, loadfile and binary chunks (the prelude wraps
 * load, pcall and setmetatable). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "script/script_int.h"

static void *script_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct script *s = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		s->mem -= old;
		return NULL;
	}
	if (nsize > old && (nsize - old > s->mem_limit || s->mem + (nsize - old) > s->mem_limit))
		return NULL;
	p = realloc(ptr, nsize);
	if (p)
		s->mem = s->mem - old + nsize;
	return p;
}

static void script_count_hook(lua_State *L, lua_Debug *ar)
{
	void *ud;
	struct script *s;

	lua_getallocf(L, &ud);
	s = ud;
	s->insn += SCRIPT_HOOK_STEP;
	if (s->insn > s->insn_limit && s->trip == SCRIPT_TRIP_NONE)
		s->trip = SCRIPT_TRIP_INSTRUCTIONS;
	if (s->trip != SCRIPT_TRIP_NONE)
		luaL_error(L, "snare: script limit reached");
}

void script_budget_reset(struct script *s)
{
	s->insn = 0;
}

/* tripped(err): for the prelude's pcall, true when the error is a broken
 * limit (an out-of-memory error counts as one). */
static int script_l_tripped(lua_State *L)
{
	void *ud;
	struct script *s;
	const char *e = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;

	lua_getallocf(L, &ud);
	s = ud;
	if (s->trip == SCRIPT_TRIP_NONE && !s->importing && e &&
	    strcmp(e, "not enough memory") == 0)
		s->trip = SCRIPT_TRIP_MEMORY;
	lua_pushboolean(L, s->trip != SCRIPT_TRIP_NONE);
	return 1;
}

/* print(...): one log line, values separated by tabs as Lua's print. */
static int script_l_print(lua_State *L)
{
	void *ud;
	luaL_Buffer b;
	int n = lua_gettop(L);

	lua_getallocf(L, &ud);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *v = luaL_tolstring(L, i, &len);

		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addlstring(&b, v, len > SCRIPT_PRINT_MAX ? SCRIPT_PRINT_MAX : len);
		lua_pop(L, 1);
	}
	luaL_pushresult(&b);
	script_logf(ud, LOG_LVL_INFO, "%.*s", SCRIPT_PRINT_MAX, lua_tostring(L, -1));
	return 0;
}

static const luaL_Reg script_libs[] = {
    {LUA_GNAME, luaopen_base},	     {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
};
static const char *const script_removed[] = {"dofile", "loadfile", "require"};

/* Protected: libraries, the removals, `snare`, then the prelude. */
static int script_l_setup(lua_State *L)
{
	for (size_t i = 0; i < ARRAY_SIZE(script_libs); i++) {
		luaL_requiref(L, script_libs[i].name, script_libs[i].func, 1);
		lua_pop(L, 1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(script_removed); i++) {
		lua_pushnil(L);
		lua_setglobal(L, script_removed[i]);
	}
	lua_pushcfunction(L, script_l_print);
	lua_setglobal(L, "print");
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "snare");
	if (luaL_loadbufferx(L, script_prelude, script_prelude_len, "=snare", "t") != LUA_OK)
		return lua_error(L);
	lua_insert(L, -2);
	lua_pushcfunction(L, script_l_tripped);
	lua_pushcfunction(L, script_l_lazy);
	lua_call(L, 3, 1);
	return 1;
}

static int script_ref_field(lua_State *L, const char *name)
{
	lua_getfield(L, -1, name);
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

int script_state_open(struct script *s, char *err, size_t errlen)
{
	int rc;

	s->L = lua_newstate(script_alloc, s);
	if (!s->L)
		return -ENOMEM;
	/* Each hook call leaves its flow object behind: short-lived garbage,
	 * which the generational collector frees for less work. */
	lua_gc(s->L, LUA_GCGEN, 0, 0);
	lua_sethook(s->L, script_count_hook, LUA_MASKCOUNT, SCRIPT_HOOK_STEP);
	script_budget_reset(s);
	lua_pushcfunction(s->L, script_l_setup);
	rc = lua_pcall(s->L, 0, 1, 0);
	if (rc != LUA_OK) {
		snprintf(err, errlen, "%s: cannot set up the Lua state: %s", s->name,
			 rc == LUA_ERRMEM ? "not enough memory" : lua_tostring(s->L, -1));
		return rc == LUA_ERRMEM ? -ENOMEM : -EINVAL;
	}
	s->flow_mt = script_ref_field(s->L, "Flow");
	s->request_mt = script_ref_field(s->L, "Request");
	s->response_mt = script_ref_field(s->L, "Response");
	s->headers_mt = script_ref_field(s->L, "Headers");
	s->message_mt = script_ref_field(s->L, "Message");
	s->mkheaders_ref = script_ref_field(s->L, "mkheaders");
	s->dns_import_ref = script_ref_field(s->L, "dns_import");
	s->dns_export_ref = script_ref_field(s->L, "dns_export");
	s->hello_ref = script_ref_field(s->L, "hello");
	lua_settop(s->L, 0);
	return 0;
}

void script_logf(struct script *s, enum log_level lvl, const char *fmt, ...)
{
	char msg[SCRIPT_PRINT_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->log)
		s->log(s->log_arg, lvl, s->name, msg);
	else
		log_msg(lvl, NULL, "%s: %s", s->name, msg);
}

int script_disable(struct script *s)
{
	if (s->trip == SCRIPT_TRIP_MEMORY)
		script_logf(s, LOG_LVL_ERROR,
			    "disabled: it needed more than its %zu bytes of memory; traffic passes "
			    "unchanged",
			    s->mem_limit);
	else
		script_logf(
		    s, LOG_LVL_ERROR,
		    "disabled: one call ran more than %llu Lua instructions (an endless loop?); "
		    "traffic passes unchanged",
		    (unsigned long long)s->insn_limit);
	s->disabled = true;
	if (s->L)
		lua_close(s->L);
	s->L = NULL;
	return -ECANCELED;
}
