/* Runs in a worker: turns a finished exchange or relay into a snare.Flow and
 * sends it to the coordinator, the single writer of output.  Bodies larger
 * than what one IPC frame can carry are recorded by length only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/stream.h"
#include "worker/tls.h"
#include "worker/worker_ctx.h"

#define FLOW_FRAME_BUDGET (IPC_MAX_FRAME - 4096)

/* Flow and connection ids must be unique, not secret: the web interface and
 * its API are behind their own token (ui_access.c) and nothing else takes an
 * id as proof of anything.  So a process-wide generator seeded once from
 * getrandom() makes them, instead of three getrandom() calls per flow: two
 * splitmix64 sequences (a counter through a bijective mixer), seeded apart in
 * each worker process; 122 of the 128 bits vary, as in a random UUID v4. */
static uint64_t id_mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void flow_new_id(char out[37])
{
	static uint64_t seq[2];
	static bool seeded;
	uint8_t r[16];
	uint64_t a, b;

	if (!seeded) {
		if (getrandom(seq, sizeof(seq), 0) != sizeof(seq))
			seq[0] = (uint64_t)getpid() << 32 ^ (uint64_t)(clock_wall() * 1e6);
		seeded = true;
	}
	a = id_mix(&seq[0]);
	b = id_mix(&seq[1]);
	memcpy(r, &a, 8);
	memcpy(r + 8, &b, 8);
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	for (size_t i = 0, o = 0; i < sizeof(r); i++) {
		static const char hex[] = "0123456789abcdef";

		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
		out[o] = 0;
	}
}

/* slot, given a new id on first use: ids that stay the same across the
 * hooks of one flow and its record. */
static char *id_of(char slot[37])
{
	if (!slot[0])
		flow_new_id(slot);
	return slot;
}

/* Storage for one flow's strings and sub-messages (all on the stack of the
 * sender; nothing outlives flow_emit). */
struct flow_parts {
	Snare__Flow f;
	Snare__Connection cc, sc;
	Snare__Address cpeer, csock, speer, saddr;
	Snare__TlsInfo ctls, stls;
	char id[37]; /* a flow that has no id slot of its own (HTTP/2 streams) */
	char h1[INET6_ADDRSTRLEN], h2[INET6_ADDRSTRLEN], h3[INET6_ADDRSTRLEN];
	Snare__HttpRequest rq;
	Snare__HttpResponse rs;
	char method[32], version[16], rversion[16], reason[128], path[4096];
	Snare__Header *hq, *hs;
	Snare__Header **hqp, **hsp;
};

void flow_init_with_id(Snare__Flow *f, char *id, Snare__Flow__Type type, double ts)
{
	snare__flow__init(f);
	f->has_version = f->has_type = f->has_timestamp_created = 1;
	f->version = 1;
	f->type = type;
	f->id = id;
	f->timestamp_created = ts;
}

void flow_init(Snare__Flow *f, char id[37], Snare__Flow__Type type, double ts)
{
	flow_new_id(id);
	flow_init_with_id(f, id, type, ts);
}

void flow_addr_fill(Snare__Address *a, const struct sockaddr *sa, char host[INET6_ADDRSTRLEN])
{
	snare__address__init(a);
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return;
	a->host = addr_format_host(sa, host, INET6_ADDRSTRLEN);
	a->has_port = 1;
	a->port = addr_port(sa);
}

/* ti describing s's TLS session once its handshake is over, else NULL. */
static Snare__TlsInfo *stream_tls_info(const struct stream *s, Snare__TlsInfo *ti)
{
	if (s->ssl == NULL || !s->tls_done)
		return NULL;
	snare__tls_info__init(ti);
	tls_describe(s->ssl, ti);
	return ti;
}

