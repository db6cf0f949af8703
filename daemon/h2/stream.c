/* Runs in the worker. Per-stream state of an h2 session: made when a stream starts (a request
 * arrives or the owner submits one), freed when libnghttp2 closes it or the session ends. */
#include <stdlib.h>

#include "core/util.h"
#include "h2/h2_int.h"

struct h2_stream *h2_stream_new(struct h2_session *s, int32_t sid)
{
	struct h2_stream *st = xcalloc(1, sizeof(*st));

	st->sid = sid;
	h2_msg_init(&st->in);
	h2_msg_init(&st->trailers_out);
	st->next = s->streams;
	if (s->streams)
		s->streams->prev = st;
	s->streams = st;
	return st;
}

void h2_stream_free(struct h2_session *s, struct h2_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	h2_msg_free(&st->in);
	h2_msg_free(&st->trailers_out);
	free(st->buf);
	free(st);
}

struct h2_stream *h2_stream_find(const struct h2_session *s, int32_t sid)
{
	struct h2_stream *st;

	if (sid <= 0)
		return NULL;
	st = nghttp2_session_get_stream_user_data(s->ng, sid);
	/* A request the client submitted is not a libnghttp2 stream until its HEADERS go out. */
	for (struct h2_stream *x = s->streams; !st && x; x = x->next)
		if (x->sid == sid)
			st = x;
	return st;
}

void h2_stream_set_data(struct h2_session *s, int32_t sid, void *data)
{
	struct h2_stream *st = h2_stream_find(s, sid);

	if (st)
		st->data = data;
}

void *h2_stream_get_data(struct h2_session *s, int32_t sid)
{
	struct h2_stream *st = h2_stream_find(s, sid);

	return st ? st->data : NULL;
}

/* Tells the owner which streams have room again, outside libnghttp2's callbacks. */
void h2_notify_space(struct h2_session *s)
{
	struct h2_stream *st, *next;

	for (st = s->streams; st; st = next) {
		next = st->next;
		if (!st->space_wanted || st->len - st->off >= s->opt.send_buffer)
			continue;
		st->space_wanted = false;
		if (s->cb.on_send_space)
			s->cb.on_send_space(s->owner, st->sid);
	}
}
