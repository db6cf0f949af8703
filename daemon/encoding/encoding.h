/* Content-Encoding decoding (gzip, deflate, br, zstd and chains of them,
 * RFC 9110 section 8.4) for showing, matching and exporting bodies.  Runs in
 * whichever process shows flows (coordinator, ui); the input is an untrusted
 * body, so every decoder stops at a caller-given output cap (no
 * decompression bombs) and reports corrupt input as an error. */
#ifndef SNARE_ENCODING_ENCODING_H
#define SNARE_ENCODING_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define ENCODING_DEFAULT_CAP (64u << 20) /* decoded bytes kept for a body */
#define ENCODING_MAX_CHAIN 4		 /* codings in one header value */

/* Decodes `in` as the Content-Encoding value `coding` (`clen` bytes, a
 * comma-separated list applied in order, so undone from the last; names are
 * case-insensitive, "identity" and empty items do nothing).  0 with *out
 * (malloc'd, the caller frees it; never NULL) and *outlen; -EMSGSIZE when a
 * stage's output passes `cap`, -EINVAL on corrupt or truncated input,
 * -ENOTSUP on an unknown coding or a chain longer than ENCODING_MAX_CHAIN,
 * -ENOMEM. */
int encoding_decode(const char *coding, size_t clen, const uint8_t *in, size_t inlen, size_t cap,
		    uint8_t **out, size_t *outlen) SNARE_MUST_CHECK;
/* The same, but a body whose decoded size passes `cap` gives its first cap
 * bytes (0) instead of -EMSGSIZE: for searching, where a prefix is enough.
 * An empty body decodes to an empty one with both functions. */
int encoding_decode_prefix(const char *coding, size_t clen, const uint8_t *in, size_t inlen,
			   size_t cap, uint8_t **out, size_t *outlen) SNARE_MUST_CHECK;
/* True when `coding` names only codings encoding_decode knows (or none). */
bool encoding_known(const char *coding, size_t clen);

#endif