/* The server connection's part of p: srv, named by the id in srv_id. */
static void flow_server_part(struct flow_parts *p, const struct stream *srv, char *srv_id)
{
	p->sc.id = id_of(srv_id);
	flow_addr_fill(&p->speer, &srv->peer.sa, p->h3);
	p->sc.peer = srv->peer.sa.sa_family ? &p->speer : NULL;
	p->sc.has_timestamp_start = srv->ts_start > 0;
	p->sc.timestamp_start = srv->ts_start;
	p->sc.has_timestamp_tls_setup = 0;
	if ((p->sc.tls = stream_tls_info(srv, &p->stls)) != NULL) {
		p->sc.has_timestamp_tls_setup = 1;
		p->sc.timestamp_tls_setup = srv->ts_tls;
	}
}

/* c's connections into p's flow. */
static void flow_conn_parts(struct conn *c, struct flow_parts *p)
{
	snare__connection__init(&p->cc);
	snare__connection__init(&p->sc);
	p->cc.id = id_of(c->id_client);
	flow_addr_fill(&p->cpeer, &c->client.peer.sa, p->h1);
	flow_addr_fill(&p->csock, &c->client.local.sa, p->h2);
	p->cc.peer = &p->cpeer;
	p->cc.sock = &p->csock;
	p->cc.has_timestamp_start = 1;
	p->cc.timestamp_start = c->client.ts_start;
	p->cc.proxy_mode = wk->modes[c->mode_index].full;
	if (c->proc_pid) {
		p->cc.has_pid = 1;
		p->cc.pid = c->proc_pid;
		p->cc.process_name = c->proc_name;
	}
	snare__address__init(&p->saddr);
	p->saddr.host = unconst(c->host);
	p->saddr.has_port = 1;
	p->saddr.port = c->port;
	p->sc.address = &p->saddr;
	flow_server_part(p, &c->server, c->id_server);
	if ((p->cc.tls = stream_tls_info(&c->client, &p->ctls)) != NULL) {
		p->cc.has_timestamp_tls_setup = 1;
		p->cc.timestamp_tls_setup = c->client.ts_tls;
	}
	p->f.client = &p->cc;
	p->f.server = &p->sc;
	p->f.is_replay = unconst(c->replay_mark); /* replay_worker.h */
}

/* p's flow of `type` with the id in slot `id` (made on first use; NULL: a
 * new id of p's own), without its connections. */
static void flow_bare(struct conn *c, struct flow_parts *p, Snare__Flow__Type type, char *id)
{
	if (id == NULL)
		flow_new_id(id = p->id);
	flow_init_with_id(&p->f, id_of(id), type, c->client.ts_start);
}

/* The same with c's connections. */
static void flow_conns(struct conn *c, struct flow_parts *p, Snare__Flow__Type type, char *id)
{
	flow_bare(c, p, type, id);
	flow_conn_parts(c, p);
}

static Snare__Header **headers_fill(const struct http1_head *h, Snare__Header **store, size_t *n)
{
	Snare__Header *v = xcalloc(h->nheaders, sizeof(*v));
	Snare__Header **pv = xcalloc(h->nheaders, sizeof(*pv));
	size_t i;

	for (i = 0; i < h->nheaders; i++) {
		snare__header__init(&v[i]);
		v[i].has_name = v[i].has_value = 1;
		v[i].name.data = unconst(h->headers[i].name.p);
		v[i].name.len = h->headers[i].name.n;
		v[i].value.data = unconst(h->headers[i].value.p);
		v[i].value.len = h->headers[i].value.n;
		pv[i] = &v[i];
	}
	*store = v;
	*n = h->nheaders;
	return pv;
}

static void body_fill(const struct body_xfer *b, ProtobufCBinaryData *content,
		      protobuf_c_boolean *has, uint64_t *len, protobuf_c_boolean *has_len,
		      protobuf_c_boolean *streamed, protobuf_c_boolean *has_streamed)
{
	*has_len = 1;
	*len = b->total;
	if (b->streamed) {
		*has_streamed = *streamed = 1;
		return;
	}
	*has = 1;
	content->data = unconst(buf_ptr(&b->keep));
	content->len = buf_len(&b->keep);
}

