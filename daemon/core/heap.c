/* The deadline min-heap (see heap.h).  Runs in every process with a loop;
 * trusts its callers to keep each item's position field for the heap. */
#include "core/heap.h"

#include <stdlib.h>

#include "core/util.h"

static size_t *heap_idx(const struct heap *h, void *item)
{
	return (size_t *)((char *)item + h->idx_off);
}

static void heap_place(struct heap *h, size_t i, struct heap_ent e)
{
	h->v[i] = e;
	*heap_idx(h, e.item) = i;
}

static void heap_swap(struct heap *h, size_t a, size_t b)
{
	struct heap_ent t = h->v[a];

	heap_place(h, a, h->v[b]);
	heap_place(h, b, t);
}

static void heap_up(struct heap *h, size_t i)
{
	while (i > 0 && h->v[(i - 1) / 2].key > h->v[i].key) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < h->n && h->v[c].key < h->v[m].key)
			m = c;
		if (c + 1 < h->n && h->v[c + 1].key < h->v[m].key)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

void heap_init(struct heap *h, size_t idx_off)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->idx_off = idx_off;
}

void heap_free(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

void heap_set(struct heap *h, void *item, uint64_t key)
{
	size_t i = *heap_idx(h, item);

	if (i != HEAP_NONE) {
		uint64_t old = h->v[i].key;

		h->v[i].key = key;
		if (key < old)
			heap_up(h, i);
		else
			heap_down(h, i);
		return;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	heap_place(h, h->n, (struct heap_ent){.key = key, .item = item});
	heap_up(h, h->n++);
}

void heap_remove(struct heap *h, void *item)
{
	size_t i = *heap_idx(h, item);

	if (i == HEAP_NONE)
		return;
	h->n--;
	if (i != h->n) {
		heap_place(h, i, h->v[h->n]);
		heap_down(h, i);
		heap_up(h, i);
	}
	*heap_idx(h, item) = HEAP_NONE;
}
