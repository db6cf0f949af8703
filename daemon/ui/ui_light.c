/* Runs in the ui: the light flow a summary rebuilds (ui_light.h).  Every
 * field a summary-only filter operator reads (daemon/filter/ops.c) is
 * either rebuilt here or makes ui_light_ok refuse the flow; the unit test
 * test_ui_light compares both paths.  Flows are the coordinator's word. */
#include <stdlib.h>
#include <string.h>

#include "core/unconst.h"
#include "ui/ui_light.h"

#define ADDR_HOST_MAX 256 /* longer hosts may be cut in the 300-byte address text */

struct light {
	Snare__Flow f;
	Snare__HttpRequest q;
	Snare__HttpResponse r;
	Snare__Connection client, server;
	Snare__Address client_peer, server_peer, dst;
	Snare__DnsMessage dq, dr;
	Snare__DnsRecord question;
	Snare__DnsRecord *questions[1];
	char client_host[300], server_host[300], dst_host[300];
};

static bool short_str(const char *s)
{
	return s == NULL || strnlen(s, UI_STR_MAX) < UI_STR_MAX;
}

static bool addr_ok(const Snare__Address *a)
{
	return a == NULL || a->host == NULL ||
	       (strnlen(a->host, ADDR_HOST_MAX + 1) <= ADDR_HOST_MAX &&
		(a->has_port || a->port == 0));
}

static bool request_ok(const Snare__HttpRequest *q)
{
	char *pretty;
	bool same;

	if (q == NULL)
		return true;
	if (!short_str(q->method) || !short_str(q->scheme) || !short_str(q->host) ||
	    !short_str(q->path) || (q->has_port && q->port > 65535))
		return false;
	pretty = filter_pretty_host(q);
	same = strcmp(pretty, q->host ? q->host : "") == 0;
	free(pretty);
	return same;
}

bool ui_light_ok(const Snare__Flow *f)
{
	const Snare__DnsMessage *d = f->dns_request;

	switch (f->type) {
	case SNARE__FLOW__TYPE__HTTP:
		if (!request_ok(f->request) || (f->response && f->response->has_status_code &&
						f->response->status_code > 65535))
			return false;
		break;
	case SNARE__FLOW__TYPE__DNS:
		if (d && d->n_questions > 0 && d->questions[0] && !short_str(d->questions[0]->name))
			return false;
		break;
	case SNARE__FLOW__TYPE__TCP:
	case SNARE__FLOW__TYPE__UDP:
		break;
	default:
		return false;
	}
	if (f->websocket && !f->has_websocket)
		return false;
	/* the summary keeps is_replay as one of mitmproxy's two values */
	if (f->is_replay && f->is_replay[0] && strcmp(f->is_replay, "request") != 0 &&
	    strcmp(f->is_replay, "response") != 0)
		return false;
	return addr_ok(f->client ? f->client->peer : NULL) &&
	       addr_ok(f->server ? f->server->peer : NULL) &&
	       addr_ok(f->server ? f->server->address : NULL);
}

/* The inverse of ui_summary.c's "host:port" ("[host]:port" when the host
 * has a colon) into a, with its host in buf. */
static Snare__Address *addr_parse(const char *text, Snare__Address *a, char *buf, size_t len)
{
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);

	snare__address__init(a);
	if (n >= len)
		n = len - 1;
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']' && memchr(text + 1, ':', n - 2)) {
		text++;
		n -= 2;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	a->host = buf;
	a->has_port = true;
	a->port = colon ? (uint32_t)strtoul(colon + 1, NULL, 10) : 0;
	return a;
}

/* The light flow points into the summary's strings; it is only read. */
#define STR(which) unconst(v[which])