/* The body and the timestamps of message m into x, a Snare__HttpRequest or
 * a Snare__HttpResponse (the same field names in both). */
#define MSG_FILL(x, m)                                                                             \
	do {                                                                                       \
		body_fill(&(m)->body, &(x)->content, &(x)->has_content, &(x)->content_length,      \
			  &(x)->has_content_length, &(x)->content_streamed,                        \
			  &(x)->has_content_streamed);                                             \
		(x)->has_timestamp_start = (x)->has_timestamp_end = 1;                             \
		(x)->timestamp_start = (m)->ts_start;                                              \
		(x)->timestamp_end = (m)->ts_end ? (m)->ts_end : (m)->ts_start;                    \
	} while (0)

static void flow_request(struct conn *c, struct flow_parts *p)
{
	const struct http1_head *h = c->http->req.head;
	struct http1_target t;
	struct http1_str path = h->target;

	snare__http_request__init(&p->rq);
	if (path.n > 0 && path.p[0] != '/' && path.p[0] != '*' &&
	    !http1_str_ieq(h->method, "CONNECT") && http1_parse_absolute(path, &t) == 0)
		path = t.path;
	snprintf(p->method, sizeof(p->method), "%.*s", (int)h->method.n, h->method.p);
	snprintf(p->path, sizeof(p->path), "%.*s", (int)path.n, path.p);
	snprintf(p->version, sizeof(p->version), "HTTP/1.%d", h->version_minor);
	p->rq.method = p->method;
	p->rq.scheme = c->http->scheme[0] ? c->http->scheme : (char *)"http";
	p->rq.host = unconst(c->host);
	p->rq.has_port = 1;
	p->rq.port = c->port;
	p->rq.path = http1_str_ieq(h->method, "CONNECT") ? (char *)"" : p->path;
	p->rq.http_version = p->version;
	p->hqp = headers_fill(h, &p->hq, &p->rq.n_headers);
	p->rq.headers = p->hqp;
	MSG_FILL(&p->rq, &c->http->req);
	p->f.request = &p->rq;
}

static void flow_response(struct conn *c, struct flow_parts *p)
{
	const struct http1_head *h = c->http->resp.head;

	snare__http_response__init(&p->rs);
	snprintf(p->rversion, sizeof(p->rversion), "HTTP/1.%d", h->version_minor);
	snprintf(p->reason, sizeof(p->reason), "%.*s", (int)h->reason.n, h->reason.p);
	p->rs.http_version = p->rversion;
	p->rs.has_status_code = 1;
	p->rs.status_code = (uint32_t)h->status;
	p->rs.reason = p->reason;
	p->hsp = headers_fill(h, &p->hs, &p->rs.n_headers);
	p->rs.headers = p->hsp;
	MSG_FILL(&p->rs, &c->http->resp);
	p->f.response = &p->rs;
}

/* Drops bodies until the flow fits in one frame. */
static void flow_fit(Snare__Flow *f)
{
	size_t i;

	if (protobuf_c_message_get_packed_size(&f->base) <= FLOW_FRAME_BUDGET)
		return;
	if (f->request && f->request->has_content) {
		f->request->has_content = 0;
		f->request->has_content_streamed = f->request->content_streamed = 1;
	}
	if (f->response && f->response->has_content) {
		f->response->has_content = 0;
		f->response->has_content_streamed = f->response->content_streamed = 1;
	}
	for (i = 0;
	     i < f->n_messages && protobuf_c_message_get_packed_size(&f->base) > FLOW_FRAME_BUDGET;
	     i++) {
		f->messages[i]->content.len = 0;
		f->messages[i]->has_truncated = f->messages[i]->truncated = 1;
	}
}

/* Sends one body in FlowBody frames ahead of its flow and takes it out of
 * the flow itself; the coordinator puts it back together. */
