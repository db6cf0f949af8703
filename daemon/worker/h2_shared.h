/* Shared HTTP/2 server connections: one h2 connection to a server (the
 * socket, its TLS session and the h2 framing, client side) carries the
 * streams of several client connections of a worker.  A connection is
 * filed under the h2 pool's key (h2_pool_key_of: scheme, address, port,
 * SNI and name verified, the client's address in regular mode); a client
 * connection takes a shared connection for a new stream while the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS (at most H2_SHARED_STREAMS) leaves room
 * and it has not sent GOAWAY, else one from the h2 pool, else it connects a
 * new one and shares it here.  The connection belongs to no client
 * connection: each user (a client connection, or one of its streams) holds
 * a reference, and when the last goes the connection moves to the h2 pool
 * (h2_pool.h, the same idle rules as before) or closes.  Each stream's
 * events go to the events and pointer it was opened with, so a client that
 * goes away resets only its own streams, and a GOAWAY, a close or an error
 * reaches each affected stream and nothing else.  Runs in a worker. */
#ifndef SNARE_WORKER_H2_SHARED_H
#define SNARE_WORKER_H2_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

struct conn;
struct stream;
struct http_framing;
struct hf_events;
struct hf_head;
struct h2_shared;

/* Streams snare opens on one shared connection at most (the server's own
 * limit, usually 100 or 128, applies too). */
#define H2_SHARED_STREAMS 100u
/* The receive window of a shared connection: every stream's window
 * (65535) at once, so that streams whose clients read slowly cannot fill
 * it and stall the others (per-stream windows bound what waits here). */
#define H2_SHARED_CONN_WINDOW (H2_SHARED_STREAMS * 65535u)

/* c's server connection (c->server, with its h2 framing f: client side, TLS
 * done) becomes shared: moved out of c, with one reference for c.  NULL
 * when c's key says its server connections are not shared (CONNECT
 * tunnels, upstream, transparent) or upstream_keepalive is 0: then nothing
 * moved. */
struct h2_shared *h2_shared_adopt(struct conn *c, struct http_framing *f);
/* A connection for c's key that takes a new stream now: a shared one with
 * room, else the h2 pool's (now shared); with a reference for c.  NULL
 * when none. */
struct h2_shared *h2_shared_get(struct conn *c);
/* Whether sh takes another stream (alive, no GOAWAY, room). */
bool h2_shared_can_open(const struct h2_shared *sh);
/* Whether sh takes no more streams for good (closed, an error, GOAWAY). */
bool h2_shared_ended(const struct h2_shared *sh);
/* Opens a stream with head h on sh; its events go to ev with eng.  The
 * stream id, or a negative errno. */
int32_t h2_shared_open(struct h2_shared *sh, const struct hf_head *h, bool end,
		       const struct hf_events *ev, void *eng);
/* An open stream's events go to ev with eng from now on (a stream opened
 * before its connection was shared).  0 or -ENOMEM. */
int h2_shared_bind(struct h2_shared *sh, int32_t sid, const struct hf_events *ev, void *eng);
/* The stream's user is gone: no more events; reset with CANCEL if open. */
void h2_shared_unbind(struct h2_shared *sh, int32_t sid);
/* The same without a reset (the server refused or closed the stream). */
void h2_shared_drop(struct h2_shared *sh, int32_t sid);
/* The framing to submit and consume on (h2_framing_ops); what is
 * submitted goes out once h2_shared_kick is called. */
struct http_framing *h2_shared_framing(const struct h2_shared *sh);
/* sh has something to send: it is written in the loop's next pass. */
void h2_shared_kick(struct h2_shared *sh);
/* The connection for flow records, and its id. */
const struct stream *h2_shared_stream(const struct h2_shared *sh);
char *h2_shared_id(struct h2_shared *sh);
/* Streams open on sh now. */
size_t h2_shared_streams(const struct h2_shared *sh);
void h2_shared_ref(struct h2_shared *sh);
/* Drops a reference; the last gives the connection to the h2 pool (logged
 * on logc if not NULL) or closes it. */
void h2_shared_unref(struct h2_shared *sh, struct conn *logc);
/* Whether a connection to host:port (TLS or not) is shared or pooled (an
 * eager reverse proxy then waits for the ClientHello, modes.c). */
bool h2_shared_has(const char *host, uint16_t port, bool tls);
/* Whether h2_shared_get would find one for c (shared or pooled), without
 * taking it; *cert: its server's certificate (NULL over plain TCP). */
bool h2_shared_peek(const struct conn *c, X509 **cert);
/* Shared connections now (in use; the idle ones are in the h2 pool). */
size_t h2_shared_count(void);

#endif
