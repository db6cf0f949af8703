/* Runs in the ui: a flow's summary (the list row of docs/web-api.md) from
 * the whole flow.  Trusts nothing in the flow: absent fields stay absent,
 * strings are cut by the store. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui/ui_light.h"
#include "ui/ui_store.h"

const char *ui_kind_name(unsigned kind)
{
	static const char *const names[] = {"http", "websocket", "tcp", "udp", "dns"};

	return kind < ARRAY_SIZE(names) ? names[kind] : "http";
}

static const char *addr_str(const Snare__Address *a, char *out, size_t len)
{
	if (a == NULL || a->host == NULL)
		return NULL;
	snprintf(out, len, strchr(a->host, ':') ? "[%s]:%u" : "%s:%u", a->host, a->port);
	return out;
}

static unsigned flow_kind(const Snare__Flow *f)
{
	switch (f->type) {
	case SNARE__FLOW__TYPE__TCP:
		return UI_TCP;
	case SNARE__FLOW__TYPE__UDP:
		return UI_UDP;
	case SNARE__FLOW__TYPE__DNS:
		return UI_DNS;
	default:
		return f->websocket ? UI_WEBSOCKET : UI_HTTP;
	}
}

/* The first header called name, copied (bytes fields carry no NUL); the
 * copy lives until the next call (the ui is single-threaded and the store
 * copies summary strings at once). */
static const char *header(Snare__Header *const *h, size_t n, const char *name)
{
	static char val[256];
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (!h[i]->has_name || h[i]->name.len != strlen(name) ||
		    strncasecmp((const char *)h[i]->name.data, name, h[i]->name.len) != 0 ||
		    !h[i]->has_value || memchr(h[i]->value.data, 0, h[i]->value.len) != NULL)
			continue;
		len = h[i]->value.len < sizeof(val) - 1 ? h[i]->value.len : sizeof(val) - 1;
		memcpy(val, h[i]->value.data, len);
		val[len] = '\0';
		return val;
	}
	return NULL;
}

static void sum_http(const Snare__Flow *f, struct ui_sum *m, const char **v)
{
	const Snare__HttpRequest *q = f->request;
	const Snare__HttpResponse *r = f->response;

	if (q) {
		v[UI_S_METHOD] = q->method;
		v[UI_S_SCHEME] = q->scheme;
		v[UI_S_HOST] = q->host;
		v[UI_S_PATH] = q->path;
		v[UI_S_VERSION] = q->http_version;
		m->port = (uint16_t)q->port;
		m->flags |= UI_F_REQ | (q->has_port ? UI_F_PORT : 0);
		m->req_size = q->has_content_length ? q->content_length
			      : q->has_content	    ? q->content.len
						    : 0;
		v[UI_S_CTYPE] = header(q->headers, q->n_headers, "content-type");
	}
	if (r) {
		m->flags |= UI_F_RESP | (r->has_status_code ? UI_F_STATUS : 0);
		m->status = (uint16_t)r->status_code;
		m->resp_size = r->has_content_length ? r->content_length
			       : r->has_content	     ? r->content.len
						     : 0;
		v[UI_S_CTYPE] = header(r->headers, r->n_headers, "content-type");
	}
}

static void sum_messages(const Snare__Flow *f, struct ui_sum *m)
{
	size_t i;

	for (i = 0; i < f->n_messages; i++) {
		uint64_t n = f->messages[i]->has_content ? f->messages[i]->content.len : 0;

		if (f->messages[i]->from_client)
			m->req_size += n;
		else
			m->resp_size += n;
	}
}

static void sum_other(const Snare__Flow *f, struct ui_sum *m, const char **v)
{
	const Snare__Address *a =
	    f->server ? (f->server->address ? f->server->address : f->server->peer) : NULL;

	v[UI_S_SCHEME] = f->type == SNARE__FLOW__TYPE__DNS   ? "dns"
			 : f->type == SNARE__FLOW__TYPE__UDP ? "udp"
							     : "tcp";
	if (a) {
		v[UI_S_HOST] = a->host;
		m->port = (uint16_t)a->port;
	}
	m->flags |= (f->dns_request ? UI_F_REQ : 0) | (f->dns_response ? UI_F_RESP : 0);
	if (f->dns_request && f->dns_request->n_questions > 0 && f->dns_request->questions[0])
		v[UI_S_DNS] = f->dns_request->questions[0]->name;
	sum_messages(f, m);
}

static double start_of(const Snare__Flow *f)
{
	if (f->request && f->request->has_timestamp_start)
		return f->request->timestamp_start;
	if (f->client && f->client->has_timestamp_start)
		return f->client->timestamp_start;
	return f->timestamp_created;
}

static bool end_of(const Snare__Flow *f, double *end)
{
	if (f->response && f->response->has_timestamp_end)
		*end = f->response->timestamp_end;
	else if (f->server && f->server->has_timestamp_end)
		*end = f->server->timestamp_end;
	else if (f->client && f->client->has_timestamp_end)
		*end = f->client->timestamp_end;
	else
		return false;
	return true;
}

/* ~dst's address (the one asked for, else the peer) when its text is not
 * the server peer's. */
static const char *dst_str(const Snare__Connection *s, const char *peer, char *out, size_t len)
{
	const char *d;

	if (s == NULL || s->address == NULL || s->address->host == NULL)
		return NULL;
	d = addr_str(s->address, out, len);
	return peer && strcmp(d, peer) == 0 ? NULL : d;
}

void ui_summarize(const Snare__Flow *f, struct ui_sum *m, const char *v[UI_S_COUNT],
		  struct ui_addrbuf *b)
{
	const size_t addrlen = sizeof(b->client);

	double end;

	memset(m, 0, sizeof(*m));
	m->kind = (uint8_t)flow_kind(f);
	v[UI_S_ID] = f->id;
	if (f->type == SNARE__FLOW__TYPE__HTTP)
		sum_http(f, m, v);
	else
		sum_other(f, m, v);
	if (f->websocket)
		sum_messages(f, m);
	m->messages = (uint32_t)f->n_messages;
	v[UI_S_CLIENT] = f->client ? addr_str(f->client->peer, b->client, addrlen) : NULL;
	v[UI_S_SERVER] = f->server ? addr_str(f->server->peer, b->server, addrlen) : NULL;
	v[UI_S_DST] = dst_str(f->server, v[UI_S_SERVER], b->dst, addrlen);
	if (f->client && (f->client->has_pid || f->client->process_name)) {
		m->flags |= UI_F_PROCESS;
		m->pid = f->client->pid;
		v[UI_S_PROCESS] = f->client->process_name;
	}
	v[UI_S_ERROR] = f->error;
	m->ts_start = start_of(f);
	if (end_of(f, &end) && end >= m->ts_start) {
		m->flags |= UI_F_DURATION;
		m->duration_ms = (end - m->ts_start) * 1000.0;
	}
	if (ui_light_ok(f))
		m->flags |= UI_F_LIGHT;
	if (f->is_replay)
		m->replay = strcmp(f->is_replay, "request") == 0    ? UI_REPLAY_REQUEST
			    : strcmp(f->is_replay, "response") == 0 ? UI_REPLAY_RESPONSE
								    : UI_REPLAY_NONE;
}
