/* Runs in the worker. The send buffer of a QUIC stream: bytes stay where they were first
 * copied until the peer acknowledges them, because ngtcp2 and nghttp3 keep pointers to unacked
 * data for retransmission. Trusts its callers' counts (they come from ngtcp2/nghttp3). */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "quic/quic_int.h"

/* A chunk holds what the write that opened it brought, rounded up to MIN_CHUNK, at most CHUNK:
 * a small response costs a small chunk (a hundred streams of 1 KiB responses no longer hold
 * 16 KiB each). */
#define CHUNK 16384
#define MIN_CHUNK 2048

struct sbuf_chunk {
	struct sbuf_chunk *next;
	size_t len, cap;
	uint8_t data[];
};

static struct sbuf_chunk *chunk_new(size_t want)
{
	size_t cap = want < MIN_CHUNK ? MIN_CHUNK : want > CHUNK ? CHUNK : want;
	struct sbuf_chunk *t = xcalloc(1, sizeof(*t) + cap);

	t->cap = cap;
	return t;
}

size_t sbuf_append(struct sbuf *b, const uint8_t *p, size_t n, size_t limit)
{
	size_t taken = 0;

	if (b->queued >= limit)
		return 0;
	if (n > limit - b->queued)
		n = limit - b->queued;
	while (taken < n) {
		struct sbuf_chunk *t = b->tail;
		size_t k;

		if (!t || t->len == t->cap) {
			t = chunk_new(n - taken);
			if (b->tail)
				b->tail->next = t;
			else
				b->head = t;
			b->tail = t;
			if (!b->cur)
				b->cur = t;
		}
		k = t->cap - t->len < n - taken ? t->cap - t->len : n - taken;
		memcpy(t->data + t->len, p + taken, k);
		t->len += k;
		taken += k;
	}
	b->queued += taken;
	b->unsent += taken;
	return taken;
}

size_t sbuf_peek(const struct sbuf *b, ngtcp2_vec *v, size_t max)
{
	size_t nv = 0, off = b->cur_off;

	for (struct sbuf_chunk *c = b->cur; c && nv < max; c = c->next, off = 0) {
		if (c->len == off)
			continue;
		v[nv].base = (uint8_t *)c->data + off;
		v[nv].len = c->len - off;
		nv++;
	}
	return nv;
}

void sbuf_sent(struct sbuf *b, size_t n)
{
	b->unsent -= n < b->unsent ? n : b->unsent;
	while (n > 0 && b->cur) {
		size_t k;

		if (b->cur_off == b->cur->len && b->cur->next) {
			b->cur = b->cur->next;
			b->cur_off = 0;
		}
		k = b->cur->len - b->cur_off < n ? b->cur->len - b->cur_off : n;
		if (k == 0)
			break;
		b->cur_off += k;
		n -= k;
	}
}

void sbuf_ack(struct sbuf *b, size_t n)
{
	b->queued -= n < b->queued ? n : b->queued;
	while (n > 0 && b->head) {
		struct sbuf_chunk *h = b->head;
		size_t k = h->len - b->head_off < n ? h->len - b->head_off : n;

		b->head_off += k;
		n -= k;
		if (b->head_off < h->cap || h == b->cur)
			break;
		b->head = h->next;
		b->head_off = 0;
		if (!b->head)
			b->tail = NULL;
		free(h);
	}
}

void sbuf_free(struct sbuf *b)
{
	while (b->head) {
		struct sbuf_chunk *h = b->head;

		b->head = h->next;
		free(h);
	}
	memset(b, 0, sizeof(*b));
}
