/* reverse:dtls:// (dtls_reverse.c): DTLS intercepted per client address.
 * Runs in a worker; datagrams are untrusted. */
#ifndef SNARE_WORKER_DTLS_REVERSE_H
#define SNARE_WORKER_DTLS_REVERSE_H

#include <stdint.h>

struct worker_listener;
int dtls_reverse_prepare(void);
void dtls_reverse_readable(struct worker_listener *l);
/* After tunnel_on_cert(): peers waiting on seq take the leaf. */
void dtls_reverse_on_cert(uint64_t seq);
void dtls_reverse_stop(void);

#endif
