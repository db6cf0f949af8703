/* Runs in the worker: the memory of edited flow fields, freed at once when
 * the caller is done with the flow (flowedit.h states the ownership rule). */
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

void *flowedit_alloc(struct flowedit *e, size_t n)
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
