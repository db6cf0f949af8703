/* HTTP/1.1 client, HTTP/2 server (h1_to_h2.c): the HTTP/1 engine's server
 * connection carried as streams of one h2 session when the server took h2
 * (ALPN) after the first request (lazy; under eager layer.c starts the
 * HTTP/2 layer with an HTTP/1.1 client side instead, and so it does for
 * h2c servers in reverse http:// mode) and the http2_origin option asks
 * for it.  The engine keeps writing and reading
 * HTTP/1.1 bytes; this module swaps the server stream's buffers around the
 * engine's step and translates between those bytes and the h2 framing
 * (h2_framing.c).  Runs in a worker; trusts neither peer (the framings check
 * their bytes). */
#ifndef SNARE_WORKER_H1_TO_H2_H
#define SNARE_WORKER_H1_TO_H2_H

#include <stdbool.h>

#include "core/buf.h"

struct conn;

/* Where the engine writes a request head: the translation's HTTP/1 buffer
 * when one is attached and the engine runs outside its step, else the
 * server stream's. */
struct buf *h1h2_head_out(struct conn *c);
/* A request head was just written for c's server: attach the translation
 * when the server speaks (or may speak, TLS not done yet) h2. */
void h1h2_attach(struct conn *c);
/* Whether c's server connection may take another request (false after a
 * GOAWAY or an error on an attached translation). */
bool h1h2_usable(const struct conn *c);
/* Runs `engine` (the HTTP layer's step) with the translation around it. */
void h1h2_step(struct conn *c, bool *progress, void (*engine)(struct conn *c, bool *progress));
/* The server connection goes, or c closes: frees the translation. */
void h1h2_free(struct conn *c);

#endif
