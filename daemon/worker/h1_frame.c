/* Runs in a worker: what the HTTP/1.1 framings share (h1_frame.h).  The
 * peer's body bytes are untrusted (daemon/http1/chunked.c checks them); the
 * fields written are the engine's, checked here against splitting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "worker/h1_frame.h"

#define H1F_TAIL_MAX (HTTP1_CHUNK_LINE_MAX + HTTP1_TRAILER_MAX_BYTES + 16)

static const char *const conn_fields[] = {
    "connection",     "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    "http2-settings", "te",
};

bool h1f_name_is(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

bool h1f_conn_specific(const struct h2_field *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(conn_fields); i++)
		if (h1f_name_is(f, conn_fields[i]))
			return true;
	return false;
}

bool h1f_fields_ok(const struct h2_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!http1_token_ok(f[i].name, f[i].name_len) ||
		    !http1_value_ok(f[i].value, f[i].value_len))
			return false;
	return true;
}

int h1f_put(struct buf *b, const char *p, size_t n)
{
	return buf_append(b, p, n);
}

int h1f_put_field(struct buf *b, const struct h2_field *f)
{
	return h1f_put(b, f->name, f->name_len) | h1f_put(b, ": ", 2) |
	       h1f_put(b, f->value, f->value_len) | h1f_put(b, "\r\n", 2);
}

int h1f_put_data(struct buf *b, bool chunked, const uint8_t *p, size_t n)
{
	char head[H1F_CHUNK_HEAD];
	int r = 0;

	if (chunked) {
		snprintf(head, sizeof(head), "%zx\r\n", n);
		r |= h1f_put(b, head, strlen(head));
	}
	r |= buf_append(b, p, n);
	if (chunked)
		r |= h1f_put(b, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

int h1f_put_last_chunk(struct buf *b, const struct h2_field *t, size_t n)
{
	int r = h1f_put(b, "0\r\n", 3);

	for (size_t i = 0; i < n; i++)
		if (!h1f_conn_specific(&t[i]) && !h1f_name_is(&t[i], "content-length") &&
		    !h1f_name_is(&t[i], "host") && h1f_fields_ok(&t[i], 1))
			r |= h1f_put_field(b, &t[i]);
	r |= h1f_put(b, "\r\n", 2);
	return r ? -ENOBUFS : 0;
}

size_t h1f_room(const struct buf *b, size_t max)
{
	size_t room = max - (buf_len(b) < max ? buf_len(b) : max);

	return room <= H1F_CHUNK_HEAD ? 0 : room - H1F_CHUNK_HEAD;
}

/* ---- reading a body ---- */

void h1f_body_init(struct h1f_body *b, void (*on_data)(void *, const uint8_t *, size_t),
		   void (*on_trailers)(void *, const struct hf_field *, size_t), void *arg)
{
	*b = (struct h1f_body){.on_data = on_data, .on_trailers = on_trailers, .arg = arg};
	buf_init(&b->tail, H1F_TAIL_MAX);
}

void h1f_body_free(struct h1f_body *b)
{
	buf_free(&b->tail);
}

void h1f_body_start(struct h1f_body *b, enum http1_body kind, uint64_t len)
{
	b->kind = kind;
	b->left = len;
	b->unconsumed = 0;
	b->done = false;
	http1_chunked_init(&b->ch);
	buf_reset(&b->tail);
}

bool h1f_body_empty(const struct h1f_body *b)
{
	return b->kind == HTTP1_BODY_NONE || (b->kind == HTTP1_BODY_LENGTH && b->left == 0);
}

void h1f_body_consume(struct h1f_body *b, size_t n)
{
	b->unconsumed -= n < b->unconsumed ? n : b->unconsumed;
}

static void chunk_piece(void *arg, const uint8_t *d, size_t n)
{
	struct h1f_body *b = arg;

	buf_reset(&b->tail);
	b->data_end = d + n;
	b->unconsumed += n;
	b->on_data(b->arg, d, n);
}

