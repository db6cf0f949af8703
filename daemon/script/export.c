/* Runs in the worker: the checked canonical table the prelude's export
 * made from the script's flow object, compared with the flow record and
 * written back into it.  Everything is staged first (memory owned by the
 * script_flow's edits) and a Lua error raised before the record changes,
 * so a bad value leaves the flow as it was. */
#include <string.h>

#include "dns/dns.h"
#include "script/script_int.h"

struct wb {
	struct script_flow *sf;
	struct flowedit *e;
	unsigned changed;
	Snare__HttpRequest req; /* staged copy, when SCRIPT_CH_REQUEST */
	Snare__HttpResponse *resp;
	Snare__DnsMessage *dns;
	ProtobufCBinaryData msg;
	bool marked;
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

static bool wb_bool(lua_State *L, const char *k)
{
	bool v;

	lua_getfield(L, -1, k);
	v = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return v;
}

static bool same_str(const char *cur, const char *v, size_t len)
{
	return cur && strlen(cur) == len && memcmp(cur, v, len) == 0;
}

static bool wb_string(lua_State *L, struct wb *w, const char *k, char **field)
{
	size_t len;
	const char *v = script_field_str(L, k, &len);

	if (!v || same_str(*field, v, len))
		return false;
	*field = flowedit_strndup(w->e, v, len);
	return true;
}

static bool wb_content(lua_State *L, struct wb *w, ProtobufCBinaryData *c, protobuf_c_boolean *has)
{
	size_t len;
	const char *v = script_field_str(L, "content", &len);

	if (!v || (*has && c->len == len && (len == 0 || memcmp(c->data, v, len) == 0)))
		return false;
	*c = flowedit_bytes(w->e, v, len);
	*has = 1;
	return true;
}

static bool same_headers(lua_State *L, Snare__Header *const *h, size_t n)
{
	if (lua_rawlen(L, -1) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		const ProtobufCBinaryData *b = i % 2 ? &h[i / 2]->value : &h[i / 2]->name;
		size_t len;
		const char *v;

		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		v = lua_tolstring(L, -1, &len);
		lua_pop(L, 1);
		if (!v || len != b->len || (len && memcmp(v, b->data, len)))
			return false;
	}
	return true;
}

static bool wb_headers(lua_State *L, struct wb *w, Snare__Header ***hs, size_t *n)
{
	size_t k;
	bool changed;

	lua_getfield(L, -1, "headers");
	changed = lua_istable(L, -1) && !same_headers(L, *hs, *n);
	if (changed) {
		k = lua_rawlen(L, -1) / 2;
		*hs = NULL;
		*n = 0;
		for (size_t i = 0; i < k; i++) {
			size_t nl, vl;
			const char *name, *value;

			lua_rawgeti(L, -1, (lua_Integer)(2 * i + 1));
			lua_rawgeti(L, -2, (lua_Integer)(2 * i + 2));
			name = lua_tolstring(L, -2, &nl);
			value = lua_tolstring(L, -1, &vl);
			if (!name || !value || memchr(name, 0, nl))
				luaL_error(L, "headers: bad header at %d", (int)i + 1);
			flowedit_header_add(w->e, hs, n, name, value, vl);
			lua_pop(L, 2);
		}
	}
	lua_pop(L, 1);
	return changed;
}

static void wb_request(lua_State *L, struct wb *w)
{
	Snare__HttpRequest *r = &w->req;
	bool ch = false, hp = false, hd;
	lua_Integer port;

	lua_getfield(L, -1, "request");
	if (!lua_istable(L, -1) || !w->sf->flow->request) {
		lua_pop(L, 1);
		return;
	}
	*r = *w->sf->flow->request;
	ch |= wb_string(L, w, "method", &r->method);
	ch |= wb_string(L, w, "scheme", &r->scheme);
	hp |= wb_string(L, w, "host", &r->host);
	ch |= wb_string(L, w, "path", &r->path);
	ch |= wb_string(L, w, "http_version", &r->http_version);
	ch |= wb_string(L, w, "authority", &r->authority);
	port = script_field_int(L, "port", r->port);
	if (port != r->port || !r->has_port) {
		hp |= port != r->port;
		r->port = port;
		r->has_port = 1;
	}
	hd = wb_headers(L, w, &r->headers, &r->n_headers);
	ch |= wb_content(L, w, &r->content, &r->has_content);
	if (hp && !hd)
		flowedit_request_set_host(w->e, r, r->host, r->port);
	if (ch || hp || hd)
		w->changed |= SCRIPT_CH_REQUEST;
	lua_pop(L, 1);
}

static void wb_response(lua_State *L, struct wb *w)
{
	Snare__HttpResponse *old = w->sf->flow->response, *r;
	bool ch = false;
	lua_Integer status;

	lua_getfield(L, -1, "response");
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	r = flowedit_alloc(w->e, sizeof(*r));
	if (old)
		*r = *old;
	else
		snare__http_response__init(r);
	ch |= wb_string(L, w, "http_version", &r->http_version);
	ch |= wb_string(L, w, "reason", &r->reason);
	status = script_field_int(L, "status_code", r->status_code);
	if (status != r->status_code || !r->has_status_code) {
		ch = true;
		r->status_code = status;
		r->has_status_code = 1;
	}
	ch |= wb_headers(L, w, &r->headers, &r->n_headers);
	ch |= wb_content(L, w, &r->content, &r->has_content);
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

static void wb_message(lua_State *L, struct wb *w)
{
	Snare__Flow *f = w->sf->flow;
	Snare__Message *m = f->n_messages ? f->messages[f->n_messages - 1] : NULL;
	ProtobufCBinaryData c;
	protobuf_c_boolean has;

	lua_getfield(L, -1, "message");
	if (lua_istable(L, -1) && m) {
		c = m->content;
		has = m->has_content;
		if (wb_content(L, w, &c, &has)) {
			w->msg = c;
			w->changed |= SCRIPT_CH_MESSAGE;
		}
		if (wb_bool(L, "dropped"))
			w->changed |= SCRIPT_CH_DROP;
	}
	lua_pop(L, 1);
}

void script_write_back(lua_State *L, struct script_flow *sf)
{
	struct wb w = {.sf = sf, .e = &sf->edits};
	size_t len;
	const char *comment;

	luaL_checkstack(L, 8, "write back");
	wb_request(L, &w);
	wb_response(L, &w);
	wb_message(L, &w);
	script_wb_dns(L, sf, &w.dns);
	if (w.dns)
		w.changed |= SCRIPT_CH_DNS_RESPONSE;
	if (wb_bool(L, "killed"))
		w.changed |= SCRIPT_CH_KILL;
	if (wb_bool(L, "ignore_connection"))
		w.changed |= SCRIPT_CH_IGNORE_TLS;
	w.marked = wb_bool(L, "marked");
	if (w.marked != sf->marked)
		w.changed |= SCRIPT_CH_MARKED;
	comment = script_field_str(L, "comment", &len);
	if (comment && !same_str(sf->comment, comment, len)) {
		w.comment = flowedit_strndup(w.e, comment, len);
		w.changed |= SCRIPT_CH_COMMENT;
	}
	/* Nothing below raises: commit. */
	if (w.changed & SCRIPT_CH_REQUEST)
		*sf->flow->request = w.req;
	if (w.resp && sf->flow->response)
		*sf->flow->response = *w.resp;
	else if (w.resp)
		sf->flow->response = w.resp;
	if (w.dns && sf->flow->dns_response)
		*sf->flow->dns_response = *w.dns;
	else if (w.dns)
		sf->flow->dns_response = w.dns;
	if (w.changed & SCRIPT_CH_MESSAGE) {
		sf->flow->messages[sf->flow->n_messages - 1]->content = w.msg;
		sf->flow->messages[sf->flow->n_messages - 1]->has_content = 1;
	}
	sf->marked = w.marked;
	if (w.changed & SCRIPT_CH_COMMENT)
		sf->comment = w.comment;
	sf->changed |= w.changed;
}
