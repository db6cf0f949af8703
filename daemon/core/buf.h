/* A bounded byte buffer with one owner: data is appended at the end and
 * consumed from the front.  Every buffer has a hard maximum size. */
#ifndef SNARE_CORE_BUF_H
#define SNARE_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct buf {
	uint8_t *data;
	size_t off; /* first unread byte */
	size_t len; /* bytes readable from off */
	size_t cap;
	size_t max; /* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Appends n bytes; -ENOBUFS when len would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n) SNARE_MUST_CHECK;
/* Returns a pointer where up to *n bytes may be written (n is clamped to
 * the space left under max); commit them with buf_commit. */
uint8_t *buf_reserve(struct buf *b, size_t *n);
void buf_commit(struct buf *b, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
static inline const uint8_t *buf_ptr(const struct buf *b)
{
	static const uint8_t empty[1];

	return b->data ? b->data + b->off : empty;
}
static inline size_t buf_len(const struct buf *b)
{
	return b->len;
}
static inline size_t buf_room(const struct buf *b)
{
	return b->max - b->len;
}

#endif
