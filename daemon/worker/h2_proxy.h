/* The HTTP/2 layer (layer_h2, h2_proxy.c): an intercepted connection on
 * which the client and the server both negotiated h2.  Runs in a worker. */
#ifndef SNARE_WORKER_H2_PROXY_H
#define SNARE_WORKER_H2_PROXY_H

#include <stdbool.h>

struct conn;
struct h2_proxy;

/* The layer starts on c (client TLS up with ALPN h2, server the same). */
void h2_proxy_start(struct conn *c);
/* Whether the client may be offered h2 on c: http2 is on and the server
 * connection already negotiated it (connection_strategy eager). */
bool h2_proxy_server_ready(const struct conn *c);

#endif
