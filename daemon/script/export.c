/* Runs in the worker: what a hook left in the flow object, read back
 * without running script code (raw access, metatables compared by
 * identity), checked, compared with the flow record and written into it.
 * Everything is staged first (memory owned by the script_flow's edits)
 * and a Lua error raised before the record changes, so a bad value leaves
 * the flow as it was. */
#include <string.h>

#include "dns/dns.h"
#include "script/script_int.h"

struct wb {
	struct script *s;
	struct script_flow *sf;
	struct flowedit *e;
	unsigned changed;
	Snare__HttpRequest req; /* staged copy, when SCRIPT_CH_REQUEST */
	Snare__HttpResponse *resp;
	Snare__DnsMessage *dns;
	ProtobufCBinaryData msg;
	bool marked;
	bool intercepted;
	const char *comment;
};

const char *script_field_str(lua_State *L, const char *k, size_t *len)
{
	const char *v;

	lua_getfield(L, -1, k);
	v = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
	lua_pop(L, 1); /* the table still holds the string */
	return v;
}

lua_Integer script_field_int(lua_State *L, const char *k, lua_Integer dflt)
{
	lua_Integer v;

	lua_getfield(L, -1, k);
	v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : dflt;
	lua_pop(L, 1);
	return v;
}

/* Pushes obj[k] (raw) and returns its type. */
static int raw_field(lua_State *L, int obj, const char *k)
{
	lua_pushstring(L, k);
	return lua_rawget(L, obj);
}

/* The string on top (a number is turned into one), NULL for nil; any other
 * type is an error naming what.k. */
static const char *top_str(lua_State *L, const char *what, const char *k, size_t *len)
{
	int t = lua_type(L, -1);

	if (t == LUA_TNIL)
		return NULL;
	if (t != LUA_TSTRING && t != LUA_TNUMBER)
		luaL_error(L, "%s.%s: string expected, got %s", what, k, lua_typename(L, t));
	return lua_tolstring(L, -1, len);
}

static bool same_str(const char *cur, const char *v, size_t len)
{
	return cur && strlen(cur) == len && memcmp(cur, v, len) == 0;
}

/* obj.k into *field when it differs (nil leaves the field alone). */
static bool wb_string(lua_State *L, struct wb *w, int obj, const char *what, const char *k,
		      char **field)
{
	size_t len;
	const char *v;
	bool ch = false;

	raw_field(L, obj, k);
	v = top_str(L, what, k, &len);
	if (v && !same_str(*field, v, len)) {
		*field = flowedit_strndup(w->e, v, len);
		ch = true;
	}
	lua_pop(L, 1);
	return ch;
}

static bool wb_content(lua_State *L, struct wb *w, int obj, const char *what,
		       ProtobufCBinaryData *c, protobuf_c_boolean *has)
{
	size_t len;
	const char *v;
	bool ch = false;

	raw_field(L, obj, "content");
	v = top_str(L, what, "content", &len);
	if (v && !(*has && c->len == len && (len == 0 || memcmp(c->data, v, len) == 0))) {
		*c = flowedit_bytes(w->e, v, len);
		*has = 1;
		ch = true;
	}
	lua_pop(L, 1);
	return ch;
}

/* obj.k as an integer lo..hi; dflt when nil. */
static lua_Integer wb_int(lua_State *L, int obj, const char *what, const char *k, lua_Integer lo,
			  lua_Integer hi, lua_Integer dflt)
{
	lua_Integer v = dflt;
	int isint = 0;

	if (raw_field(L, obj, k) != LUA_TNIL) {
		v = lua_tointegerx(L, -1, &isint);
		if (!isint || v < lo || v > hi)
			luaL_error(L, "%s.%s: integer %d..%d expected, got %s", what, k, (int)lo,
				   (int)hi, luaL_tolstring(L, -1, NULL));
	}
	lua_pop(L, 1);
	return v;
}

static bool same_headers(lua_State *L, int h, Snare__Header *const *hs, size_t n)
{
	if (lua_rawlen(L, h) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		const ProtobufCBinaryData *b = i % 2 ? &hs[i / 2]->value : &hs[i / 2]->name;
		size_t len;
		const char *v;

		lua_rawgeti(L, h, (lua_Integer)i + 1);
		v = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
		lua_pop(L, 1);
		if (!v || len != b->len || (len && memcmp(v, b->data, len)))
			return false;
	}
	return true;
}

