/* The HTTP/2 upstream pool: idle h2 server connections (the socket, its TLS
 * session and the h2 framing with its session, kept together) that HTTP/2
 * client connections give back when no stream is open on them, for the next
 * stream of any client connection to the same server.  The HTTP/1 pool's
 * counterpart (upstream_pool.h), under the same options (upstream_keepalive
 * per key, upstream_keepalive_total, upstream_keepalive_timeout) and keys
 * (upstream_pool_key, whose ALPN part does not matter here: a pooled
 * connection speaks h2).  Runs in a worker. */
#ifndef SNARE_WORKER_H2_POOL_H
#define SNARE_WORKER_H2_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

struct conn;
struct stream;
struct http_framing;
struct hf_events;

/* Moves c->server and its h2 framing f (client side, no stream open,
 * nothing to send) into the pool; false when they cannot go (then both are
 * untouched). */
bool h2_pool_put(struct conn *c, struct http_framing *f);
/* Installs a live pooled connection for c's key as c->server (which must be
 * closed) and returns its framing, now delivering ev to c; NULL when none. */
struct http_framing *h2_pool_take(struct conn *c, const struct hf_events *ev);
/* The lower half of put and take, for connections that no client
 * connection owns (shared ones, h2_shared.h): moves s (open, quiet) and its
 * framing f into the pool under key, with id (its flow records' id), logging
 * on logc when not NULL. */
bool h2_pool_put_stream(struct conn *logc, struct stream *s, struct http_framing *f,
			const char *key, const char *host, uint16_t port, const char id[37]);
/* Moves a live pooled connection for key into dst (closed), owned by owner
 * (NULL: the caller sets dst's io), its id into id, logging on logc; its
 * framing (events still going to the pool: rebind them) or NULL. */
struct http_framing *h2_pool_take_key(struct conn *logc, const char *key, struct stream *dst,
				      struct conn *owner, char id[37]);
/* The key c's server connection is filed under: for TLS the one made when
 * its handshake began (the SNI and name verified then); "" when it is not
 * to be pooled. */
void h2_pool_key_of(const struct conn *c, char *key, size_t len);
/* Keys name the same server when they differ at most in the ALPN part
 * (their last character). */
bool h2_pool_key_fits(const char *have, const char *want);
/* Whether a connection to host:port (over TLS or not) is pooled: an eager
 * reverse proxy then waits for the ClientHello before it connects
 * (modes.c). */
bool h2_pool_has(const char *host, uint16_t port, bool tls);
/* Whether h2_pool_take would find a connection for c's key, without taking
 * or serving it; *cert: its server's certificate (NULL over plain TCP).
 * The connection stays pooled (and may go before the take). */
bool h2_pool_peek(const struct conn *c, X509 **cert);
/* Connections pooled now. */
size_t h2_pool_count(void);
/* Closes the pooled connection idle longest; false when none is pooled. */
bool h2_pool_drop_oldest(const char *why);
/* Closes every pooled connection (the worker stops). */
void h2_pool_close_all(void);

#endif