static void build_http(const char *const *v, const struct ui_sum *m, struct light *l)
{
	if (m->flags & UI_F_REQ) {
		snare__http_request__init(&l->q);
		l->q.method = STR(UI_S_METHOD);
		l->q.scheme = STR(UI_S_SCHEME);
		l->q.host = STR(UI_S_HOST);
		l->q.path = STR(UI_S_PATH);
		l->q.has_port = (m->flags & UI_F_PORT) != 0;
		l->q.port = m->port;
		l->f.request = &l->q;
	}
	if (m->flags & UI_F_RESP) {
		snare__http_response__init(&l->r);
		l->r.has_status_code = (m->flags & UI_F_STATUS) != 0;
		l->r.status_code = m->status;
		l->f.response = &l->r;
	}
	l->f.has_websocket = l->f.websocket = m->kind == UI_WEBSOCKET;
}

static void build_dns(const char *const *v, const struct ui_sum *m, struct light *l)
{
	if (m->flags & UI_F_REQ) {
		snare__dns_message__init(&l->dq);
		l->f.dns_request = &l->dq;
		snare__dns_record__init(&l->question);
		if ((l->question.name = STR(UI_S_DNS)) != NULL) {
			l->questions[0] = &l->question;
			l->dq.questions = l->questions;
			l->dq.n_questions = 1;
		}
	}
	if (m->flags & UI_F_RESP) {
		snare__dns_message__init(&l->dr);
		l->f.dns_response = &l->dr;
	}
}

static void build_conns(const char *const *v, struct light *l)
{
	const char *c = STR(UI_S_CLIENT), *p = STR(UI_S_SERVER);
	const char *d = STR(UI_S_DST);

	snare__connection__init(&l->client);
	snare__connection__init(&l->server);
	l->f.client = &l->client;
	l->f.server = &l->server;
	if (c)
		l->client.peer = addr_parse(c, &l->client_peer, l->client_host, 300);
	if (p)
		l->server.peer = addr_parse(p, &l->server_peer, l->server_host, 300);
	if (d)
		l->server.address = addr_parse(d, &l->dst, l->dst_host, 300);
}

static void build(const struct ui_store *s, size_t i, struct light *l)
{
	static const Snare__Flow__Type types[] = {
	    [UI_HTTP] = SNARE__FLOW__TYPE__HTTP, [UI_WEBSOCKET] = SNARE__FLOW__TYPE__HTTP,
	    [UI_TCP] = SNARE__FLOW__TYPE__TCP,	 [UI_UDP] = SNARE__FLOW__TYPE__UDP,
	    [UI_DNS] = SNARE__FLOW__TYPE__DNS,
	};
	const struct ui_sum *m = ui_store_sum(s, i);
	const char *v[UI_S_COUNT];

	ui_store_strs(s, i, v);
	snare__flow__init(&l->f);
	l->f.type = types[m->kind < ARRAY_SIZE(types) ? m->kind : UI_HTTP];
	l->f.has_type = true;
	l->f.error = STR(UI_S_ERROR);
	l->f.is_replay = m->replay == UI_REPLAY_REQUEST	   ? "request"
			 : m->replay == UI_REPLAY_RESPONSE ? "response"
							   : NULL;
	if (l->f.type == SNARE__FLOW__TYPE__HTTP)
		build_http(v, m, l);
	else if (l->f.type == SNARE__FLOW__TYPE__DNS)
		build_dns(v, m, l);
	build_conns(v, l);
}

bool ui_light_match(const struct ui_store *s, size_t i, const struct filter *f)
{
	struct filter_extra x = {.marked = ui_store_sum(s, i)->flags & UI_F_MARKED};
	Snare__Flow *flow;
	struct light l;
	bool m;

	if (ui_store_sum(s, i)->flags & UI_F_LIGHT) {
		build(s, i, &l);
		return filter_match(f, &l.f, &x);
	}
	if ((flow = ui_store_load(s, i)) == NULL)
		return false;
	m = filter_match(f, flow, &x);
	snare__flow__free_unpacked(flow, NULL);
	return m;
}
