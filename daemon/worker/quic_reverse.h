/* reverse:quic://host[:port] (quic_reverse.c): QUIC terminated towards the client and towards
 * the server, every stream relayed both ways. Runs in a worker (worker 0, which serves the UDP
 * listeners); datagrams are untrusted. */
#ifndef SNARE_WORKER_QUIC_REVERSE_H
#define SNARE_WORKER_QUIC_REVERSE_H

#include <stdint.h>

struct worker_listener;
/* Before the sandbox: the trust setting for the servers and the Retry secret. 0 or -1. */
int quic_reverse_prepare(void);
void quic_reverse_readable(struct worker_listener *l);
/* After tunnel_on_cert(): peers waiting on seq take the leaf. */
void quic_reverse_on_cert(uint64_t seq);
void quic_reverse_stop(void);

#endif
