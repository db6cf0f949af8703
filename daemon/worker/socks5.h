/* The SOCKS5 layer (socks5.c, layer_socks5) and UDP ASSOCIATE (socks5_udp.c).  Runs in a
 * worker; the client's bytes are untrusted. */
#ifndef SNARE_WORKER_SOCKS5_H
#define SNARE_WORKER_SOCKS5_H

#include <stdbool.h>

#include "core/addr.h"

struct conn;
struct socks_udp;
/* The layer starts: CS_SOCKS, waiting for the greeting. */
void socks5_start(struct conn *c);
/* UDP ASSOCIATE for c: the relay's socket address in *bound, the relay in
 * *out (freed with socks5_udp_free).  0 or -errno. */
int socks5_udp_start(struct conn *c, union sockaddr_any *bound, struct socks_udp **out);
void socks5_udp_free(struct socks_udp *u);

#endif
