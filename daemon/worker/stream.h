/* Streams: one socket or netstack TCP connection with optional TLS through
 * memory BIOs over bounded plaintext and ciphertext buffers (stream.c).
 * Runs in a worker; the bytes are the peer's and untrusted. */
#ifndef SNARE_WORKER_STREAM_H
#define SNARE_WORKER_STREAM_H

#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/loop.h"
#include "core/util.h"

/* A stream's ends: IPv4 or IPv6 with a port (28 bytes; a sockaddr_storage
 * is 128, and every connection holds four). */
union stream_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* Copies an IPv4 or IPv6 address into a stream end; other families clear it. */
static inline void stream_addr_set(union stream_addr *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET)
		memcpy(&dst->in4, src, sizeof(dst->in4));
	else if (src->sa_family == AF_INET6)
		memcpy(&dst->in6, src, sizeof(dst->in6));
}

struct conn;
struct ns_tcp;
struct stream {
	int fd;
	struct ns_tcp *ns; /* a netstack connection instead of a socket */
	struct loop_io io;
	struct conn *conn;
	SSL *ssl; /* the innermost TLS session */
	BIO *rbio, *wbio;
	struct {
		SSL *ssl;
		BIO *rbio, *wbio;
	} outer;	 /* TLS to snare itself (secure web proxy) under ssl */
	bool tls_client; /* we are the TLS client on this stream */
	bool tls_done;
	bool connecting; /* non-blocking connect in progress */
	bool rd_eof;	 /* peer closed its sending side (or TLS close_notify) */
	bool rd_ready;	 /* the socket may have bytes: set by epoll, cleared when drained */
	bool shut_req;	 /* close our sending side once out is flushed */
	bool shut_done;
	bool failed;
	bool moved;	 /* bytes went through the socket since the last pump ended */
	uint8_t warm;	 /* pumps that moved bytes since the last full trim (capped) */
	const char *err; /* why it failed, or "" (owned; set with stream_set_err) */
	struct buf in;	 /* plaintext for the layer above */
	struct buf out;	 /* plaintext to send */
	struct buf rxc;	 /* TLS: ciphertext from the socket, not yet read by OpenSSL */
	struct buf txc;	 /* ciphertext waiting for the socket */
	union stream_addr peer, local;
	double ts_start, ts_tls;
};

void stream_init(struct stream *s, struct conn *c, int fd);
/* Socket descriptors open in streams now (counted by stream_init and
 * stream_close). */
size_t stream_fds_open(void);
/* Moves an open stream (a server connection into or out of the upstream
 * pool, upstream_pool.h) to dst, owned by c (NULL: the caller sets io.fn
 * and io.arg); src is left closed and empty.  Not for netstack streams or
 * TLS inside TLS. */
void stream_move(struct stream *dst, struct stream *src, struct conn *c);
void stream_init_ns(struct stream *s, struct conn *c, struct ns_tcp *t);
/* Reads and writes whatever the socket and TLS state allow. */
void stream_io(struct stream *s, bool *progress);
void stream_interest(struct stream *s);
/* Gives back every empty buffer, OpenSSL's record buffers included, and
 * forgets that the stream was busy. */
void stream_trim(struct stream *s);
/* After a pump: a stream that has moved bytes in STREAM_WARM_PUMPS pumps
 * since its last full trim keeps its buffers (and OpenSSL keeps its record
 * buffers), others are trimmed as stream_trim does.  True when buffers were
 * kept: the caller trims later, once the connection is quiet. */
bool stream_trim_pump(struct stream *s);
/* Whether the stream counts as busy and keeps its buffers between pumps. */
bool stream_keeps_buffers(const struct stream *s);
void stream_close(struct stream *s);
/* Starts TLS on an open stream; bytes already in s->in are handed to TLS
 * as the first ciphertext (the peeked ClientHello). */
int stream_tls_start(struct stream *s, SSL_CTX *ctx, bool client, const char *sni);
bool stream_flushed(const struct stream *s);
void stream_fail(struct stream *s, const char *fmt, ...) SNARE_PRINTF(2, 3);
/* Sets s->err (at most 511 bytes) without failing the stream. */
void stream_set_err(struct stream *s, const char *fmt, ...) SNARE_PRINTF(2, 3);

#endif
