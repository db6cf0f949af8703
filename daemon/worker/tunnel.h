/* What happens inside a tunnel (tunnel.c): what the client speaks, TLS
 * interception, TLS to snare itself.  Runs in a worker. */
#ifndef SNARE_WORKER_TUNNEL_H
#define SNARE_WORKER_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
void tunnel_detect_step(struct conn *c, bool *progress);
void tunnel_tls_step(struct conn *c, bool *progress);
int tunnel_server_tls_begin(struct conn *c);
/* Regular/upstream: a ClientHello instead of a request: TLS to snare itself. */
void tunnel_proxy_tls(struct conn *c, bool *progress);
void tunnel_on_cert(uint64_t seq, const uint8_t *der, size_t len, const char *err);

#endif
