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
struct http_framing;
struct hf_events;

/* Moves c->server and its h2 framing f (client side, no stream open,
 * nothing to send) into the pool; false when they cannot go (then both are
 * untouched). */
bool h2_pool_put(struct conn *c, struct http_framing *f);
/* Installs a live pooled connection for c's key as c->server (which must be
 * closed) and returns its framing, now delivering ev to c; NULL when none. */
struct http_framing *h2_pool_take(struct conn *c, const struct hf_events *ev);
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
