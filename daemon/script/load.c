/* Runs in the worker: loading a script from its text (the coordinator
 * read the file) and collecting the event functions it defines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script_int.h"

/* The event functions in the table at index t; a global that is still
 * one of Lua's own (load, error) is not a hook. */
static void script_collect_hooks(lua_State *L, struct script *s, int t, bool globals)
{
	for (int ev = 0; ev < SCRIPT_EV_COUNT; ev++) {
		lua_pushstring(L, script_event_name(ev));
		lua_rawget(L, t);
		if (globals) {
			lua_pushstring(L, script_event_name(ev));
			lua_rawget(L, 3);
		} else {
			lua_pushnil(L);
		}
		if (lua_type(L, -2) == LUA_TFUNCTION && !lua_rawequal(L, -1, -2)) {
			lua_pop(L, 1);
			s->hook_ref[ev] = luaL_ref(L, LUA_REGISTRYINDEX);
		} else {
			lua_pop(L, 2);
		}
	}
}

/* Protected: runs the chunk (slot 2).  Its hooks are the fields of the
 * table it returns, or else its global functions named after events. */
static int script_l_main(lua_State *L)
{
	struct script *s = lua_touserdata(L, 1);

	lua_newtable(L); /* 3: Lua's own globals of event names */
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	for (int ev = 0; ev < SCRIPT_EV_COUNT; ev++) {
		lua_pushstring(L, script_event_name(ev));
		lua_pushvalue(L, -1);
		lua_rawget(L, 4);
		lua_rawset(L, 3);
	}
	lua_pushvalue(L, 2);
	lua_call(L, 0, 1); /* 5: what the chunk returned */
	if (lua_type(L, 5) == LUA_TTABLE)
		script_collect_hooks(L, s, 5, false);
	else
		script_collect_hooks(L, s, 4, true);
	return 0;
}

static int script_run_main(struct script *s, const char *text, size_t len, char *err, size_t errlen)
{
	char chunk[256];
	int rc;

	snprintf(chunk, sizeof(chunk), "=%s", s->name);
	lua_pushcfunction(s->L, script_l_main);
	lua_pushlightuserdata(s->L, s);
	rc = luaL_loadbufferx(s->L, text, len, chunk, "t");
	if (rc == LUA_OK) {
		script_budget_reset(s);
		rc = lua_pcall(s->L, 2, 0, 0);
	}
	if (rc == LUA_OK)
		return 0;
	if (s->trip == SCRIPT_TRIP_INSTRUCTIONS)
		snprintf(err, errlen, "%s: ran more than %llu instructions while loading", s->name,
			 (unsigned long long)s->insn_limit);
	else if (s->trip == SCRIPT_TRIP_MEMORY || rc == LUA_ERRMEM)
		snprintf(err, errlen, "%s: needed more than %zu bytes of memory while loading",
			 s->name, s->mem_limit);
	else
		snprintf(err, errlen, "%s", lua_tostring(s->L, -1));
	return -EINVAL;
}

int script_load(const char *name, const char *text, size_t len, const struct script_limits *lim,
		script_log_fn log, void *log_arg, struct script **out, char *err, size_t errlen)
{
	struct script *s = xcalloc(1, sizeof(*s));
	int rc;

	s->name = xstrdup(name);
	s->mem_limit = lim && lim->memory ? lim->memory : SCRIPT_DEFAULT_MEMORY;
	s->insn_limit = lim && lim->instructions ? lim->instructions : SCRIPT_DEFAULT_INSTRUCTIONS;
	s->log = log;
	s->log_arg = log_arg;
	for (int i = 0; i < SCRIPT_EV_COUNT; i++)
		s->hook_ref[i] = LUA_NOREF;
	rc = script_state_open(s, err, errlen);
	if (rc == 0)
		rc = script_run_main(s, text, len, err, errlen);
	if (rc < 0) {
		script_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	if (s->L)
		lua_close(s->L);
	free(s->name);
	free(s);
}

const char *script_name(const struct script *s)
{
	return s->name;
}

bool script_wants(const struct script *s, enum script_event ev)
{
	return !s->disabled && (unsigned)ev < SCRIPT_EV_COUNT && s->hook_ref[ev] != LUA_NOREF;
}

bool script_disabled(const struct script *s)
{
	return s->disabled;
}

size_t script_memory(const struct script *s)
{
	return s->mem;
}