/* The trailer fields at the end of a chunked body: the tail holds the CRLF
 * after the last payload, the last chunk's size line, then the fields (the
 * decoder checked their syntax and size). */
static void deliver_trailers(struct h1f_body *b)
{
	const char *p = (const char *)buf_ptr(&b->tail), *end = p + buf_len(&b->tail);
	struct h2_field fl[HTTP1_TRAILER_MAX_COUNT];
	struct h2_msg m;
	size_t n = 0;

	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	p = memchr(p, '\n', (size_t)(end - p)); /* the "0" size line */
	while (p && ++p < end && *p != '\r' && *p != '\n' && n < ARRAY_SIZE(fl)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *ve;

		colon = eol ? memchr(p, ':', (size_t)(eol - p)) : NULL;
		if (colon == NULL)
			break;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		fl[n++] = (struct h2_field){p, (size_t)(colon - p), v, (size_t)(ve - v)};
		p = eol;
	}
	if (n == 0)
		return;
	h2_msg_init(&m);
	if (h2_map_fields_from_h1(&m, fl, n) == 0 && m.nfields > 0)
		b->on_trailers(b->arg, (const struct hf_field *)(const void *)m.fields, m.nfields);
	h2_msg_free(&m);
}

static int feed_chunked(struct h1f_body *b, struct buf *in, size_t n)
{
	const uint8_t *p = buf_ptr(in);
	size_t used = 0;
	const uint8_t *from;

	b->data_end = NULL;
	if (http1_chunked_feed(&b->ch, p, n, &used, chunk_piece, b) != HTTP1_OK)
		return -1;
	from = b->data_end && b->data_end <= p + used ? b->data_end : p;
	if (buf_append(&b->tail, from, (size_t)(p + used - from)) < 0)
		buf_reset(&b->tail); /* the decoder bounds trailers; never here */
	buf_consume(in, used);
	if (b->ch.done) {
		deliver_trailers(b);
		b->done = true;
	}
	return used > 0;
}

int h1f_body_feed(struct h1f_body *b, struct buf *in)
{
	size_t n = buf_len(in), win = H1F_WINDOW - b->unconsumed;

	if (b->done || b->unconsumed >= H1F_WINDOW || n == 0)
		return 0;
	if (n > win)
		n = win;
	if (b->kind == HTTP1_BODY_CHUNKED)
		return feed_chunked(b, in, n);
	if (b->kind == HTTP1_BODY_LENGTH && n > b->left)
		n = (size_t)b->left;
	b->unconsumed += n;
	b->on_data(b->arg, buf_ptr(in), n);
	buf_consume(in, n);
	if (b->kind == HTTP1_BODY_LENGTH && (b->left -= n) == 0)
		b->done = true;
	return 1;
}

/* ---- a side ---- */

static void side_data(void *arg, const uint8_t *p, size_t n)
{
	struct h1f_side *s = arg;

	s->ev.on_data(s->eng, s->sid, p, n);
}

static void side_trailers(void *arg, const struct hf_field *t, size_t n)
{
	struct h1f_side *s = arg;

	s->ev.on_trailers(s->eng, s->sid, t, n);
}

void h1f_side_init(struct h1f_side *s, const struct hf_limits *lim, const struct hf_events *ev,
		   void *eng, size_t out_max)
{
	s->ev = *ev;
	s->eng = eng;
	http1_limits_default(&s->lim);
	if (lim && lim->max_head_bytes)
		s->lim.max_head_bytes = lim->max_head_bytes;
	if (lim && lim->max_fields && lim->max_fields <= HTTP1_MAX_HEADERS_CAP)
		s->lim.max_headers = lim->max_fields;
	buf_init(&s->out, 2 * out_max + s->lim.max_head_bytes);
	h1f_body_init(&s->body, side_data, side_trailers, s);
	s->sid = 0;
	s->next_sid = 1;
	s->rh = NULL;
}

void h1f_side_free(struct h1f_side *s)
{
	buf_free(&s->out);
	h1f_body_free(&s->body);
	free(s->rh);
	s->rh = NULL;
}
