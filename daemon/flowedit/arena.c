/* Runs in the worker: the memory of edited flow fields, freed at once when
 * the caller is done with the flow (flowedit.h states the ownership rule). */
#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "flowedit/flowedit.h"

void flowedit_init(struct flowedit *e)
{
	memset(e, 0, sizeof(*e));
}

void flowedit_free(struct flowedit *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->blocks[i]);
	free(e->blocks);
	memset(e, 0, sizeof(*e));
}

/* Small allocations are cut from chunks (a hook call makes dozens, and a
 * malloc each showed in profiles); larger ones get a block of their own.
 * Under AddressSanitizer the unused part of a chunk is poisoned and each
 * allocation is followed by a poisoned gap, so an overrun is still caught
 * in the tests (the macros are no-ops otherwise). */
#define ARENA_CHUNK 4096
#define ARENA_ALIGN 16
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_REDZONE ARENA_ALIGN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_REDZONE ARENA_ALIGN
#endif
#endif
#ifndef ARENA_REDZONE
#define ARENA_REDZONE 0
#endif

static void *arena_block(struct flowedit *e, size_t n)
{
	void *p;

	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->blocks = xrealloc(e->blocks, e->cap * sizeof(*e->blocks));
	}
	p = xcalloc(1, n ? n : 1);
	e->blocks[e->n++] = p;
	return p;
}

void *flowedit_alloc(struct flowedit *e, size_t n)
{
	size_t need = ((n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1)) + ARENA_REDZONE;
	void *p;

	if (n > ARENA_CHUNK / 4)
		return arena_block(e, n);
	if (need == 0)
		need = ARENA_ALIGN;
	if (need > e->left) {
		e->next = arena_block(e, ARENA_CHUNK);
		e->left = ARENA_CHUNK;
		ASAN_POISON_MEMORY_REGION(e->next, ARENA_CHUNK);
	}
	p = e->next;
	ASAN_UNPOISON_MEMORY_REGION(p, n);
	e->next += need;
	e->left -= need;
	return p; /* zeroed: chunks come from calloc and are never reused */
}

char *flowedit_strndup(struct flowedit *e, const char *s, size_t n)
{
	char *p = flowedit_alloc(e, n + 1);

	memcpy(p, s, n);
	return p;
}

char *flowedit_strdup(struct flowedit *e, const char *s)
{
	return flowedit_strndup(e, s, strlen(s));
}

ProtobufCBinaryData flowedit_bytes(struct flowedit *e, const void *p, size_t n)
{
	ProtobufCBinaryData b = {.len = n, .data = flowedit_alloc(e, n)};

	if (n)
		memcpy(b.data, p, n);
	return b;
}
