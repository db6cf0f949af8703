/* Bounded byte buffers (see buf.h).  Used in every process. */
#include "core/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	*b = (struct buf){.max = max};
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

static void buf_make_room(struct buf *b, size_t n)
{
	size_t cap;

	if (b->off + b->len + n <= b->cap)
		return;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
		if (b->len + n <= b->cap)
			return;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -ENOBUFS;
	if (n == 0)
		return 0;
	buf_make_room(b, n);
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return 0;
}

uint8_t *buf_reserve(struct buf *b, size_t *n)
{
	if (*n > b->max - b->len)
		*n = b->max - b->len;
	if (*n == 0)
		return NULL;
	buf_make_room(b, *n);
	return b->data + b->off + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}
