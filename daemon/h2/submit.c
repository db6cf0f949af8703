/* Runs in the worker. What the owner sends on an h2 session: heads, bodies through a bounded
 * per-stream buffer that libnghttp2 pulls from (deferred when empty, resumed when fed),
 * trailers, resets, GOAWAY, and the window updates that follow the consumer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "h2/h2_int.h"
#include "core/unconst.h"

/* Headers given to libnghttp2 borrow the owner's strings: it copies them on submit. */
#define NV(n, nl, v, vl) ((nghttp2_nv){unconst(n), unconst(v), (nl), (vl), NGHTTP2_NV_FLAG_NONE})

static size_t build_nv(nghttp2_nv *nv, const struct h2_head *h, char *status)
{
	const char *pseudo[][2] = {{":method", h->method},
				   {":scheme", h->scheme},
				   {":authority", h->authority},
				   {":path", h->path},
				   {":protocol", h->protocol}};
	size_t k = 0;

	if (h->status) {
		snprintf(status, 4, "%03u", (unsigned)h->status % 1000u);
		nv[k++] = NV(":status", 7, status, 3);
	}
	for (size_t i = 0; !h->status && i < ARRAY_SIZE(pseudo); i++)
		if (pseudo[i][1])
			nv[k++] = NV(pseudo[i][0], strlen(pseudo[i][0]), pseudo[i][1],
				     strlen(pseudo[i][1]));
	for (size_t i = 0; i < h->nfields; i++)
		nv[k++] = NV(h->fields[i].name, h->fields[i].name_len, h->fields[i].value,
			     h->fields[i].value_len);
	return k;
}

int32_t h2_submit_head(struct h2_session *s, int32_t sid, const struct h2_head *h, bool end_stream)
{
	nghttp2_nv *nv = xcalloc(h->nfields + 5, sizeof(*nv));
	nghttp2_data_provider dp = {.read_callback = h2_read_body};
	struct h2_stream *st = NULL;
	char status[4];
	size_t k = build_nv(nv, h, status);
	int32_t rv;

	if (s->role == H2_CLIENT) {
		st = h2_stream_new(s, 0);
		st->announced = true;
		st->has_provider = !end_stream;
		rv = nghttp2_submit_request(s->ng, NULL, nv, k, end_stream ? NULL : &dp, st);
		if (rv > 0)
			st->sid = rv;
		else
			h2_stream_free(s, st);
	} else if ((st = h2_stream_find(s, sid)) == NULL) {
		rv = -ENOENT;
	} else if (h->status < 200) {
		rv = nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, sid, NULL, nv, k, NULL);
	} else {
		st->has_provider = !end_stream;
		rv = nghttp2_submit_response(s->ng, sid, nv, k, end_stream ? NULL : &dp);
	}
	free(nv);
	if (rv < 0 && rv != -ENOENT)
		rv = -EINVAL;
	return rv == 0 ? sid : rv;
}

static void resume(struct h2_session *s, struct h2_stream *st)
{
	if (st->deferred) {
		st->deferred = false;
		nghttp2_session_resume_data(s->ng, st->sid);
	}
}

ssize_t h2_submit_data(struct h2_session *s, int32_t sid, const uint8_t *p, size_t n)
{
	struct h2_stream *st = h2_stream_find(s, sid);
	size_t room;

	if (!st || !st->has_provider || st->eof)
		return -EINVAL;
	if (!st->buf)
		st->buf = xmalloc(s->opt.send_buffer);
	if (st->off && st->len + n > s->opt.send_buffer) {
		memmove(st->buf, st->buf + st->off, st->len - st->off);
		st->len -= st->off;
		st->off = 0;
	}
	room = s->opt.send_buffer - st->len;
	if (n > room) {
		n = room;
		st->space_wanted = true;
	}
	if (n) {
		memcpy(st->buf + st->len, p, n);
		st->len += n;
		resume(s, st);
	}
	return (ssize_t)n;
}

int h2_submit_end(struct h2_session *s, int32_t sid, const struct h2_field *trailers, size_t n)
{
	struct h2_stream *st = h2_stream_find(s, sid);

	if (!st || !st->has_provider || st->eof)
		return -EINVAL;
	st->eof = true;
	for (size_t i = 0; i < n; i++)
		if (h2_msg_add(&st->trailers_out, trailers[i].name, trailers[i].name_len,
			       trailers[i].value, trailers[i].value_len) != 0)
			return -EINVAL;
	resume(s, st);
	return 0;
}

static void send_trailers(struct h2_session *s, struct h2_stream *st)
{
	struct h2_head h = h2_msg_head(&st->trailers_out);
	nghttp2_nv *nv = xcalloc(h.nfields + 1, sizeof(*nv));
	char status[4];
	size_t k = build_nv(nv, &h, status);

	nghttp2_submit_trailer(s->ng, st->sid, nv, k);
	free(nv);
}

/* libnghttp2's data source: the stream's buffer. */
ssize_t h2_read_body(nghttp2_session *ng, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
		     nghttp2_data_source *src, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st = h2_stream_find(s, sid);
	size_t n;

	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	n = st->len - st->off;
	if (n > len)
		n = len;
	if (n) {
		memcpy(buf, st->buf + st->off, n);
		st->off += n;
	}
	if (st->off == st->len)
		st->off = st->len = 0;
	if (st->len == 0 && st->reset_after && n == 0) { /* what was queued is out */
		st->reset_after = false;
		st->deferred = true;
		return nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, sid, st->reset_code)
			   ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE
			   : NGHTTP2_ERR_DEFERRED;
	}
	if (st->len == 0 && st->eof) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (st->trailers_out.nfields) {
			*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
			send_trailers(s, st);
		}
	} else if (n == 0) {
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

int h2_submit_reset(struct h2_session *s, int32_t sid, uint32_t code)
{
	return nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, sid, code) ? -EINVAL : 0;
}

int h2_submit_reset_after(struct h2_session *s, int32_t sid, uint32_t code)
{
	struct h2_stream *st = h2_stream_find(s, sid);

	if (!st || !st->has_provider || st->eof || st->len == st->off)
		return h2_submit_reset(s, sid, code);
	st->reset_after = true;
	st->reset_code = code;
	resume(s, st);
	return 0;
}

int h2_submit_goaway(struct h2_session *s, uint32_t code)
{
	int32_t last = nghttp2_session_get_last_proc_stream_id(s->ng);

	if (code != H2_NO_ERROR)
		return nghttp2_session_terminate_session(s->ng, code) ? -EINVAL : 0;
	return nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, last, code, NULL, 0) ? -EINVAL : 0;
}

int h2_consume(struct h2_session *s, int32_t sid, size_t n)
{
	struct h2_stream *st = h2_stream_find(s, sid);

	if (!st)
		return 0; /* closed: its bytes were given back then */
	if (n > st->unconsumed)
		return -EINVAL;
	st->unconsumed -= n;
	return nghttp2_session_consume(s->ng, sid, n) ? -EINVAL : 0;
}
