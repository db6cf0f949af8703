/* Test harness for the h2 module: a client session and a server session joined in memory, with
 * every event each side reports recorded per stream. Included by tests/unit/test_h2_*.c. */
#ifndef SNARE_TEST_H2_PAIR_H
#define SNARE_TEST_H2_PAIR_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2/h2.h"

#define REC_MAX 512

struct rec {
	int32_t sid;
	struct h2_msg head;
	bool have_head, head_end;
	uint8_t *body;
	size_t body_len;
	struct h2_msg trailers;
	bool have_trailers, ended, closed, reset, reset_by_peer;
	uint32_t reset_code, close_code;
};

struct side {
	struct h2_session *s;
	bool auto_consume;
	struct rec rec[REC_MAX];
	size_t nrec;
	int goaways, goaways_by_peer, abuses, spaces;
	uint32_t goaway_code, goaway_peer_code;
	enum h2_abuse abuse_what;
};

static struct rec *rec_get(struct side *d, int32_t sid)
{
	for (size_t i = 0; i < d->nrec; i++)
		if (d->rec[i].sid == sid)
			return &d->rec[i];
	assert_true(d->nrec < REC_MAX);
	d->rec[d->nrec].sid = sid;
	return &d->rec[d->nrec++];
}

static void copy_head(struct h2_msg *m, const struct h2_head *h)
{
	const char *src[] = {h->method, h->scheme, h->authority, h->path};
	char **dst[] = {&m->method, &m->scheme, &m->authority, &m->path};

	for (size_t i = 0; i < 4; i++)
		*dst[i] = src[i] ? strdup(src[i]) : NULL;
	m->status = h->status;
	for (size_t i = 0; i < h->nfields; i++)
		assert_int_equal(h2_msg_add(m, h->fields[i].name, h->fields[i].name_len,
					    h->fields[i].value, h->fields[i].value_len),
				 0);
}

static void ev_head(void *o, int32_t sid, const struct h2_head *h, bool end)
{
	struct rec *r = rec_get(o, sid);

	h2_msg_free(&r->head);
	copy_head(&r->head, h);
	r->have_head = true;
	r->head_end = end;
}

static void ev_data(void *o, int32_t sid, const uint8_t *p, size_t n)
{
	struct side *d = o;
	struct rec *r = rec_get(d, sid);

	r->body = realloc(r->body, r->body_len + n + 1);
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	if (d->auto_consume)
		assert_int_equal(h2_consume(d->s, sid, n), 0);
}

static void ev_trailers(void *o, int32_t sid, const struct h2_field *f, size_t n)
{
	struct rec *r = rec_get(o, sid);
	struct h2_head h = {.fields = f, .nfields = n};

	copy_head(&r->trailers, &h);
	r->have_trailers = true;
}

static void ev_end(void *o, int32_t sid)
{
	rec_get(o, sid)->ended = true;
}

static void ev_reset(void *o, int32_t sid, uint32_t code, bool by_peer)
{
	struct rec *r = rec_get(o, sid);

	r->reset = true;
	r->reset_code = code;
	r->reset_by_peer = by_peer;
}

static void ev_close(void *o, int32_t sid, uint32_t code)
{
	struct rec *r = rec_get(o, sid);

	assert_false(r->closed);
	r->closed = true;
	r->close_code = code;
}

static void ev_goaway(void *o, uint32_t code, int32_t last, bool by_peer)
{
	struct side *d = o;

	if (by_peer) {
		d->goaways_by_peer++;
		d->goaway_peer_code = code;
	} else {
		d->goaways++;
		d->goaway_code = code;
	}
}

static void ev_space(void *o, int32_t sid)
{
	((struct side *)o)->spaces++;
}

static void ev_abuse(void *o, enum h2_abuse what)
{
	struct side *d = o;

	d->abuses++;
	d->abuse_what = what;
}

static const struct h2_callbacks test_cbs = {
    .on_head = ev_head,
    .on_data = ev_data,
    .on_trailers = ev_trailers,
    .on_end = ev_end,
    .on_reset = ev_reset,
    .on_close = ev_close,
    .on_goaway = ev_goaway,
    .on_send_space = ev_space,
    .on_abuse = ev_abuse,
};

static void side_init(struct side *d, enum h2_role role, const struct h2_options *o)
{
	memset(d, 0, sizeof(*d));
	d->auto_consume = true;
	d->s = h2_new(role, o, &test_cbs, d);
}

static void side_free(struct side *d)
{
	h2_free(d->s);
	for (size_t i = 0; i < d->nrec; i++) {
		h2_msg_free(&d->rec[i].head);
		h2_msg_free(&d->rec[i].trailers);
		free(d->rec[i].body);
	}
}

/* Moves what a has to send into b, keeping a copy in seen (cap bytes) unless it is NULL;
 * returns the bytes moved. */
static size_t move_seen(struct side *a, struct side *b, uint8_t *seen, size_t cap)
{
	const uint8_t *p;
	size_t n, total = 0;

	for (;;) {
		assert_int_equal(h2_out(a->s, &p, &n), 0);
		if (n == 0)
			return total;
		if (seen) {
			assert_true(total + n <= cap);
			memcpy(seen + total, p, n);
		}
		h2_feed(b->s, p, n);
		h2_out_done(a->s, n);
		total += n;
	}
}

static size_t move(struct side *a, struct side *b)
{
	return move_seen(a, b, NULL, 0);
}

static void pump(struct side *c, struct side *s)
{
	for (int i = 0; i < 10000; i++)
		if (move(c, s) + move(s, c) == 0)
			return;
	fail_msg("pump did not settle");
}

static const struct h2_field *field(const struct h2_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return &m->fields[i];
	return NULL;
}

#define F(n, v)                                                                                    \
	{                                                                                          \
		n, sizeof(n) - 1, v, sizeof(v) - 1                                                 \
	}

static int32_t get(struct side *c, const char *path, const struct h2_field *f, size_t n)
{
	struct h2_head h = {.method = "GET",
			    .scheme = "https",
			    .authority = "example.test",
			    .path = path,
			    .fields = f,
			    .nfields = n};
	int32_t sid = h2_submit_head(c->s, 0, &h, true);

	assert_true(sid > 0);
	return sid;
}

/* Sends body bytes with back-pressure, pumping while the stream's buffer is full. */
static void send_body(struct side *from, struct side *to, int32_t sid, const uint8_t *p, size_t n)
{
	size_t sent = 0;

	while (sent < n) {
		ssize_t k = h2_submit_data(from->s, sid, p + sent, n - sent);

		assert_true(k >= 0);
		sent += (size_t)k;
		pump(from, to);
	}
}

#endif
