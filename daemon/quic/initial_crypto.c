/* Runs in the worker. The Initial packet space's CRYPTO stream, reassembled from frames that may
 * come in any order, overlap or repeat, within a fixed buffer (QUIC_INITIAL_MAX_CRYPTO); and the
 * QUIC variable-length integer. Trusts nothing: offsets and lengths are checked against the
 * buffer before any byte is written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#include "quic/initial_int.h"

size_t quic_varint(const uint8_t *p, size_t n, uint64_t *v)
{
	size_t len;

	if (n == 0)
		return 0;
	len = (size_t)1 << (p[0] >> 6);
	if (n < len)
		return 0;
	*v = p[0] & 0x3f;
	for (size_t i = 1; i < len; i++)
		*v = *v << 8 | p[i];
	return len;
}

static bool has_byte(const struct quic_crypto_buf *b, size_t i)
{
	return b->have[i / 8] >> (i % 8) & 1;
}

/* Makes room for bytes up to `end` (<= QUIC_INITIAL_MAX_CRYPTO). */
static void grow(struct quic_crypto_buf *b, size_t end)
{
	size_t cap = (end + 4095) / 4096 * 4096;

	if (end <= b->cap)
		return;
	cap = cap < QUIC_INITIAL_MAX_CRYPTO ? cap : QUIC_INITIAL_MAX_CRYPTO;
	b->data = xrealloc(b->data, cap);
	b->have = xrealloc(b->have, (cap + 7) / 8);
	memset(b->have + (b->cap + 7) / 8, 0, (cap + 7) / 8 - (b->cap + 7) / 8);
	b->cap = cap;
}

void quic_crypto_free(struct quic_crypto_buf *b)
{
	free(b->data);
	free(b->have);
	memset(b, 0, sizeof(*b));
}

int quic_crypto_add(struct quic_crypto_buf *b, uint64_t off, const uint8_t *p, size_t n)
{
	if (off > QUIC_INITIAL_MAX_CRYPTO || n > QUIC_INITIAL_MAX_CRYPTO - off)
		return -E2BIG;
	if (n == 0)
		return 0;
	grow(b, (size_t)off + n);
	memcpy(b->data + off, p, n);
	for (size_t i = (size_t)off; i < off + n; i++)
		b->have[i / 8] |= (uint8_t)(1u << (i % 8));
	while (b->contig < b->cap && has_byte(b, b->contig))
		b->contig++;
	return 0;
}
