/* Helpers for unit tests that build flows by hand (test_filter.c,
 * test_output_har.c): byte strings, headers into a fixed array, gzip. */
#ifndef SNARE_TEST_FLOWS_H
#define SNARE_TEST_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "core/unconst.h"
#include "flow.pb-c.h"

static inline ProtobufCBinaryData tf_bin(const void *p, size_t n)
{
	return (ProtobufCBinaryData){n, unconst(p)};
}

/* Appends "name: value" as h[*n], pointed to by ptrs[*n]. */
static inline void tf_header(Snare__Header *h, Snare__Header **ptrs, size_t *n, const char *name,
			     const char *value)
{
	snare__header__init(&h[*n]);
	h[*n].has_name = h[*n].has_value = true;
	h[*n].name = tf_bin(name, strlen(name));
	h[*n].value = tf_bin(value, strlen(value));
	ptrs[*n] = &h[*n];
	(*n)++;
}

/* s gzip-compressed into out; its length, 0 when it does not fit. */
static inline size_t tf_gzip(const char *s, uint8_t *out, size_t cap)
{
	z_stream z = {0};
	size_t n = 0;

	if (deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = unconst(s);
	z.avail_in = (uInt)strlen(s);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = z.total_out;
	deflateEnd(&z);
	return n;
}

#endif
