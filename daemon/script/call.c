/* Runs in the worker: one hook call.  The flow is copied into the state
 * (import), the hook runs under the instruction budget, and what it left
 * is checked and written back (export); an error anywhere leaves the flow
 * as it was, a broken limit disables the script. */
#include <errno.h>
#include <string.h>

#include "script/script_int.h"

enum call_phase { PHASE_IMPORT, PHASE_HOOK, PHASE_EXPORT };

struct script_call_ctx {
	struct script *s;
	enum script_event ev;
	struct script_flow *sf;
	enum call_phase phase;
};

static bool event_has_message(enum script_event ev)
{
	return ev == SCRIPT_EV_WEBSOCKET_MESSAGE || ev == SCRIPT_EV_TCP_MESSAGE ||
	       ev == SCRIPT_EV_UDP_MESSAGE;
}

/* Fills slots 3..5 with the flow object, the current message and the
 * tls_clienthello data (nil where the event has none). */
static void call_prepare(lua_State *L, struct script_call_ctx *c)
{
	struct script *s = c->s;

	if (!c->sf) {
		lua_settop(L, 5);
		return;
	}
	c->phase = PHASE_IMPORT;
	s->serial++;
	s->cur = c->sf;
	script_push_flow(L, s, c->sf, event_has_message(c->ev));
	if (c->ev == SCRIPT_EV_TLS_CLIENTHELLO) {
		const struct script_flow *sf = c->sf;

		lua_rawgeti(L, LUA_REGISTRYINDEX, s->hello_ref);
		lua_pushvalue(L, 3);
		if (sf->hello_sni)
			lua_pushstring(L, sf->hello_sni);
		else
			lua_pushnil(L);
		if (sf->hello_alpn) {
			lua_createtable(L, (int)sf->hello_nalpn, 0);
			for (size_t i = 0; i < sf->hello_nalpn; i++) {
				lua_pushstring(L, sf->hello_alpn[i]);
				lua_rawseti(L, -2, (lua_Integer)(i + 1));
			}
		} else {
			lua_pushnil(L);
		}
		lua_call(L, 3, 1);
	} else {
		lua_pushnil(L);
	}
}

/* Pushes the hook and its arguments; returns their count. */
static int call_push_args(lua_State *L, struct script_call_ctx *c)
{
	lua_pushvalue(L, 2);
	if (!c->sf) {
		if (c->ev != SCRIPT_EV_CONFIGURE)
			return 0;
		lua_newtable(L); /* updated: the options that changed (none yet) */
		return 1;
	}
	if (c->ev == SCRIPT_EV_TLS_CLIENTHELLO) {
		lua_pushvalue(L, 5);
		return 1;
	}
	lua_pushvalue(L, 3);
	if (!event_has_message(c->ev))
		return 1;
	lua_pushvalue(L, 4);
	return 2;
}

static int script_l_call(lua_State *L)
{
	struct script_call_ctx *c = lua_touserdata(L, 1);
	int nargs;

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->s->hook_ref[c->ev]);
	call_prepare(L, c);
	nargs = call_push_args(L, c);
	c->phase = PHASE_HOOK;
	script_budget_reset(c->s);
	lua_call(L, nargs, 0);
	if (!c->sf)
		return 0;
	c->phase = PHASE_EXPORT;
	script_budget_reset(c->s);
	lua_settop(L, 5);
	script_write_back(L, c->s, c->sf, 3, 4, 5);
	return 0;
}

/* An import that ran out of memory: the flow's fault when it is big. */
static int call_import_nomem(struct script *s, enum script_event ev, struct script_flow *sf)
{
	size_t need = snare__flow__get_packed_size(sf->flow);

	if (need <= s->mem_limit / 2) {
		s->trip = SCRIPT_TRIP_MEMORY;
		return script_disable(s);
	}
	script_logf(s, LOG_LVL_WARN,
		    "%s: the flow (%zu bytes) does not fit in the script's memory; hook skipped",
		    script_event_name(ev), need);
	return -E2BIG;
}

int script_call(struct script *s, enum script_event ev, struct script_flow *sf)
{
	struct script_call_ctx c = {.s = s, .ev = ev, .sf = sf, .phase = PHASE_HOOK};
	int rc;

	if (s->disabled)
		return -ECANCELED;
	if (!script_wants(s, ev))
		return 0;
	lua_settop(s->L, 0);
	lua_pushcfunction(s->L, script_l_call);
	lua_pushlightuserdata(s->L, &c);
	s->importing = false;
	rc = lua_pcall(s->L, 1, 0, 0);
	s->cur = NULL;
	if (rc == LUA_OK)
		return 0;
	if (rc == LUA_ERRMEM && (c.phase == PHASE_IMPORT || s->importing) &&
	    s->trip == SCRIPT_TRIP_NONE && sf) {
		lua_settop(s->L, 0);
		return call_import_nomem(s, ev, sf);
	}
	if (rc == LUA_ERRMEM)
		s->trip = SCRIPT_TRIP_MEMORY;
	if (s->trip != SCRIPT_TRIP_NONE)
		return script_disable(s);
	script_logf(s, LOG_LVL_WARN, "%s: %s", script_event_name(ev),
		    lua_type(s->L, -1) == LUA_TSTRING ? lua_tostring(s->L, -1)
						      : "error object is not a string");
	lua_settop(s->L, 0);
	return -EINVAL;
}

void script_flow_init(struct script_flow *sf, Snare__Flow *flow)
{
	memset(sf, 0, sizeof(*sf));
	sf->flow = flow;
	flowedit_init(&sf->edits);
}

void script_flow_release(struct script_flow *sf)
{
	flowedit_free(&sf->edits);
	sf->comment = NULL;
}
