/* Runs in a worker: intercept's edits (hold_http_int.h).  An edit from the
 * web interface is checked when it arrives (hold_edit_check: the new head
 * is built and parsed, then thrown away) and refused with a reason, the
 * held flow unchanged; a saved edit is applied on resume.  The edited flow
 * is untrusted: header names must be tokens, values, the reason and the
 * host without controls, the method a token, the path a target without
 * spaces; a body only where one was held.  A held body gets a
 * Content-Length of its new size, a head held without its body keeps the
 * original framing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hold/hold.h"
#include "http1/http1.h"
#include "worker/conn.h"
#include "worker/h1_headers.h"
#include "worker/hold_http_int.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

/* An optional string: absent, empty (left as it was) or what ok accepts. */
static bool str_ok(const char *s, bool (*ok)(const char *p, size_t n))
{
	return s == NULL || s[0] == '\0' || ok(s, strlen(s));
}

static int refuse(const char **why, const char *text, int rc)
{
	*why = text;
	return rc;
}

static int headers_check(Snare__Header *const *hv, size_t n, const char **why)
{
	for (size_t i = 0; i < n; i++)
		if (!http1_token_ok((const char *)hv[i]->name.data, hv[i]->name.len) ||
		    !http1_value_ok((const char *)hv[i]->value.data, hv[i]->value.len))
			return refuse(why,
				      "a header name is not a token or a value holds a control",
				      -EINVAL);
	return 0;
}

static int request_fields(const Snare__HttpRequest *rq, const char **why)
{
	if (rq == NULL)
		return refuse(why, "the edit has no request", -EINVAL);
	if (!str_ok(rq->method, http1_token_ok))
		return refuse(why, "the method is not a token", -EINVAL);
	if (!str_ok(rq->path, http1_target_ok) || !str_ok(rq->host, http1_target_ok))
		return refuse(why, "the path or host holds a space or a control", -EINVAL);
	return headers_check(rq->headers, rq->n_headers, why);
}

static int response_fields(const Snare__HttpResponse *rs, const char **why)
{
	if (rs == NULL)
		return refuse(why, "the edit has no response", -EINVAL);
	if (rs->has_status_code && (rs->status_code < 200 || rs->status_code > 999))
		return refuse(why, "the status is not 200..999", -EINVAL);
	if (!str_ok(rs->reason, http1_value_ok))
		return refuse(why, "the reason holds a control", -EINVAL);
	return headers_check(rs->headers, rs->n_headers, why);
}

int hold_edit_fields(const Snare__Flow *ed, enum hold_phase phase, const char **why)
{
	return phase == HOLD_REQUEST ? request_fields(ed->request, why)
				     : response_fields(ed->response, why);
}

static const Snare__HttpRequest *req_of(const Snare__Flow *f)
{
	return f ? f->request : NULL;
}

static const Snare__HttpResponse *resp_of(const Snare__Flow *f)
{
	return f ? f->response : NULL;
}

int hold_edit_h2_check(const Snare__Flow *held, enum hold_phase phase, const Snare__Flow *ed,
		       const char **why)
{
	bool up = phase == HOLD_REQUEST;
	bool streamed = up ? req_of(held) && req_of(held)->content_streamed
			   : resp_of(held) && resp_of(held)->content_streamed;
	bool body =
	    up ? req_of(ed) && req_of(ed)->has_content : resp_of(ed) && resp_of(ed)->has_content;
	int rc = hold_edit_fields(ed, phase, why);

	if (rc == 0 && streamed && body)
		rc = refuse(why, "the body streams after the resume: it cannot be edited", -EINVAL);
	return rc;
}

