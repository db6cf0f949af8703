/* Runs in the worker. Trusts nothing: the bytes are whatever a client sent first.
 * Recognises and parses a TLS ClientHello (SNI, ALPN, versions) from a peeked buffer without
 * consuming it, so the worker can pick the next layer and the certificate before TLS starts. */
#ifndef SNARE_TLSPARSE_H
#define SNARE_TLSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSPARSE_MAX_ALPN 16
/* Largest handshake message body accepted (bytes after the 4-byte handshake header). */
#define TLSPARSE_MAX_HELLO 65536

/* Where tlsparse_client_hello_scan stands between reads: the records before off are complete and
 * carry got bytes of handshake data. */
struct tlsparse_scan {
	size_t off, got;
	size_t want;	/* the handshake message's length with its header; 0 until known */
	size_t scanned; /* record headers looked at plus bytes parsed, in all (never reset) */
};

struct tls_client_hello {
	char sni[256]; /* host_name, "" when absent; validated: printable hostname chars only, no
			  NUL */
	char alpn[TLSPARSE_MAX_ALPN][64];
	size_t nalpn;
	uint16_t legacy_version;	/* from the ClientHello body */
	bool has_supported_versions_13; /* supported_versions lists 0x0304 */
	bool alpn_truncated; /* the client offered protocols not kept in alpn[] (too many, too long,
				or containing a NUL byte) */
	struct tlsparse_scan scan; /* tlsparse_client_hello_scan's; the other parsers ignore it */
};

/* 0 ok; -EAGAIN need more bytes (the hello is incomplete); -EINVAL not a TLS ClientHello /
 * malformed; -E2BIG the hello is larger than 64 KiB. Handles a ClientHello split across several
 * TLS records (handshake message reassembly across records of type 22). Bytes after the hello
 * are ignored. *out is only meaningful when 0 is returned. */
int tlsparse_client_hello(const uint8_t *p, size_t n, struct tls_client_hello *out);
/* The same results for a ClientHello that arrives in pieces (p[0..n) is all received so far;
 * each call may add bytes at the end, never change earlier ones), at a cost linear in its length
 * however it is cut into records and reads: complete records are walked once, and the hello is
 * gathered and parsed once it is all there. out->scan must be zeroed before the first call (the
 * rest of out is only meaningful when 0 is returned); it is set back (but for scanned) whenever
 * anything other than -EAGAIN is returned. */
int tlsparse_client_hello_scan(const uint8_t *p, size_t n, struct tls_client_hello *out);

/* Quick test on >= 3 bytes: 0x16 0x03 0x00..0x03 (mitmproxy's starts_like_tls_record).
 * 1 yes, 0 no, -EAGAIN fewer than 3 bytes. */
int tlsparse_looks_like_tls(const uint8_t *p, size_t n);

#endif
