/* Runs in a worker: the HTTP hooks on HTTP/2 streams (h2_proxy.c) and
 * HTTP/3 exchanges (hooks_h3.c, whose heads say version 30):
 * requestheaders and request (then map_local) before the stream opens on the server,
 * responseheaders and response before the response head goes to the
 * client.  A body the hooks want (hooks_h2_body_cap) is collected by
 * h2_proxy.c first and handed here whole: the hooks see it as content and
 * may change it (the head's Content-Length follows).  Larger bodies
 * stream: the hooks run at the head with content nil, as for a streamed
 * HTTP/1 body (empty when there is none).  What the hooks leave becomes a
 * new head (names lower-cased for HTTP/2), a new body, a local answer, or
 * a kill.  Scripts and both peers' heads are untrusted; the
 * framings check every head they are given. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/worker_ctx.h"

#define H2_ANSWER_MAX (16u << 10)    /* a local answer's body: within any stream window */
#define H3_ANSWER_MAX (1u << 20)     /* ... on HTTP/3: what h3_reverse.c queues for a stream */
#define H2_HOOK_BODY_MAX (64u << 10) /* a body collected for the hooks, as HTTP/1's request */

size_t hooks_h2_body_cap(bool request)
{
	long long lim = wk->opts.stream_large_bodies;
	bool want =
	    script_set_wants(&hooks.scripts, request ? SCRIPT_EV_REQUEST : SCRIPT_EV_RESPONSE);

	for (size_t i = 0; !want && i < hooks.rewrites.n; i++)
		want = hooks.rewrites.v[i].kind == REWRITE_MODIFY_BODY;
	if (!want || !hooks.active)
		return 0;
	return lim >= 0 && (uint64_t)lim < H2_HOOK_BODY_MAX ? (size_t)lim : H2_HOOK_BODY_MAX;
}

/* fields as Snare headers, pointing into them. */
static Snare__Header **headers_of(struct flowedit *e, const struct hf_field *fl, size_t n)
{
	Snare__Header *v = flowedit_alloc(e, (n ? n : 1) * sizeof(*v));
	Snare__Header **pv = flowedit_alloc(e, (n ? n : 1) * sizeof(*pv));

	for (size_t i = 0; i < n; i++) {
		snare__header__init(&v[i]);
		v[i].has_name = v[i].has_value = 1;
		v[i].name.data = (uint8_t *)unconst(fl[i].name);
		v[i].name.len = fl[i].name_len;
		v[i].value.data = (uint8_t *)unconst(fl[i].value);
		v[i].value.len = fl[i].value_len;
		pv[i] = &v[i];
	}
	return pv;
}

/* Snare headers back as fields (names lower-cased), owned by e. */
static struct hf_field *fields_of(struct flowedit *e, Snare__Header *const *h, size_t n)
{
	struct hf_field *f = flowedit_alloc(e, (n ? n : 1) * sizeof(*f));

	for (size_t i = 0; i < n; i++) {
		char *name = flowedit_strndup(e, (const char *)h[i]->name.data, h[i]->name.len);

		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		f[i].name = name;
		f[i].name_len = h[i]->name.len;
		f[i].value = (const char *)h[i]->value.data;
		f[i].value_len = h[i]->value.len;
	}
	return f;
}

/* The flow's http_version for a head: HTTP/3 streams (h3_reverse.c) say so;
 * everything else this file sees is an HTTP/2 stream (heads from an
 * HTTP/1.1 server behind h2_proxy.c included), except the requests of
 * HTTP/1.x clients of h2_proxy.c (h1_server.c), below. */
static char *version_of(const struct hf_head *h)
{
	return (char *)(h->version == 30 ? "HTTP/3" : "HTTP/2.0");
}

/* A request's: its client's own version. */
static char *request_version_of(const struct hf_head *h)
{
	switch (h->version) {
	case 30:
		return (char *)"HTTP/3";
	case 11:
		return (char *)"HTTP/1.1";
	case 10:
		return (char *)"HTTP/1.0";
	default:
		return (char *)"HTTP/2.0";
	}
}

