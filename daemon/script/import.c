/* Runs in the worker: a flow record as the canonical Lua table the
 * prelude's import turns into the flow object (man/snare-scripting.7).
 * Plain tables only, so no script code runs while it is built. */
#include <string.h>

#include "script/script_int.h"

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

static void put_conn(lua_State *L, const char *k, const Snare__Connection *c)
{
	if (!c)
		return;
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
	lua_setfield(L, -2, k);
}

/* Headers as a flat list: name1, value1, name2, value2, ... */
static void put_headers(lua_State *L, Snare__Header *const *h, size_t n)
{
	lua_createtable(L, (int)(2 * n), 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushlstring(L, (const char *)h[i]->name.data, h[i]->name.len);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
		lua_pushlstring(L, (const char *)h[i]->value.data, h[i]->value.len);
		lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
	}
	lua_setfield(L, -2, "headers");
}

static void put_request(lua_State *L, const Snare__HttpRequest *r)
{
	if (!r)
		return;
	lua_newtable(L);
	put_str(L, "method", r->method);
	put_str(L, "scheme", r->scheme);
	put_str(L, "host", r->host);
	if (r->has_port)
		put_int(L, "port", r->port);
	put_str(L, "path", r->path);
	put_str(L, "http_version", r->http_version);
	put_str(L, "authority", r->authority);
	put_headers(L, r->headers, r->n_headers);
	if (r->has_content)
		put_bytes(L, "content", &r->content);
	put_bool(L, "stream", r->has_content_streamed && r->content_streamed);
	if (r->has_timestamp_start)
		lua_pushnumber(L, r->timestamp_start), lua_setfield(L, -2, "timestamp_start");
	lua_setfield(L, -2, "request");
}

static void put_response(lua_State *L, const Snare__HttpResponse *r)
{
	if (!r)
		return;
	lua_newtable(L);
	put_str(L, "http_version", r->http_version);
	if (r->has_status_code)
		put_int(L, "status_code", r->status_code);
	put_str(L, "reason", r->reason);
	put_headers(L, r->headers, r->n_headers);
	if (r->has_content)
		put_bytes(L, "content", &r->content);
	put_bool(L, "stream", r->has_content_streamed && r->content_streamed);
	lua_setfield(L, -2, "response");
}

static const char *const message_kinds[] = {"raw", "text", "binary"};

static void put_messages(lua_State *L, Snare__Message *const *m, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 4);
		put_bytes(L, "content", &m[i]->content);
		put_bool(L, "from_client", m[i]->from_client);
		put_str(L, "kind",
			m[i]->kind < ARRAY_SIZE(message_kinds) ? message_kinds[m[i]->kind] : "raw");
		lua_pushnumber(L, m[i]->timestamp);
		lua_setfield(L, -2, "timestamp");
		lua_rawseti(L, -2, (lua_Integer)(i + 1));
	}
	lua_setfield(L, -2, "messages");
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

static void put_dns(lua_State *L, const char *k, const Snare__DnsMessage *m)
{
	if (!m)
		return;
	lua_newtable(L);
	put_int(L, "id", m->id);
	put_int(L, "opcode", m->opcode);
	put_int(L, "rcode", m->rcode);
	put_records(L, "questions", m->questions, m->n_questions, true);
	put_records(L, "answers", m->answers, m->n_answers, false);
	lua_setfield(L, -2, k);
}

static const char *const flow_types[] = {"http", "tcp", "udp", "dns"};

void script_push_flow(lua_State *L, const struct script_flow *sf)
{
	const Snare__Flow *f = sf->flow;

	luaL_checkstack(L, 8, "flow");
	lua_newtable(L);
	put_str(L, "id", f->id);
	put_str(L, "type",
		(unsigned)f->type < ARRAY_SIZE(flow_types) ? flow_types[f->type] : "http");
	put_str(L, "error", f->error);
	put_bool(L, "websocket", f->websocket);
	put_bool(L, "marked", sf->marked);
	put_str(L, "comment", sf->comment);
	put_conn(L, "client_conn", f->client);
	put_conn(L, "server_conn", f->server);
	put_request(L, f->request);
	put_response(L, f->response);
	put_messages(L, f->messages, f->n_messages);
	put_dns(L, "dns_request", f->dns_request);
	put_dns(L, "dns_response", f->dns_response);
}
