/* How a connection starts, per mode, and where its server connection goes
 * (modes.c).  Runs in a worker. */
#ifndef SNARE_WORKER_MODES_H
#define SNARE_WORKER_MODES_H

#include <stdint.h>

struct conn;
/* The mode's facts on c: kind, server-side TLS, upstream proxy. */
void mode_start(struct conn *c);
/* Reverse, transparent and packet modes: the destination, then a tunnel to
 * it (connected first when connection_strategy is eager). */
void mode_tunnel_start(struct conn *c);
/* Where the server connection for host:port really goes (the upstream
 * proxy in upstream mode). */
void mode_server_address(struct conn *c, const char *host, uint16_t port, const char **h,
			 uint16_t *p);

#endif