static void flow_send_parts(const char *id, unsigned part, ProtobufCBinaryData *content,
			    protobuf_c_boolean *has)
{
	size_t off;

	if (!*has || content->len <= FLOW_PART_BYTES / 2)
		return;
	for (off = 0; off < content->len; off += FLOW_PART_BYTES) {
		Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
		Snare__FlowBody fb = SNARE__FLOW_BODY__INIT;
		size_t n =
		    content->len - off < FLOW_PART_BYTES ? content->len - off : FLOW_PART_BYTES;

		fb.flow_id = unconst(id);
		fb.has_part = fb.has_data = 1;
		fb.part = part;
		fb.data.data = content->data + off;
		fb.data.len = n;
		env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW_BODY;
		env.flow_body = &fb;
		if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
			return;
	}
	*has = 0;
}

void flow_send(Snare__Flow *f)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowEvent ev = SNARE__FLOW_EVENT__INIT;

	if (!wk->want_flows)
		return;
	if (f->request)
		flow_send_parts(f->id, 0, &f->request->content, &f->request->has_content);
	if (f->response)
		flow_send_parts(f->id, 1, &f->response->content, &f->response->has_content);
	flow_fit(f);
	ev.flow = f;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW;
	env.flow = &ev;
	if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
		log_debug("cannot send a flow to the coordinator");
}

static void flow_parts_free(struct flow_parts *p)
{
	free(p->hq);
	free(p->hqp);
	free(p->hs);
	free(p->hsp);
}

/* A flow of `type` with c's connections, or NULL when nobody wants flows. */
static struct flow_parts *flow_parts_new(struct conn *c, Snare__Flow__Type type, char *id)
{
	struct flow_parts *p;

	if (!wk->want_flows)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	flow_conns(c, p, type, id);
	return p;
}

/* An HTTP flow with c's connections and request, or NULL when there is no
 * request to record (or nobody wants flows). */
static struct flow_parts *flow_http_begin(struct conn *c)
{
	struct flow_parts *p;

	if (c->http->req.head == NULL || c->http->req.raw == NULL)
		return NULL;
	p = flow_parts_new(c, SNARE__FLOW__TYPE__HTTP, c->http->flow_id);
	if (p)
		flow_request(c, p);
	return p;
}

static void flow_http_end(struct flow_parts *p)
{
	flow_send(&p->f);
	flow_parts_free(p);
	free(p);
}

Snare__Flow *flow_conn_view_id(struct conn *c, Snare__Flow__Type type, char *id_slot)
{
	struct flow_parts *p = xcalloc(1, sizeof(*p));

	flow_conns(c, p, type, id_slot);
	return &p->f;
}

Snare__Flow *flow_conn_view(struct conn *c, Snare__Flow__Type type)
{
	return flow_conn_view_id(c, type, c->id_flow);
}

Snare__Flow *flow_http_view_bare(struct conn *c)
{
	struct flow_parts *p = xcalloc(1, sizeof(*p));

	flow_bare(c, p, SNARE__FLOW__TYPE__HTTP, c->http->flow_id);
	flow_request(c, p);
	if (c->http->resp.head && c->http->resp.raw)
		flow_response(c, p);
	return &p->f;
}

void flow_view_conns(Snare__Flow *f, struct conn *c)
{
	if (f->client == NULL)
		flow_conn_parts(c, (struct flow_parts *)f); /* f is its first member */
}

Snare__Flow *flow_http_view(struct conn *c)
{
	Snare__Flow *f = flow_http_view_bare(c);

	flow_view_conns(f, c);
	return f;
}

void flow_view_free(Snare__Flow *f)
{
	struct flow_parts *p = (struct flow_parts *)f; /* f is its first member */

	flow_parts_free(p);
	free(p);
}

