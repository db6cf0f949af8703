/* Runs in the worker: a flow record as the flow object a hook sees
 * (man/snare-scripting.7), built straight into tables with the prelude's
 * metatables.  Connections, an HTTP request and response and the message
 * list are made only when the script reads them (Flow.__index calls script_l_lazy), and only during
 * the call the object was made for. */
#include <string.h>

#include "script/script_int.h"

static char serial_key, message_key; /* private keys of the flow object */

static void put_str(lua_State *L, const char *k, const char *v)
{
	if (!v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void put_bytes(lua_State *L, const char *k, const ProtobufCBinaryData *b)
{
	lua_pushlstring(L, (const char *)b->data, b->len);
	lua_setfield(L, -2, k);
}

static void put_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void put_bool(lua_State *L, const char *k, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

static void set_meta(lua_State *L, int ref)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_setmetatable(L, -2);
}

static void put_addr(lua_State *L, const char *k, const Snare__Address *a)
{
	if (!a)
		return;
	lua_createtable(L, 2, 2);
	put_str(L, "host", a->host);
	if (a->has_port)
		put_int(L, "port", a->port);
	lua_getfield(L, -1, "host");
	lua_rawseti(L, -2, 1);
	lua_getfield(L, -1, "port");
	lua_rawseti(L, -2, 2);
	lua_setfield(L, -2, k);
}

static void push_conn(lua_State *L, const Snare__Connection *c)
{
	if (!c) {
		lua_pushnil(L);
		return;
	}
	lua_newtable(L);
	put_str(L, "id", c->id);
	put_addr(L, "peername", c->peer);
	put_addr(L, "sockname", c->sock);
	put_addr(L, "address", c->address);
	put_addr(L, "via", c->via);
	put_str(L, "proxy_mode", c->proxy_mode);
	if (c->tls) {
		put_bool(L, "tls", true);
		put_str(L, "sni", c->tls->sni);
		put_str(L, "alpn", c->tls->alpn);
		put_str(L, "tls_version", c->tls->version);
		put_str(L, "cipher", c->tls->cipher);
	}
	if (c->has_pid)
		put_int(L, "pid", c->pid);
	put_str(L, "process_name", c->process_name);
}

/* A headers object: name1, value1, name2, value2, ... */
static void put_headers(lua_State *L, int mt, Snare__Header *const *h, size_t n)
{
	lua_createtable(L, (int)(2 * n), 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushlstring(L, (const char *)h[i]->name.data, h[i]->name.len);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
		lua_pushlstring(L, (const char *)h[i]->value.data, h[i]->value.len);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
	}
	set_meta(L, mt);
	lua_setfield(L, -2, "headers");
}

/* What a request and a response share: headers, content (NULL: none), the
 * stream flag; then the metatable.  The table stays on the stack. */
static void put_message_end(lua_State *L, const struct script *s, Snare__Header *const *h,
			    size_t nh, const ProtobufCBinaryData *content, bool streamed, int mt)
{
	put_headers(L, s->headers_mt, h, nh);
	if (content)
		put_bytes(L, "content", content);
	put_bool(L, "stream", streamed);
	set_meta(L, mt);
}

/* Pushes the request object, or nil. */
static void push_request(lua_State *L, const struct script *s, const Snare__HttpRequest *r)
{
	if (!r) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 12);
	put_str(L, "method", r->method);
	put_str(L, "scheme", r->scheme);
	put_str(L, "host", r->host);
	if (r->has_port)
		put_int(L, "port", r->port);
	put_str(L, "path", r->path);
	put_str(L, "http_version", r->http_version);
	put_str(L, "authority", r->authority);
	if (r->has_timestamp_start)
		lua_pushnumber(L, r->timestamp_start), lua_setfield(L, -2, "timestamp_start");
	put_message_end(L, s, r->headers, r->n_headers, r->has_content ? &r->content : NULL,
			r->has_content_streamed && r->content_streamed, s->request_mt);
}

static void push_response(lua_State *L, const struct script *s, const Snare__HttpResponse *r)
{
	if (!r) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 8);
	put_str(L, "http_version", r->http_version);
	if (r->has_status_code)
		put_int(L, "status_code", r->status_code);
	put_str(L, "reason", r->reason);
	put_message_end(L, s, r->headers, r->n_headers, r->has_content ? &r->content : NULL,
			r->has_content_streamed && r->content_streamed, s->response_mt);
}

static const char *const message_kinds[] = {"raw", "text", "binary"};

static void push_message(lua_State *L, const struct script *s, const Snare__Message *m)
{
	lua_createtable(L, 0, 4);
	put_bytes(L, "content", &m->content);
	put_bool(L, "from_client", m->from_client);
	put_str(L, "kind",
		(unsigned)m->kind < ARRAY_SIZE(message_kinds) ? message_kinds[m->kind] : "raw");
	lua_pushnumber(L, m->timestamp);
	lua_setfield(L, -2, "timestamp");
	set_meta(L, s->message_mt);
}

