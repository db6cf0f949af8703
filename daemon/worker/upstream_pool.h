/* The upstream pool: idle HTTP/1 server connections a worker keeps after a
 * client connection is done with them, for the next client connection to the
 * same server (nginx's upstream keepalive; snare's options upstream_keepalive,
 * upstream_keepalive_total and upstream_keepalive_timeout).  A connection is
 * filed under a key naming everything that made it: scheme, the address it
 * reaches, and for TLS the SNI sent, the name verified and whether the ALPN
 * offer named h2.
 * Runs in a worker. */
#ifndef SNARE_WORKER_UPSTREAM_POOL_H
#define SNARE_WORKER_UPSTREAM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

#define UPSTREAM_POOL_KEY_MAX 1100
/* How long a client connection between requests keeps its server
 * connection before it goes to the pool (a keep-alive client's next request
 * usually comes sooner: no pool round trip per request). */
#define UPSTREAM_RELEASE_MS 200

/* c's key for a server connection made now (c->server_tls says TLS or
 * plain); "" when c's server connections are never pooled (CONNECT tunnels,
 * transparent and packet modes, upstream mode, raw TCP). */
void upstream_pool_key(const struct conn *c, char *out, size_t len);
/* Installs a live pooled connection for c's key as c->server (which must be
 * closed); false when there is none. */
bool upstream_pool_take(struct conn *c);
/* Moves c->server into the pool when it can carry another request (no
 * exchange in progress, nothing buffered, keep-alive); false otherwise, and
 * c->server is untouched. */
bool upstream_pool_put(struct conn *c);
/* The exchange is over and the client may send another request: its server
 * connection goes to the pool if none comes within UPSTREAM_RELEASE_MS. */
void upstream_pool_release_soon(struct conn *c);
/* Whether a connection to host:port (TLS or plain) is pooled: then an eager
 * connection strategy need not connect at accept. */
bool upstream_pool_has(const char *host, uint16_t port, bool tls);
/* Connections pooled now. */
size_t upstream_pool_count(void);
/* Closes the pooled connection idle longest (HTTP/1, else HTTP/2:
 * h2_pool.h); false when none is pooled. */
bool upstream_pool_drop_oldest(const char *why);
/* Closes every pooled connection, the h2 pool's too (the worker stops). */
void upstream_pool_close_all(void);

#endif