void flow_send_http(struct conn *c, const char *error)
{
	struct flow_parts *p;

	if (error && (!c->http->resp.raw || c->http->local_response))
		hooks_http_error(c, error); /* no response, or our error page */
	p = flow_http_begin(c);

	if (p == NULL)
		return;
	if (c->http->resp.head && c->http->resp.raw)
		flow_response(c, p);
	if (error && !c->http->resp.raw)
		p->f.error = unconst(error);
	flow_http_end(p);
	c->http->flow_sent = true;
}

/* A body that did not complete: recorded as missing, as mitmdump does. */
static void body_missing(protobuf_c_boolean *has, protobuf_c_boolean *has_len,
			 protobuf_c_boolean *has_streamed)
{
	*has = *has_len = *has_streamed = 0;
}

void flow_send_http_error(struct conn *c, const char *error)
{
	struct flow_parts *p;

	hooks_http_error(c, error);
	p = flow_http_begin(c);

	c->http->flow_sent = true;
	if (p == NULL)
		return;
	if (!c->http->req.body.done)
		body_missing(&p->rq.has_content, &p->rq.has_content_length,
			     &p->rq.has_content_streamed);
	if (c->http->resp.head && c->http->resp.raw && !c->http->local_response) {
		flow_response(c, p);
		if (!c->http->resp.body.done)
			body_missing(&p->rs.has_content, &p->rs.has_content_length,
				     &p->rs.has_content_streamed);
	}
	p->f.error = unconst(error);
	flow_http_end(p);
}

void flow_send_tcp(struct conn *c, Snare__Flow *f, const char *error)
{
	struct flow_parts *p = flow_parts_new(c, SNARE__FLOW__TYPE__TCP, c->id_flow);

	if (p == NULL)
		return;
	p->f.n_messages = f->n_messages;
	p->f.messages = f->messages;
	p->f.error = unconst(error);
	flow_send(&p->f);
	free(p);
}

void flow_send_ws(struct conn *c, Snare__Flow *f, const char *error)
{
	struct flow_parts *p = flow_parts_new(c, SNARE__FLOW__TYPE__HTTP, c->http->flow_id);

	if (p == NULL)
		return;
	if (c->http->req.head && c->http->req.raw)
		flow_request(c, p);
	if (c->http->resp.head && c->http->resp.raw)
		flow_response(c, p);
	p->f.has_websocket = p->f.websocket = 1;
	p->f.n_messages = f->n_messages;
	p->f.messages = f->messages;
	p->f.has_websocket_close_code = f->has_websocket_close_code;
	p->f.websocket_close_code = f->websocket_close_code;
	p->f.error = unconst(error);
	flow_send(&p->f);
	flow_parts_free(p);
	free(p);
	c->http->flow_sent = true;
}

/* ---- exchanges described framing-neutrally (HTTP/2 streams) ---- */

static Snare__Header **fields_fill(const struct hf_field *f, size_t n, Snare__Header **store)
{
	Snare__Header *v = xcalloc(n ? n : 1, sizeof(*v));
	Snare__Header **pv = xcalloc(n ? n : 1, sizeof(*pv));
	size_t i;

	for (i = 0; i < n; i++) {
		snare__header__init(&v[i]);
		v[i].has_name = v[i].has_value = 1;
		v[i].name.data = unconst(f[i].name);
		v[i].name.len = f[i].name_len;
		v[i].value.data = unconst(f[i].value);
		v[i].value.len = f[i].value_len;
		pv[i] = &v[i];
	}
	*store = v;
	return pv;
}

/* Storage for the trailers a flow_parts has no room for. */
struct flow_trailers {
	Snare__Header *q, *s;
	Snare__Header **qp, **sp;
};

static void flow_msg_body(const struct flow_msg *m, ProtobufCBinaryData *content,
			  protobuf_c_boolean *has, uint64_t *len, protobuf_c_boolean *has_len,
			  protobuf_c_boolean *streamed, protobuf_c_boolean *has_streamed)
{
	if (m->complete)
		body_fill(m->body, content, has, len, has_len, streamed, has_streamed);
}