static size_t answer_max(const struct hf_head *h)
{
	return h->version == 30 ? H3_ANSWER_MAX : H2_ANSWER_MAX;
}

/* The message's content: the collected body, or empty when the stream
 * ended with its head, else nil (it streams). */
static void content_of(ProtobufCBinaryData *content, protobuf_c_boolean *has,
		       protobuf_c_boolean *has_streamed, protobuf_c_boolean *streamed,
		       const struct buf *body, bool end)
{
	*has = end || body != NULL;
	*has_streamed = *streamed = !*has;
	if (body && buf_len(body)) {
		content->data = (uint8_t *)unconst(buf_ptr(body));
		content->len = buf_len(body);
	}
}

static Snare__HttpRequest *request_of(struct conn *c, struct flowedit *e, const struct hf_head *h,
				      bool end, const struct buf *body)
{
	Snare__HttpRequest *r = flowedit_alloc(e, sizeof(*r));

	snare__http_request__init(r);
	r->method = flowedit_strdup(e, h->method ? h->method : "GET");
	r->scheme = flowedit_strdup(e, h->scheme ? h->scheme : "https");
	r->authority = flowedit_strdup(e, h->authority ? h->authority : "");
	r->host = unconst(c->host);
	r->has_port = 1;
	r->port = c->port;
	r->path = flowedit_strdup(e, h->path ? h->path : "/");
	r->http_version = request_version_of(h);
	r->headers = headers_of(e, h->fields, h->nfields);
	r->n_headers = h->nfields;
	content_of(&r->content, &r->has_content, &r->has_content_streamed, &r->content_streamed,
		   body, end);
	return r;
}

static Snare__HttpResponse *response_of(struct flowedit *e, const struct hf_head *h, bool end,
					const struct buf *body)
{
	Snare__HttpResponse *r = flowedit_alloc(e, sizeof(*r));

	snare__http_response__init(r);
	r->http_version = version_of(h);
	r->has_status_code = 1;
	r->status_code = (uint32_t)h->status;
	r->reason = (char *)"";
	r->headers = headers_of(e, h->fields, h->nfields);
	r->n_headers = h->nfields;
	content_of(&r->content, &r->has_content, &r->has_content_streamed, &r->content_streamed,
		   body, end);
	return r;
}

/* Both hooks of a head, each with rewrites before and after it (hooks_http.c's
 * order), on sf. */
static unsigned h2_point(struct script_flow *sf, enum script_event ev1, enum rewrite_hook rh1,
			 enum script_event ev2, enum rewrite_hook rh2)
{
	struct filter_extra x = {.marked = sf->marked};
	unsigned ch = 0;
	const unsigned stop = SCRIPT_CH_KILL | SCRIPT_CH_LOCAL_RESPONSE;

	for (int i = 0; i < 2 && !(ch & stop); i++) {
		enum script_event ev = i ? ev2 : ev1;
		enum rewrite_hook rh = i ? rh2 : rh1;

		ch |= rewrite_apply(&hooks.rewrites, rh, REWRITE_BEFORE_SCRIPTS, sf->flow, &x,
				    &sf->edits);
		if (!(ch & stop))
			script_set_call(&hooks.scripts, ev, sf);
		x.marked = sf->marked;
		if (!(sf->changed & SCRIPT_CH_KILL))
			ch |= rewrite_apply(&hooks.rewrites, rh, REWRITE_AFTER_SCRIPTS, sf->flow,
					    &x, &sf->edits);
		ch |= sf->changed;
	}
	return ch;
}

/* headers as fields, framed by our own Content-Length for a body of len
 * bytes when `framed` (any given is dropped); the count in *nout. */
