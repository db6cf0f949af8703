/* The SOCKS5 layer (socks5.c) and UDP ASSOCIATE (socks5_udp.c).  Runs in a
 * worker; the client's bytes are untrusted. */
#ifndef SNARE_WORKER_SOCKS5_H
#define SNARE_WORKER_SOCKS5_H

#include <stdbool.h>

#include "core/addr.h"

struct conn;
struct socks_udp;
void socks5_step(struct conn *c, bool *progress);
int socks5_udp_start(struct conn *c, union sockaddr_any *bound);
void socks5_udp_free(struct socks_udp *u);

#endif