/* Records as arrays: {name, type, class[, ttl, display, rdata]}. */
static void put_records(lua_State *L, const char *k, Snare__DnsRecord *const *r, size_t n,
			bool question)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 6, 0);
		lua_pushstring(L, r[i]->name ? r[i]->name : "");
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, r[i]->type);
		lua_rawseti(L, -2, 2);
		lua_pushinteger(L, r[i]->has_class_ ? r[i]->class_ : 1);
		lua_rawseti(L, -2, 3);
		if (!question) {
			lua_pushinteger(L, r[i]->ttl);
			lua_rawseti(L, -2, 4);
			lua_pushstring(L, r[i]->display ? r[i]->display : "");
			lua_rawseti(L, -2, 5);
			lua_pushlstring(L, (const char *)r[i]->data.data, r[i]->data.len);
			lua_rawseti(L, -2, 6);
		}
		lua_rawseti(L, -2, (lua_Integer)(i + 1));
	}
	lua_setfield(L, -2, k);
}

/* A DNS message through the prelude's dns_import (DNS flows are small). */
static void put_dns(lua_State *L, const struct script *s, const char *k, const Snare__DnsMessage *m)
{
	if (!m)
		return;
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->dns_import_ref);
	lua_createtable(L, 0, 5);
	put_int(L, "id", m->id);
	put_int(L, "opcode", m->opcode);
	put_int(L, "rcode", m->rcode);
	put_records(L, "questions", m->questions, m->n_questions, true);
	put_records(L, "answers", m->answers, m->n_answers, false);
	lua_call(L, 1, 1);
	lua_setfield(L, -2, k);
}

static const char *const flow_types[] = {"http", "tcp", "udp", "dns"};

void script_push_flow(lua_State *L, struct script *s, const struct script_flow *sf,
		      bool with_message)
{
	const Snare__Flow *f = sf->flow;

	luaL_checkstack(L, 12, "flow");
	lua_createtable(L, 0, 12);
	put_str(L, "id", f->id);
	put_str(L, "type",
		(unsigned)f->type < ARRAY_SIZE(flow_types) ? flow_types[f->type] : "http");
	put_str(L, "error", f->error);
	put_bool(L, "websocket", f->websocket);
	put_bool(L, "marked", sf->marked);
	put_bool(L, "intercepted", sf->intercepted);
	put_str(L, "comment", sf->comment);
	lua_pushinteger(L, s->serial);
	lua_rawsetp(L, -2, &serial_key);
	if (f->type == SNARE__FLOW__TYPE__DNS) {
		put_dns(L, s, "request", f->dns_request);
		put_dns(L, s, "response", f->dns_response);
	} /* an HTTP request and response are made when first read (lazy) */
	set_meta(L, s->flow_mt);
	if (!with_message || !f->n_messages) {
		lua_pushnil(L);
		return;
	}
	push_message(L, s, f->messages[f->n_messages - 1]);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, -3, &message_key);
}

static int lazy_push(lua_State *L);

/* lazy(flow, key): client_conn, server_conn, request, response or messages
 * of the flow in the current call; nil for an object kept from an earlier
 * call.  Running out of memory here is the flow's size, not the script's
 * doing (script_call tells them apart by s->importing). */
int script_l_lazy(lua_State *L)
{
	void *ud;
	struct script *s;
	int n;

	lua_getallocf(L, &ud);
	s = ud;
	s->importing = true;
	n = lazy_push(L);
	s->importing = false;
	return n;
}

static int lazy_push(lua_State *L)
{
	void *ud;
	struct script *s;
	const char *k = luaL_checkstring(L, 2);
	const Snare__Flow *f;

	lua_getallocf(L, &ud);
	s = ud;
	luaL_checktype(L, 1, LUA_TTABLE);
	if (lua_rawgetp(L, 1, &serial_key) != LUA_TNUMBER || lua_tointeger(L, -1) != s->serial ||
	    !s->cur) {
		lua_pushnil(L);
		return 1;
	}
	f = s->cur->flow;
	if (strcmp(k, "client_conn") == 0 || strcmp(k, "server_conn") == 0) {
		if (s->cur->fill_conns) {
			void (*fill)(struct script_flow *) = s->cur->fill_conns;

			s->cur->fill_conns = NULL;
			fill(s->cur);
		}
		push_conn(L, k[0] == 'c' ? f->client : f->server);
		return 1;
	}
	if (strcmp(k, "request") == 0 || strcmp(k, "response") == 0) {
		if (f->type == SNARE__FLOW__TYPE__DNS)
			lua_pushnil(L); /* DNS messages are made with the flow */
		else if (k[2] == 'q')
			push_request(L, s, f->request);
		else
			push_response(L, s, f->response);
		return 1;
	}
	lua_createtable(L, (int)f->n_messages, 0);
	for (size_t i = 0; i < f->n_messages; i++) {
		if (i + 1 == f->n_messages && lua_rawgetp(L, 1, &message_key) != LUA_TNIL) {
			lua_rawseti(L, -2, (lua_Integer)(i + 1));
			break;
		}
		if (i + 1 == f->n_messages)
			lua_pop(L, 1);
		push_message(L, s, f->messages[i]);
		lua_rawseti(L, -2, (lua_Integer)(i + 1));
	}
	return 1;
}