/* The headers object (or whatever the script put there, through the
 * prelude's mkheaders) on top, into *hs when it differs. */
static bool wb_header_list(lua_State *L, struct wb *w, const char *what, Snare__Header ***hs,
			   size_t *n)
{
	int h = lua_gettop(L);
	size_t k;

	if (!lua_getmetatable(L, h) ||
	    (lua_rawgeti(L, LUA_REGISTRYINDEX, w->s->headers_mt), !lua_rawequal(L, -1, -2))) {
		lua_settop(L, h);
		lua_rawgeti(L, LUA_REGISTRYINDEX, w->s->mkheaders_ref);
		lua_insert(L, h);
		lua_call(L, 1, 1);
	}
	lua_settop(L, h);
	if (same_headers(L, h, *hs, *n))
		return false;
	k = lua_rawlen(L, h) / 2;
	*hs = flowedit_alloc(w->e, (k ? k : 1) * sizeof(**hs));
	*n = k;
	for (size_t i = 0; i < k; i++) {
		size_t nl = 0, vl = 0;
		const char *name, *value;

		lua_rawgeti(L, h, (lua_Integer)(2 * i + 1));
		lua_rawgeti(L, h, (lua_Integer)(2 * i + 2));
		name = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &nl) : NULL;
		value = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &vl) : NULL;
		if (!name || !value || memchr(name, 0, nl))
			luaL_error(L, "%s.headers: bad header at %d", what, (int)i + 1);
		(*hs)[i] = flowedit_header_new(w->e, name, nl, value, vl);
		lua_pop(L, 2);
	}
	return true;
}

static bool wb_headers(lua_State *L, struct wb *w, int obj, const char *what, Snare__Header ***hs,
		       size_t *n)
{
	bool ch = false;

	if (raw_field(L, obj, "headers") != LUA_TNIL)
		ch = wb_header_list(L, w, what, hs, n);
	lua_pop(L, 1);
	return ch;
}

static void wb_request(lua_State *L, struct wb *w, int fi)
{
	static const char what[] = "flow.request";
	Snare__HttpRequest *r = &w->req;
	int o = lua_gettop(L) + 1;
	bool ch = false, hp = false, hd;
	lua_Integer port;

	if (raw_field(L, fi, "request") != LUA_TTABLE || !w->sf->flow->request) {
		lua_pop(L, 1);
		return;
	}
	*r = *w->sf->flow->request;
	ch |= wb_string(L, w, o, what, "method", &r->method);
	ch |= wb_string(L, w, o, what, "scheme", &r->scheme);
	hp |= wb_string(L, w, o, what, "host", &r->host);
	ch |= wb_string(L, w, o, what, "path", &r->path);
	ch |= wb_string(L, w, o, what, "http_version", &r->http_version);
	ch |= wb_string(L, w, o, what, "authority", &r->authority);
	port = wb_int(L, o, what, "port", 0, 65535, r->port);
	if (port != r->port || !r->has_port) {
		hp |= port != r->port;
		r->port = port;
		r->has_port = 1;
	}
	hd = wb_headers(L, w, o, what, &r->headers, &r->n_headers);
	ch |= wb_content(L, w, o, what, &r->content, &r->has_content);
	if (hp && !hd)
		flowedit_request_set_host(w->e, r, r->host, r->port);
	if (ch || hp || hd)
		w->changed |= SCRIPT_CH_REQUEST;
	lua_pop(L, 1);
}

