/* Runs in the worker. Internal to the Initial reader (initial.c): packet protection for client
 * Initials (initial_keys.c) and the CRYPTO stream reassembly (initial_crypto.c). */
#ifndef SNARE_QUIC_INITIAL_INT_H
#define SNARE_QUIC_INITIAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quic/initial.h"

struct quic_initial_keys {
	uint8_t key[16], iv[12], hp[16];
};

/* Derives the client's Initial key, IV and header-protection key from the Destination
 * Connection ID for version 1 or 2. 0 or -EINVAL (unknown version, OpenSSL failure). */
int quic_initial_derive(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			struct quic_initial_keys *out);
/* The 5-byte header-protection mask from the 16-byte sample. 0 or -EINVAL. */
int quic_initial_hp_mask(const struct quic_initial_keys *k, const uint8_t *sample, uint8_t mask[5]);
/* AES-128-GCM open of ct[0..n) (the last 16 bytes are the tag) into pt (n - 16 bytes; pt may
 * be ct) with the header as AAD. 0, or -EBADMSG when the tag does not match. */
int quic_initial_open(const struct quic_initial_keys *k, uint64_t pn, const uint8_t *aad,
		      size_t aad_len, const uint8_t *ct, size_t n, uint8_t *pt);

/* CRYPTO stream of the Initial space, kept up to QUIC_INITIAL_MAX_CRYPTO bytes; the buffer
 * grows (in 4 KiB steps) to the highest offset seen, so a typical hello costs a few KiB. */
struct quic_crypto_buf {
	uint8_t *data;
	uint8_t *have; /* a bit per byte received */
	size_t cap;
	size_t contig; /* bytes 0..contig all received */
};

/* Stores a CRYPTO frame's data. 0, or -E2BIG when it reaches past QUIC_INITIAL_MAX_CRYPTO. */
int quic_crypto_add(struct quic_crypto_buf *b, uint64_t off, const uint8_t *p, size_t n);
void quic_crypto_free(struct quic_crypto_buf *b);

/* Reads a QUIC variable-length integer. Bytes used, or 0 when p[0..n) is too short. */
size_t quic_varint(const uint8_t *p, size_t n, uint64_t *v);

#endif
