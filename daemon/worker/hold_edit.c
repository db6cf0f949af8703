/* Runs in a worker: intercept's edits (hold_http_int.h), applied when a
 * held flow is resumed with a change from the web interface.  The edited
 * flow is untrusted: header names must be non-empty without CR, LF, NUL,
 * space or colon, values and the reason without CR, LF or NUL, the method
 * and path without spaces; a body that was held gets a Content-Length of
 * its new size, a head held without its body keeps the original framing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "worker/conn.h"
#include "worker/hold_http_int.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

static bool text_ok(const uint8_t *p, size_t n, bool spaces)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0' || (!spaces && p[i] == ' '))
			return false;
	return true;
}

static bool str_text_ok(const char *s, bool spaces)
{
	return s && s[0] && text_ok((const uint8_t *)s, strlen(s), spaces);
}

static bool is_framing(const ProtobufCBinaryData *nm)
{
	return (nm->len == 14 && strncasecmp((const char *)nm->data, "content-length", 14) == 0) ||
	       (nm->len == 17 && strncasecmp((const char *)nm->data, "transfer-encoding", 17) == 0);
}

/* The headers; without `framing` Content-Length and Transfer-Encoding are
 * left out (the caller writes its own).  -EINVAL for a header that would
 * break the message. */
static int put_headers(struct buf *b, Snare__Header *const *hv, size_t n, bool framing)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const ProtobufCBinaryData *nm = &hv[i]->name, *v = &hv[i]->value;

		if (nm->len == 0 || !text_ok(nm->data, nm->len, false) ||
		    memchr(nm->data, ':', nm->len) || !text_ok(v->data, v->len, true))
			return -EINVAL;
		if (!framing && is_framing(nm))
			continue;
		r |= buf_append(b, nm->data, nm->len);
		r |= buf_append(b, ": ", 2);
		r |= buf_append(b, v->data, v->len);
		r |= buf_append(b, "\r\n", 2);
	}
	return r ? -ENOBUFS : 0;
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

/* client.in with the held body replaced by `body`. */
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
 * and port move the destination) and, when the body was held, its body. */
int hold_request_edit(struct conn *c, const Snare__HttpRequest *rq)
{
	struct hold_http *h = c->http->held;
	bool body = h->req_body && rq->has_content;
	struct http_msg tmp = {0};
	struct buf b;
	double ts = c->http->req.ts_start;
	int r;

	if (!str_text_ok(rq->method, false) || !str_text_ok(rq->path, false))
		return -EINVAL;
	buf_init(&b, STREAM_BUF_MAX);
	r = buf_append(&b, rq->method, strlen(rq->method)) | buf_append(&b, " ", 1) |
	    buf_append(&b, rq->path, strlen(rq->path)) |
	    buf_append(&b, c->http->req.head->version_minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n",
		       11);
	r = r ? -ENOBUFS : put_headers(&b, rq->headers, rq->n_headers, false);
	if (r == 0 && h->req_body)
		r = put_length(&b, body ? rq->content.len : h->req_len);
	else if (r == 0)
		r = put_framing(&b, c->http->req.head);
	/* The new head must parse before anything of the old request changes:
	 * a refused edit leaves the held request as it was. */
	if (r == 0)
		r = http_take_head(&tmp, &b, buf_len(&b), true, false) == HTTP1_OK ? 0 : -EPROTO;
	if (r == 0 && body && (r = request_body_swap(c, h->req_len, &rq->content)) == 0)
		h->req_len = rq->content.len;
	if (r == 0) {
		http_msg_clear(&c->http->req);
		c->http->req = tmp;
		c->http->req.ts_start = ts;
	} else {
		http_msg_clear(&tmp);
	}
	buf_free(&b);
	if (r == 0 && str_text_ok(rq->host, false) && strcmp(rq->host, c->host) != 0)
		conn_set_str(&c->host, rq->host);
	if (r == 0 && rq->has_port && rq->port > 0 && rq->port < 65536)
		c->port = (uint16_t)rq->port;
	return r;
}

/* The edited response replaces the collected one: status, reason, headers
 * and body (the old body when the edit has none), framed by Content-Length;
 * a response held with its head only keeps its own framing and body. */
int hold_response_edit(struct conn *c, const Snare__HttpResponse *rs)
{
	struct http_msg *m = &c->http->resp;
	bool head_only = c->http->held->resp_head;
	struct buf b, body;
	double t0 = m->ts_start, t1 = m->ts_end;
	char line[200];
	int r;

	if ((rs->reason && !text_ok((const uint8_t *)rs->reason, strlen(rs->reason), true)) ||
	    (rs->has_status_code && (rs->status_code < 200 || rs->status_code > 999)))
		return -EINVAL;
	buf_init(&b, STREAM_BUF_MAX);
	buf_init(&body, FLOW_BODY_KEEP);
	snprintf(line, sizeof(line), "HTTP/1.1 %u %.100s\r\n",
		 rs->has_status_code ? rs->status_code : (unsigned)m->head->status,
		 rs->reason ? rs->reason : "");
	r = buf_append(&b, line, strlen(line)) ? -ENOBUFS
					       : put_headers(&b, rs->headers, rs->n_headers, false);
	if (r == 0 && !head_only)
		r = rs->has_content
			? buf_append(&body, rs->content.data, rs->content.len)
			: buf_append(&body, buf_ptr(&m->body.keep), buf_len(&m->body.keep));
	if (r == 0)
		r = head_only ? put_framing(&b, m->head) : put_length(&b, buf_len(&body));
	if (r == 0) {
		http_msg_clear(m);
		r = http_take_head(m, &b, buf_len(&b), false, false) == HTTP1_OK &&
			    http1_response_body(m->head, c->http->req.head->method) == HTTP1_OK
			? 0
			: -EPROTO;
	}
	if (r == 0) {
		h1_body_init(&m->body, m->head->body, m->head->content_length);
		if (!head_only) {
			r = buf_append(&m->body.keep, buf_ptr(&body), buf_len(&body));
			m->body.total = buf_len(&body);
			m->body.done = true;
		}
		m->ts_start = t0;
		m->ts_end = t1;
	}
	buf_free(&b);
	buf_free(&body);
	return r;
}
