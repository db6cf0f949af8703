/* Internal to the encoding module: one decoder per coding, each over the
 * same growing output buffer with a cap. */
#ifndef SNARE_ENCODING_ENCODING_INT_H
#define SNARE_ENCODING_ENCODING_INT_H

#include <stddef.h>
#include <stdint.h>

/* Output of one stage: data[0..len) of alloc bytes, never more than cap. */
struct enc_out {
	uint8_t *data;
	size_t len, alloc, cap;
};

/* Room for at least one more byte: the free space's start and size in
 * *room.  -EMSGSIZE when len has reached cap, -ENOMEM. */
int enc_out_room(struct enc_out *o, size_t *room);

/* The decoders: 0, or -EINVAL (corrupt, truncated, trailing garbage),
 * -EMSGSIZE (past o->cap), -ENOMEM. */
int enc_gzip(const uint8_t *in, size_t n, struct enc_out *o);
int enc_deflate(const uint8_t *in, size_t n, struct enc_out *o);
int enc_brotli(const uint8_t *in, size_t n, struct enc_out *o);
int enc_zstd(const uint8_t *in, size_t n, struct enc_out *o);

#endif
