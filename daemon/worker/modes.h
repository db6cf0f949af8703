/* How a connection starts, per mode, and where its server connection goes
 * (modes.c).  Runs in a worker. */
#ifndef SNARE_WORKER_MODES_H
#define SNARE_WORKER_MODES_H

#include <stdint.h>

struct conn;
void mode_start(struct conn *c);
/* Where the server connection for host:port really goes (the upstream
 * proxy in upstream mode). */
void mode_server_address(struct conn *c, const char *host, uint16_t port, const char **h,
			 uint16_t *p);

#endif