/* Fields, trailers, body and timestamps of m into x, a Snare__HttpRequest or
 * a Snare__HttpResponse (the same field names in both); hp/tp get the
 * pointer arrays, hs/ts the headers (the caller frees all four). */
#define FLOW_MSG_FILL(x, m, hp, hs, tp, ts)                                                        \
	do {                                                                                       \
		(hp) = fields_fill((m)->fields, (m)->nfields, &(hs));                              \
		(x)->headers = (hp);                                                               \
		(x)->n_headers = (m)->nfields;                                                     \
		(tp) = fields_fill((m)->trailers, (m)->ntrailers, &(ts));                          \
		(x)->trailers = (tp);                                                              \
		(x)->n_trailers = (m)->ntrailers;                                                  \
		flow_msg_body(m, &(x)->content, &(x)->has_content, &(x)->content_length,           \
			      &(x)->has_content_length, &(x)->content_streamed,                    \
			      &(x)->has_content_streamed);                                         \
		(x)->has_timestamp_start = (x)->has_timestamp_end = 1;                             \
		(x)->timestamp_start = (m)->ts_start;                                              \
		(x)->timestamp_end = (m)->ts_end ? (m)->ts_end : (m)->ts_start;                    \
	} while (0)

static void flow_msg_request(struct conn *c, struct flow_parts *p, struct flow_trailers *t,
			     const struct flow_msg *m)
{
	Snare__HttpRequest *r = &p->rq;

	snare__http_request__init(r);
	snprintf(p->method, sizeof(p->method), "%s", m->method ? m->method : "");
	snprintf(p->path, sizeof(p->path), "%s", m->path ? m->path : "");
	r->method = p->method;
	r->scheme = unconst((m->scheme && m->scheme[0] ? m->scheme : "https"));
	r->host = unconst(c->host);
	r->has_port = 1;
	r->port = c->port;
	r->path = p->path;
	r->http_version = unconst(m->version);
	FLOW_MSG_FILL(r, m, p->hqp, p->hq, t->qp, t->q);
	p->f.request = r;
}

static void flow_msg_response(struct flow_parts *p, struct flow_trailers *t,
			      const struct flow_msg *m)
{
	Snare__HttpResponse *r = &p->rs;

	snare__http_response__init(r);
	r->http_version = unconst(m->version);
	r->has_status_code = 1;
	r->status_code = (uint32_t)m->status;
	r->reason = (char *)"";
	FLOW_MSG_FILL(r, m, p->hsp, p->hs, t->sp, t->s);
	p->f.response = r;
}

void flow_send_msgs(struct conn *c, const struct flow_msg *rq, const struct flow_msg *rs,
		    const char *error)
{
	flow_send_msgs_via(c, NULL, NULL, rq, rs, error);
}

void flow_send_msgs_via(struct conn *c, const struct stream *srv, char *srv_id,
			const struct flow_msg *rq, const struct flow_msg *rs, const char *error)
{
	struct flow_parts *p = flow_parts_new(c, SNARE__FLOW__TYPE__HTTP, rq->id_slot);
	struct flow_trailers t = {0};

	if (p == NULL)
		return;
	if (srv)
		flow_server_part(p, srv, srv_id);
	flow_msg_request(c, p, &t, rq);
	if (rs)
		flow_msg_response(p, &t, rs);
	if (rq->ws) { /* the messages stay the caller's */
		p->f.has_websocket = p->f.websocket = 1;
		p->f.n_messages = rq->ws->n_messages;
		p->f.messages = rq->ws->messages;
		p->f.has_websocket_close_code = rq->ws->has_websocket_close_code;
		p->f.websocket_close_code = rq->ws->websocket_close_code;
	}
	p->f.error = unconst(error);
	flow_send(&p->f);
	free(t.q);
	free(t.qp);
	free(t.s);
	free(t.sp);
	flow_parts_free(p);
	free(p);
}
