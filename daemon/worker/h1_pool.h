/* A small pool of HTTP/1.1 connections to one connection's server (h1_pool.c),
 * as one http_framing facing the server (HF_CLIENT): the translation's server
 * side when the client speaks HTTP/2 and the server HTTP/1.1.  Every stream
 * the engine opens becomes a request on an idle connection of the pool, or
 * on a new one (at most H1POOL_MAX, 1 through an upstream proxy), or waits
 * for one.  A WebSocket's connection is its own from then on and does not
 * count against that.  Runs in a worker. */
#ifndef SNARE_WORKER_H1_POOL_H
#define SNARE_WORKER_H1_POOL_H

#include <stdbool.h>

#include "core/addr.h"
#include "worker/http_framing.h"

#define H1POOL_MAX 6 /* server connections per client connection (a browser's habit) */

struct conn;

/* The ops of a pool; open is not used (h1pool_new is), feed and flush do
 * nothing: h1pool_pump moves every connection's bytes. */
extern const struct http_framing_ops h1pool_ops;

/* A pool for c's server.  Its first connection is c->server when that is
 * connected (TLS done where the server speaks TLS); the others go to the
 * same address, or to `addr` when c->server is not connected (NULL: none).
 * `failed`: the server could not be reached (every request is answered 502
 * with that reason). */
struct http_framing *h1pool_new(struct conn *c, const struct hf_limits *lim,
				const struct hf_events *ev, void *eng, const char *failed,
				const union sockaddr_any *addr);
/* Connects, reads, parses and writes every connection of the pool; starts
 * waiting requests on idle connections. */
void h1pool_pump(struct http_framing *p, bool *progress);

#endif