static void wb_response(lua_State *L, struct wb *w, int fi)
{
	static const char what[] = "flow.response";
	Snare__HttpResponse *old = w->sf->flow->response, *r;
	int o = lua_gettop(L) + 1;
	bool ch = false;
	lua_Integer status;

	if (raw_field(L, fi, "response") != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	r = flowedit_alloc(w->e, sizeof(*r));
	if (old)
		*r = *old;
	else
		snare__http_response__init(r);
	ch |= wb_string(L, w, o, what, "http_version", &r->http_version);
	ch |= wb_string(L, w, o, what, "reason", &r->reason);
	status =
	    wb_int(L, o, what, "status_code", 100, 999, r->has_status_code ? r->status_code : 200);
	if (status != r->status_code || !r->has_status_code) {
		ch = true;
		r->status_code = status;
		r->has_status_code = 1;
	}
	ch |= wb_headers(L, w, o, what, &r->headers, &r->n_headers);
	ch |= wb_content(L, w, o, what, &r->content, &r->has_content);
	if (!old) {
		r->has_content_length = 1;
		r->content_length = r->content.len;
		w->changed |= SCRIPT_CH_RESPONSE | SCRIPT_CH_LOCAL_RESPONSE;
	} else if (ch) {
		w->changed |= SCRIPT_CH_RESPONSE;
	}
	if (w->changed & SCRIPT_CH_RESPONSE)
		w->resp = r;
	lua_pop(L, 1);
}

static void wb_message(lua_State *L, struct wb *w, int mi)
{
	Snare__Flow *f = w->sf->flow;
	Snare__Message *m = f->n_messages ? f->messages[f->n_messages - 1] : NULL;
	ProtobufCBinaryData c;
	protobuf_c_boolean has;

	if (!m || !lua_istable(L, mi))
		return;
	c = m->content;
	has = m->has_content;
	if (wb_content(L, w, mi, "message", &c, &has)) {
		w->msg = c;
		w->changed |= SCRIPT_CH_MESSAGE;
	}
	raw_field(L, mi, "dropped");
	if (lua_toboolean(L, -1))
		w->changed |= SCRIPT_CH_DROP;
	lua_pop(L, 1);
}

/* The DNS answer through the prelude's dns_export, which checks it. */
static void wb_dns(lua_State *L, struct wb *w, int fi)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, w->s->dns_export_ref);
	raw_field(L, fi, "response");
	lua_call(L, 1, 1);
	script_wb_dns(L, w->sf, &w->dns);
	lua_pop(L, 1);
	if (w->dns)
		w->changed |= SCRIPT_CH_DNS_RESPONSE;
}

static void wb_flow_fields(lua_State *L, struct wb *w, int fi)
{
	size_t len;
	const char *comment;

	lua_rawgeti(L, LUA_REGISTRYINDEX, w->s->flow_mt); /* flow:kill() sets flow[Flow] */
	if (lua_rawget(L, fi) != LUA_TNIL && lua_toboolean(L, -1))
		w->changed |= SCRIPT_CH_KILL;
	lua_pop(L, 1);
	raw_field(L, fi, "marked");
	w->marked = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (w->marked != w->sf->marked)
		w->changed |= SCRIPT_CH_MARKED;
	raw_field(L, fi, "intercepted"); /* flow:intercept(), flow:resume() */
	w->intercepted = lua_toboolean(L, -1);
	lua_pop(L, 1);
	raw_field(L, fi, "comment");
	comment = top_str(L, "flow", "comment", &len);
	if (comment && !same_str(w->sf->comment, comment, len)) {
		w->comment = flowedit_strndup(w->e, comment, len);
		w->changed |= SCRIPT_CH_COMMENT;
	}
	lua_pop(L, 1);
}

static void wb_commit(struct wb *w)
{
	struct script_flow *sf = w->sf;
	Snare__Flow *f = sf->flow;

	if (w->changed & SCRIPT_CH_REQUEST)
		*f->request = w->req;
	if (w->resp && f->response)
		*f->response = *w->resp;
	else if (w->resp)
		f->response = w->resp;
	if (w->dns && f->dns_response)
		*f->dns_response = *w->dns;
	else if (w->dns)
		f->dns_response = w->dns;
	if (w->changed & SCRIPT_CH_MESSAGE) {
		f->messages[f->n_messages - 1]->content = w->msg;
		f->messages[f->n_messages - 1]->has_content = 1;
	}
	sf->marked = w->marked;
	sf->intercepted = w->intercepted;
	if (w->changed & SCRIPT_CH_COMMENT)
		sf->comment = w->comment;
	sf->changed |= w->changed;
}

void script_write_back(lua_State *L, struct script *s, struct script_flow *sf, int fi, int mi,
		       int hi)
{
	struct wb w = {.s = s, .sf = sf, .e = &sf->edits};

	luaL_checkstack(L, 12, "write back");
	if (sf->flow->type == SNARE__FLOW__TYPE__DNS) {
		wb_dns(L, &w, fi);
	} else {
		wb_request(L, &w, fi);
		wb_response(L, &w, fi);
	}
	wb_message(L, &w, mi);
	wb_flow_fields(L, &w, fi);
	if (lua_istable(L, hi)) {
		raw_field(L, hi, "ignore_connection");
		if (lua_toboolean(L, -1))
			w.changed |= SCRIPT_CH_IGNORE_TLS;
		lua_pop(L, 1);
	}
	/* Nothing below raises. */
	wb_commit(&w);
}
