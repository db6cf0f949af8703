/* The tunnel layer (tunnel.c, layer_tunnel): what the client speaks first,
 * TLS interception, TLS to snare itself.  Runs in a worker. */
#ifndef SNARE_WORKER_TUNNEL_H
#define SNARE_WORKER_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
/* Intercepts TLS whose ClientHello is in c->hello: the server handshake
 * first (unless the server is plain or not connected yet), then a leaf from
 * the ca, then the client handshake. */
void tunnel_intercept(struct conn *c);
void tunnel_on_cert(uint64_t seq, const uint8_t *der, size_t len, const char *err);

#endif
