/* Transparent UDP in the coordinator (tproxy_sockets.c), while still root:
 * the sockets a worker needs to serve UDP that snare-netfilter TPROXYs to
 * the transparent mode.  Trusts the validated options. */
#ifndef SNARE_COORDINATOR_TPROXY_H
#define SNARE_COORDINATOR_TPROXY_H

#include "coordinator/coord.h"

/* The mark the tproxy rule sets and the helper's fwmark rule routes. */
#define COORD_TPROXY_MARK 0x534e

/* Adds the transparent mode's UDP listeners: a socket at a (the TCP
 * listener's address and port) with IP_TRANSPARENT and IP_RECVORIGDSTADDR,
 * which the tproxy rule delivers to, and send-only raw sockets (IPv4, and
 * IPv6 when a is) that answer clients from the addresses they sent to.
 * 0, or a negative code after one error line. */
int coord_tproxy_sockets(struct coord *co, unsigned mode_index, const union sockaddr_any *a);

#endif