static struct hf_field *fields_framed(struct flowedit *e, Snare__Header *const *h, size_t n,
				      bool framed, size_t len, size_t *nout)
{
	struct hf_field *f = fields_of(e, h, n), *all;
	size_t k = 0;
	char *cl;

	*nout = n;
	if (!framed)
		return f;
	all = flowedit_alloc(e, (n + 1) * sizeof(*all));
	for (size_t i = 0; i < n; i++)
		if (!(f[i].name_len == 14 && memcmp(f[i].name, "content-length", 14) == 0))
			all[k++] = f[i];
	cl = flowedit_alloc(e, 24);
	snprintf(cl, 24, "%zu", len);
	all[k++] = (struct hf_field){"content-length", 14, cl, strlen(cl)};
	*nout = k;
	return all;
}

/* A changed content of a collected body (or a local answer's) is the body
 * to send. */
static bool body_changed(const ProtobufCBinaryData *content, const struct buf *body)
{
	return body &&
	       (content->len != buf_len(body) || (content->len && content->data != buf_ptr(body)));
}

/* The response as a head; with `framed`, its content as the body. */
static void head_of_response(struct hooks_h2_out *o, const Snare__HttpResponse *rs, bool framed)
{
	size_t n;
	struct hf_field *all =
	    fields_framed(&o->sf.edits, rs->headers, rs->n_headers, framed, rs->content.len, &n);

	if (framed) {
		o->body = rs->content.data;
		o->body_len = rs->content.len;
		o->new_body = true;
	}
	o->head = (struct hf_head){.status = rs->has_status_code ? (int)rs->status_code : 200,
				   .version = 20,
				   .fields = all,
				   .nfields = n,
				   .content_length = framed ? (int64_t)rs->content.len : -1};
}

/* o's flow: c's connections, the stream's id and its request. */
static void out_open(struct conn *c, char *id, struct hooks_h2_out *o, const struct hf_head *rq,
		     bool end, const struct buf *body)
{
	o->f = flow_conn_view_id(c, SNARE__FLOW__TYPE__HTTP, id);
	script_flow_init(&o->sf, o->f);
	o->f->request = request_of(c, &o->sf.edits, rq, end, body);
}

enum hooks_h2 hooks_h2_request(struct conn *c, char *id, const struct hf_head *h, bool end,
			       const struct buf *body, struct hooks_h2_out *o)
{
	const Snare__HttpRequest *rq;
	unsigned ch;
	bool nb;

	memset(o, 0, sizeof(*o));
	if (!hooks.want_req)
		return HOOKS_H2_PASS;
	out_open(c, id, o, h, end, body);
	ch = h2_point(&o->sf, SCRIPT_EV_REQUESTHEADERS, REWRITE_REQUESTHEADERS, SCRIPT_EV_REQUEST,
		      REWRITE_REQUEST);
	if (!(ch & (SCRIPT_CH_KILL | SCRIPT_CH_LOCAL_RESPONSE)) && hooks_map_local(&o->sf))
		ch |= SCRIPT_CH_LOCAL_RESPONSE; /* map_local after the scripts, as on HTTP/1 */
	if (ch & SCRIPT_CH_KILL)
		return HOOKS_H2_KILL;
	if ((ch & SCRIPT_CH_LOCAL_RESPONSE) && o->f->response) {
		if (o->f->response->content.len > answer_max(h)) {
			conn_client_log(c, LOG_LVL_WARN,
					"a script's %s local response is larger than %zu KiB; "
					"stream reset",
					version_of(h), answer_max(h) >> 10);
			return HOOKS_H2_KILL;
		}
		head_of_response(o, o->f->response, true);
		return HOOKS_H2_ANSWER;
	}
	o->intercepted = o->sf.intercepted;
	if (!(ch & SCRIPT_CH_REQUEST))
		return HOOKS_H2_PASS;
	rq = o->f->request;
	nb = body_changed(&rq->content, body);
	o->head = *h;
	o->head.method = rq->method;
	o->head.path = rq->path;
	o->head.scheme = rq->scheme;
	if (rq->host && strcmp(rq->host, c->host) != 0) { /* a new host: the authority follows */
		char *a = flowedit_alloc(&o->sf.edits, strlen(rq->host) + 16);

		sprintf(a, "%s:%u", rq->host, (unsigned)rq->port);
		o->head.authority = a;
	}
	o->head.fields = fields_framed(&o->sf.edits, rq->headers, rq->n_headers, nb,
				       rq->content.len, &o->head.nfields);
	if (nb) {
		o->head.content_length = (int64_t)rq->content.len;
		o->body = rq->content.data;
		o->body_len = rq->content.len;
		o->new_body = true;
	}
	return HOOKS_H2_CHANGED;
}