/* Why the HTTP/1 parser refused the head we built from the edit. */
static const char *parse_why(int rc)
{
	static const struct {
		int rc;
		const char *why;
	} whys[] = {
	    {HTTP1_E_TOO_LARGE, "the edited head is larger than max_header_bytes"},
	    {HTTP1_E_TOO_MANY, "the edited head has more header fields than max_headers"},
	    {HTTP1_E_SMUGGLE, "the edited head's framing headers conflict"},
	    {HTTP1_E_VERSION, "the edited head's version is not HTTP/1.x"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(whys); i++)
		if (whys[i].rc == rc)
			return whys[i].why;
	return "the edited head does not parse";
}

static int put_length(struct buf *b, size_t n)
{
	char line[64];

	snprintf(line, sizeof(line), "content-length: %zu\r\n\r\n", n);
	return buf_append(b, line, strlen(line)) ? -ENOBUFS : 0;
}

/* The original message's framing headers (Content-Length,
 * Transfer-Encoding), then the blank line: for a head held without its
 * body, whose body still follows as framed. */
static int put_framing(struct buf *b, const struct http1_head *hd)
{
	int r = 0;

	for (size_t i = 0; i < hd->nheaders; i++) {
		const struct http1_header *h = &hd->headers[i];

		if (!http1_str_ieq(h->name, "content-length") &&
		    !http1_str_ieq(h->name, "transfer-encoding"))
			continue;
		r |= buf_append(b, h->name.p, h->name.n) | buf_append(b, ": ", 2) |
		     buf_append(b, h->value.p, h->value.n) | buf_append(b, "\r\n", 2);
	}
	r |= buf_append(b, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

/* The head in b parsed into tmp (tmp is the caller's to clear either way):
 * 0, or -E2BIG when b overflowed (r), -EPROTO when it does not parse. */
static int head_take(struct conn *c, int r, struct buf *b, struct http_msg *tmp, bool request,
		     const char **why)
{
	int p;

	if (r)
		return refuse(why, "the edited head is larger than 64 KiB", -E2BIG);
	p = http_take_head(tmp, b, buf_len(b), request, false);
	if (p == HTTP1_OK && !request)
		p = http1_response_body(tmp->head, c->http->req.head->method);
	return p == HTTP1_OK ? 0 : refuse(why, parse_why(p), -EPROTO);
}

/* The edited request's head, parsed into tmp: 0 or -errno with *why. */
static int request_build(struct conn *c, const Snare__HttpRequest *rq, struct http_msg *tmp,
			 const char **why)
{
	const struct hold_http *h = c->http->held;
	size_t rest = buf_len(&c->client.in) - (h->req_body ? h->req_len : 0);
	struct buf b;
	int r;

	if ((r = request_fields(rq, why)) < 0)
		return r;
	if (!rq->method || !rq->method[0] || !rq->path || !rq->path[0])
		return refuse(why, "the edit has no method or path", -EINVAL);
	if (rq->has_content && !h->req_body)
		return refuse(why, "the request body streams after the resume: it cannot be edited",
			      -EINVAL);
	if (rq->has_content && rq->content.len > c->client.in.max - rest)
		return refuse(why, "the edited body does not fit the client buffer", -E2BIG);
	buf_init(&b, STREAM_BUF_MAX);
	r = buf_append(&b, rq->method, strlen(rq->method)) | buf_append(&b, " ", 1) |
	    buf_append(&b, rq->path, strlen(rq->path)) |
	    buf_append(&b, c->http->req.head->version_minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n",
		       11) |
	    h1_put_headers(&b, rq->headers, rq->n_headers, false);
	if (r == 0)
		r = h->req_body ? put_length(&b, rq->has_content ? rq->content.len : h->req_len)
				: put_framing(&b, c->http->req.head);
	r = head_take(c, r, &b, tmp, true, why);
	buf_free(&b);
	return r;
}

/* The edited response's head, parsed into tmp, and the body it carries
 * (the held one when the edit has none; none for a head held alone). */
static int response_build(struct conn *c, const Snare__HttpResponse *rs, struct http_msg *tmp,
			  struct buf *body, const char **why)
{
	const struct http_msg *m = &c->http->resp;
	bool head_only = c->http->held->resp_head;
	char line[200];
	struct buf b;
	int r;

	if ((r = response_fields(rs, why)) < 0)
		return r;
	if (head_only && rs->has_content)
		return refuse(why,
			      "the response body streams after the resume: it cannot be edited",
			      -EINVAL);
	if (!head_only &&
	    (rs->has_content ? buf_append(body, rs->content.data, rs->content.len)
			     : buf_append(body, buf_ptr(&m->body.keep), buf_len(&m->body.keep))))
		return refuse(why, "the edited body is too large", -E2BIG);
	buf_init(&b, STREAM_BUF_MAX);
	snprintf(line, sizeof(line), "HTTP/1.1 %u %.100s\r\n",
		 rs->has_status_code ? rs->status_code : (unsigned)m->head->status,
		 rs->reason ? rs->reason : "");
	r = buf_append(&b, line, strlen(line)) |
	    h1_put_headers(&b, rs->headers, rs->n_headers, false);
	if (r == 0)
		r = head_only ? put_framing(&b, m->head) : put_length(&b, buf_len(body));
	r = head_take(c, r, &b, tmp, false, why);
	buf_free(&b);
	return r;
}

int hold_edit_check(struct conn *c, enum hold_phase phase, const Snare__Flow *ed, const char **why)
{
	struct http_msg tmp = {0};
	struct buf body;
	int r;

	if (phase == HOLD_REQUEST) {
		r = request_build(c, ed->request, &tmp, why);
	} else {
		buf_init(&body, FLOW_BODY_KEEP);
		r = response_build(c, ed->response, &tmp, &body, why);
		buf_free(&body);
	}
	http_msg_clear(&tmp);
	return r;
}

/* client.in with the held body replaced by `body` (request_build checked
 * that it fits). */
static int request_body_swap(struct conn *c, size_t old, const ProtobufCBinaryData *body)
{
	struct buf nb;

	buf_init(&nb, c->client.in.max);
	if (buf_append(&nb, body->data, body->len) < 0 ||
	    buf_append(&nb, buf_ptr(&c->client.in) + old, buf_len(&c->client.in) - old) < 0) {
		buf_free(&nb);
		return -ENOBUFS;
	}
	buf_free(&c->client.in);
	c->client.in = nb;
	return 0;
}

/* The edited request becomes the head we send (method, path, headers; host
 * and port move the destination) and, when the body was held, its body.
 * The new head is parsed before anything of the old request changes: a
 * refused edit leaves the held request as it was. */
int hold_request_edit(struct conn *c, const Snare__HttpRequest *rq, const char **why)
{
	struct hold_http *h = c->http->held;
	struct http_msg tmp = {0};
	double ts = c->http->req.ts_start;
	int r = request_build(c, rq, &tmp, why);

	if (r == 0 && h->req_body && rq->has_content &&
	    (r = request_body_swap(c, h->req_len, &rq->content)) < 0)
		*why = "the edited body does not fit the client buffer";
	if (r < 0) {
		http_msg_clear(&tmp);
		return r;
	}
	if (h->req_body && rq->has_content)
		h->req_len = rq->content.len;
	http_msg_clear(&c->http->req);
	c->http->req = tmp;
	c->http->req.ts_start = ts;
	if (rq->host && rq->host[0] && strcmp(rq->host, c->host) != 0)
		conn_set_str(&c->host, rq->host);
	if (rq->has_port && rq->port > 0 && rq->port < 65536)
		c->port = (uint16_t)rq->port;
	return 0;
}

/* The edited response replaces the collected one: status, reason, headers
 * and body (the old body when the edit has none), framed by Content-Length;
 * a response held with its head only keeps its own framing and body. */
int hold_response_edit(struct conn *c, const Snare__HttpResponse *rs, const char **why)
{
	struct http_msg *m = &c->http->resp, tmp = {0};
	bool head_only = c->http->held->resp_head;
	double t0 = m->ts_start, t1 = m->ts_end;
	struct buf body;
	int r;

	buf_init(&body, FLOW_BODY_KEEP);
	if ((r = response_build(c, rs, &tmp, &body, why)) < 0) {
		http_msg_clear(&tmp);
		buf_free(&body);
		return r;
	}
	http_msg_clear(m);
	*m = tmp;
	h1_body_init(&m->body, m->head->body, m->head->content_length);
	if (!head_only) {
		/* body fits: both buffers are FLOW_BODY_KEEP */
		r = buf_append(&m->body.keep, buf_ptr(&body), buf_len(&body));
		m->body.total = buf_len(&body);
		m->body.done = true;
	}
	m->ts_start = t0;
	m->ts_end = t1;
	buf_free(&body);
	return r;
}
