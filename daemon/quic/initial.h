/* Runs in the worker. Trusts nothing: the datagrams are whatever a UDP client sent first.
 * Reads the client's QUIC v1 (RFC 9001) or v2 (RFC 9369) Initial packets far enough to learn
 * the TLS ClientHello's SNI and ALPN, so the worker can decide to relay or to intercept before
 * any QUIC state exists. Fed datagram by datagram; the ClientHello may span several Initial
 * packets and datagrams, with CRYPTO frames in any order. */
#ifndef SNARE_QUIC_INITIAL_H
#define SNARE_QUIC_INITIAL_H

#include <stddef.h>
#include <stdint.h>

#include "tlsparse/tlsparse.h"

#define QUIC_VERSION_1 0x00000001u
#define QUIC_VERSION_2 0x6b3343cfu
#define QUIC_MAX_CID 20
/* CRYPTO data kept from the Initials: a ClientHello of TLSPARSE_MAX_HELLO bytes and its header. */
#define QUIC_INITIAL_MAX_CRYPTO (TLSPARSE_MAX_HELLO + 4)
/* Datagrams fed before giving up on a hello that never completes. */
#define QUIC_INITIAL_MAX_DATAGRAMS 32

enum quic_initial_result {
	QUIC_INITIAL_NEED_MORE,	      /* feed the next datagram from the same client */
	QUIC_INITIAL_DONE,	      /* quic_initial_info() holds the hello */
	QUIC_INITIAL_NOT_QUIC,	      /* no QUIC long header: plain UDP */
	QUIC_INITIAL_UNKNOWN_VERSION, /* a long header of a version we cannot read (or VN) */
	QUIC_INITIAL_ERROR,	      /* v1/v2 but malformed; quic_initial_error() says why */
};

struct quic_initial_info {
	uint32_t version;
	uint8_t dcid[QUIC_MAX_CID], scid[QUIC_MAX_CID];
	size_t dcid_len, scid_len;
	struct tls_client_hello hello; /* sni, alpn[] */
};

struct quic_initial;

struct quic_initial *quic_initial_new(void);
void quic_initial_free(struct quic_initial *qi);
/* Feeds one datagram (any number of coalesced packets). Once a result other than NEED_MORE is
 * returned, every later call returns it again without looking at the datagram. */
enum quic_initial_result quic_initial_feed(struct quic_initial *qi, const uint8_t *dgram, size_t n);
/* Valid after DONE; version, dcid and scid are also set after the first Initial was read. */
const struct quic_initial_info *quic_initial_info(const struct quic_initial *qi);
/* A static string naming the last error ("" when none). */
const char *quic_initial_error(const struct quic_initial *qi);
const char *quic_initial_result_name(enum quic_initial_result r);

#endif
