/* Runs in the worker. Trusts its callers (offsets are checked against the window first): the
 * byte ring behind each TCP send and receive buffer. It grows in powers of two up to its max
 * and gives its memory back when drained, so idle connections cost little. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "netstack/ns_int.h"

#define NS_RING_MIN 2048

void ns_ring_init(struct ns_ring *r, size_t max)
{
	*r = (struct ns_ring){.max = max};
}

void ns_ring_free(struct ns_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* Copies the whole old ring (out-of-order bytes included) to the start of a bigger one. */
static void ns_ring_grow(struct ns_ring *r, size_t need)
{
	size_t cap = r->cap ? r->cap : NS_RING_MIN;
	uint8_t *nb;

	while (cap < need)
		cap *= 2;
	if (cap > r->max && r->max >= need)
		cap = r->max;
	if (need > cap)
		fatal("netstack ring overflow (%zu > %zu)", need, r->max);
	nb = xmalloc(cap);
	if (r->cap > 0) {
		size_t first = r->cap - r->head;

		memcpy(nb, r->buf + r->head, first);
		memcpy(nb + first, r->buf, r->head);
	}
	free(r->buf);
	r->buf = nb;
	r->cap = cap;
	r->head = 0;
}

void ns_ring_write_at(struct ns_ring *r, size_t off, const uint8_t *p, size_t n)
{
	size_t pos, first;

	if (n == 0)
		return;
	if (r->len + off + n > r->cap)
		ns_ring_grow(r, r->len + off + n);
	pos = (r->head + r->len + off) % r->cap;
	first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->buf + pos, p, first);
	memcpy(r->buf, p + first, n - first);
}

void ns_ring_peek(const struct ns_ring *r, size_t off, uint8_t *out, size_t n)
{
	size_t pos, first;

	if (n == 0)
		return;
	pos = (r->head + off) % r->cap;
	first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(out, r->buf + pos, first);
	memcpy(out + first, r->buf, n - first);
}

void ns_ring_consume(struct ns_ring *r, size_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	r->head = r->cap ? (r->head + n) % r->cap : 0;
}
