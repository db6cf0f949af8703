/* Transparent UDP in a worker (worker 0): datagrams snare-netfilter TPROXYs
 * to the transparent mode's UDP socket (transparent_udp_ports). */
#ifndef SNARE_WORKER_TRANSPARENT_UDP_H
#define SNARE_WORKER_TRANSPARENT_UDP_H

#include <stdbool.h>

struct worker_listener;

/* For a UDP listener of a transparent mode: true when it is one of the
 * coordinator's send-only raw sockets (kept for answers, not polled);
 * false for the socket datagrams arrive on. */
bool tu_take(struct worker_listener *l);
/* The transparent UDP socket is readable. */
void tu_readable(struct worker_listener *l);
/* Ends every session (their flows are sent). */
void tu_stop(void);

#endif
