/* A min-heap of (key, item) for deadlines: the event loop's timers and the
 * netstack's.  Each item holds its own position (a size_t at idx_off), kept
 * up to date by the heap, so an item is moved or removed in O(log n) without
 * a search; HEAP_NONE there means "not in the heap".  Items are owned by
 * their callers; the heap owns only its array. */
#ifndef SNARE_CORE_HEAP_H
#define SNARE_CORE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_NONE ((size_t)-1)

struct heap_ent {
	uint64_t key;
	void *item;
};

struct heap {
	struct heap_ent *v;
	size_t n, cap;
	size_t idx_off; /* offsetof(item type, its position field) */
};

void heap_init(struct heap *h, size_t idx_off);
void heap_free(struct heap *h);
/* Puts item in at key, or moves it to key if it is in already. */
void heap_set(struct heap *h, void *item, uint64_t key);
/* Takes item out; nothing when it is not in. */
void heap_remove(struct heap *h, void *item);

static inline void *heap_top(const struct heap *h)
{
	return h->n > 0 ? h->v[0].item : NULL;
}

/* The smallest key; only when the heap is not empty. */
static inline uint64_t heap_top_key(const struct heap *h)
{
	return h->v[0].key;
}

#endif