enum hooks_h2 hooks_h2_response(struct conn *c, char *id, const struct hf_head *rqh,
				const struct hf_head *h, bool end, const struct buf *body,
				struct hooks_h2_out *o)
{
	unsigned ch;

	memset(o, 0, sizeof(*o));
	if (!hooks.want_resp)
		return HOOKS_H2_PASS;
	out_open(c, id, o, rqh, false, NULL);
	o->f->response = response_of(&o->sf.edits, h, end, body);
	ch = h2_point(&o->sf, SCRIPT_EV_RESPONSEHEADERS, REWRITE_RESPONSEHEADERS,
		      SCRIPT_EV_RESPONSE, REWRITE_RESPONSE);
	if (ch & SCRIPT_CH_KILL)
		return HOOKS_H2_KILL;
	o->intercepted = o->sf.intercepted;
	if (!(ch & SCRIPT_CH_RESPONSE) || o->f->response == NULL)
		return HOOKS_H2_PASS;
	head_of_response(o, o->f->response, body_changed(&o->f->response->content, body));
	return HOOKS_H2_CHANGED;
}

Snare__Flow *hooks_h2_view(struct conn *c, char *id, const struct hf_head *rq, bool rq_end,
			   const struct buf *rq_body, const struct hf_head *rs, bool rs_end,
			   const struct buf *rs_body, struct hooks_h2_out *o)
{
	memset(o, 0, sizeof(*o));
	out_open(c, id, o, rq, rq_end, rq_body);
	if (rs)
		o->f->response = response_of(&o->sf.edits, rs, rs_end, rs_body);
	return o->f;
}

void hooks_h2_edited_head(struct conn *c, char *id, const Snare__Flow *ed, bool request, bool whole,
			  struct hf_head *h, struct hooks_h2_out *o)
{
	struct flowedit *e;
	const ProtobufCBinaryData *body = NULL;

	memset(o, 0, sizeof(*o));
	out_open(c, id, o, h, false, NULL); /* its arena holds the new head */
	e = &o->sf.edits;
	if (request && ed->request) {
		const Snare__HttpRequest *rq = ed->request;

		if (rq->method && rq->method[0])
			h->method = flowedit_strdup(e, rq->method);
		if (rq->path && rq->path[0])
			h->path = flowedit_strdup(e, rq->path);
		body = whole && rq->has_content ? &rq->content : NULL;
		h->fields = fields_framed(e, rq->headers, rq->n_headers, body != NULL,
					  body ? body->len : 0, &h->nfields);
	} else if (!request && ed->response) {
		const Snare__HttpResponse *rs = ed->response;

		if (rs->has_status_code && rs->status_code >= 200 && rs->status_code <= 999)
			h->status = (int)rs->status_code;
		body = whole && rs->has_content ? &rs->content : NULL;
		h->fields = fields_framed(e, rs->headers, rs->n_headers, body != NULL,
					  body ? body->len : 0, &h->nfields);
	}
	if (body) {
		h->content_length = (int64_t)body->len;
		o->body = body->data;
		o->body_len = body->len;
		o->new_body = true;
	}
}

void hooks_h2_out_free(struct hooks_h2_out *o)
{
	if (o->f == NULL)
		return;
	script_flow_release(&o->sf);
	flow_view_free(o->f);
	o->f = NULL;
}
