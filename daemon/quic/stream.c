/* Runs in the worker. Raw QUIC streams: opening, queued writes with a per-stream and a
 * per-connection limit (back-pressure through stream_writable), fin, reset, and the write loop's
 * source for them. Streams are kept in a list per connection. Trusts nothing from the peer; ngtcp2
 * enforces the stream limits and flow control. */
#include <errno.h>
#include <stdlib.h>

#include "core/util.h"
#include "quic/quic_int.h"

struct qstream *quic_stream_get(struct quic_conn *c, int64_t id, bool create)
{
	struct qstream *s;

	for (s = c->streams; s; s = s->next)
		if (s->id == id)
			return s;
	if (!create)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->id = id;
	s->next = c->streams;
	c->streams = s;
	return s;
}

static void stream_unlink(struct quic_conn *c, struct qstream *s)
{
	for (struct qstream **pp = &c->streams; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	c->queued -= s->out.queued;
	sbuf_free(&s->out);
	free(s);
}

static void stream_to_tail(struct quic_conn *c, struct qstream *s)
{
	struct qstream **pp = &c->streams;

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	s->next = NULL;
}

void quic_stream_closed(struct quic_conn *c, int64_t id)
{
	struct qstream *s = quic_stream_get(c, id, false);

	if (s)
		stream_unlink(c, s);
}

void quic_stream_free_all(struct quic_conn *c)
{
	while (c->streams)
		stream_unlink(c, c->streams);
}

size_t quic_stream_queue(struct quic_conn *c, struct qstream *s, const uint8_t *p, size_t n,
			 bool end, bool *ended)
{
	size_t room = c->queued < QUIC_CONN_BUF ? QUIC_CONN_BUF - c->queued : 0;
	size_t taken = sbuf_append(&s->out, p, n < room ? n : room, QUIC_STREAM_BUF);

	c->queued += taken;
	if (taken < n && n > room)
		c->conn_blocked = true;
	if (taken < n)
		s->want_writable = true;
	else if (end)
		*ended = true;
	return taken;
}

int quic_stream_open(struct quic_conn *c, bool bidi, int64_t *id)
{
	int r;

	if (c->closed)
		return -ECONNRESET;
	if (c->h3)
		return -EINVAL;
	r = bidi ? ngtcp2_conn_open_bidi_stream(c->conn, id, NULL)
		 : ngtcp2_conn_open_uni_stream(c->conn, id, NULL);
	if (r == NGTCP2_ERR_STREAM_ID_BLOCKED)
		return -EAGAIN;
	if (r != 0)
		return -EINVAL;
	quic_stream_get(c, *id, true);
	return 0;
}

long quic_stream_write(struct quic_conn *c, int64_t id, const uint8_t *p, size_t n, bool fin)
{
	struct qstream *s;
	size_t taken;

	if (c->closed)
		return -ECONNRESET;
	if (c->h3)
		return -EINVAL;
	if ((id & 2) && (bool)(id & 1) != c->server)
		return -EPIPE;		  /* the peer's unidirectional stream: receive only */
	s = quic_stream_get(c, id, true); /* a peer's stream gets its state at the first write */
	if (s->fin_queued)
		return -EPIPE;
	taken = quic_stream_queue(c, s, p, n, fin, &s->fin_queued);
	if (quic_conn_flush(c) < 0)
		return -ECONNRESET;
	return (long)taken;
}

int quic_stream_consumed(struct quic_conn *c, int64_t id, size_t n)
{
	if (c->closed)
		return -ECONNRESET;
	quic_credit(c, id, n);
	return quic_conn_flush(c);
}

int quic_stream_reset(struct quic_conn *c, int64_t id, uint64_t code)
{
	if (c->closed)
		return -ECONNRESET;
	if (ngtcp2_conn_shutdown_stream(c->conn, id, code) != 0)
		return -ENOENT;
	return quic_conn_flush(c);
}

/* The connection's buffers have room again: every stream cut short may write (the owner's
 * callback may free streams, so the ids are collected first). */
static void conn_unblocked(struct quic_conn *c)
{
	int64_t *ids;
	size_t n = 0, i = 0;

	c->conn_blocked = false;
	for (struct qstream *s = c->streams; s; s = s->next)
		n += s->want_writable && s->out.queued < QUIC_STREAM_BUF / 2;
	if (n == 0 || !c->cb.stream_writable)
		return;
	ids = xcalloc(n, sizeof(*ids));
	for (struct qstream *s = c->streams; s && i < n; s = s->next)
		if (s->want_writable && s->out.queued < QUIC_STREAM_BUF / 2) {
			s->want_writable = false;
			ids[i++] = s->id;
		}
	for (i = 0; i < n; i++)
		c->cb.stream_writable(c->arg, ids[i]);
	free(ids);
}

void quic_stream_acked(struct quic_conn *c, int64_t id, uint64_t n)
{
	struct qstream *s = quic_stream_get(c, id, false);
	size_t before;

	if (!s)
		return;
	before = s->out.queued;
	sbuf_ack(&s->out, (size_t)n);
	c->queued -= before - s->out.queued;
	if (c->conn_blocked && c->queued < QUIC_CONN_BUF / 2) {
		conn_unblocked(c);
		return;
	}
	if (s->want_writable && s->out.queued < QUIC_STREAM_BUF / 2 && !c->conn_blocked) {
		s->want_writable = false;
		if (c->cb.stream_writable)
			c->cb.stream_writable(c->arg, id);
	}
}

static int raw_next(struct quic_conn *c, int64_t *sid, int *fin, ngtcp2_vec *v, size_t *nv)
{
	for (struct qstream *s = c->streams; s; s = s->next) {
		if (s->blocked || (s->out.unsent == 0 && (!s->fin_queued || s->fin_sent)))
			continue;
		size_t total = 0;

		*sid = s->id;
		*nv = sbuf_peek(&s->out, v, 16);
		for (size_t i = 0; i < *nv; i++)
			total += v[i].len;
		*fin = s->fin_queued && !s->fin_sent && total == s->out.unsent;
		s->fin_try = *fin;
		return 0;
	}
	*sid = -1;
	*nv = 0;
	return 0;
}

static void raw_wrote(struct quic_conn *c, int64_t sid, size_t n)
{
	struct qstream *s = quic_stream_get(c, sid, false);

	if (!s)
		return;
	sbuf_sent(&s->out, n);
	if (s->fin_try && s->out.unsent == 0)
		s->fin_sent = true;
	if (s->out.unsent > 0 && s->next)
		stream_to_tail(c, s); /* the others get the next packets */
}

static void raw_blocked(struct quic_conn *c, int64_t sid)
{
	struct qstream *s = quic_stream_get(c, sid, false);

	if (s)
		s->blocked = true;
}

static void raw_shut(struct quic_conn *c, int64_t sid)
{
	struct qstream *s = quic_stream_get(c, sid, false);

	if (s) {
		c->queued -= s->out.queued;
		sbuf_free(&s->out);
		s->fin_queued = s->fin_sent = true;
	}
}

const struct quic_writer quic_raw_writer = {raw_next, raw_wrote, raw_blocked, raw_shut};
