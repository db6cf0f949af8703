/* Runs in the worker. Internal to the tlsparse module: the ClientHello body parser that
 * record.c hands the reassembled handshake message to. Trusts nothing in the bytes. */
#ifndef SNARE_TLSPARSE_INT_H
#define SNARE_TLSPARSE_INT_H

#include "tlsparse/tlsparse.h"

/* Parses a ClientHello body (the handshake message without its 4-byte header).
 * 0 or -EINVAL. */
int tlsparse_parse_body(const uint8_t *p, size_t n, struct tls_client_hello *out);

#endif
