/* QUIC intercepted in the packet modes and transparent UDP (quic_intercept.c): a UDP flow whose
 * client starts with a QUIC v1/v2 Initial to a host the host rules do not ignore is terminated
 * towards the client and reconnected to the server it was sent to, as reverse:quic:// and
 * reverse:http3:// do (quic_reverse.c, h3_reverse.c). Runs in a worker; datagrams are untrusted. */
#ifndef SNARE_WORKER_QUIC_INTERCEPT_H
#define SNARE_WORKER_QUIC_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

/* What the owner of a UDP flow (packet.c, transparent_udp.c) does for its interceptor. */
struct qx_ops {
	void (*to_client)(void *arg, const uint8_t *d, size_t n); /* a datagram for the client */
	void (*relay)(void *arg, const uint8_t *d, size_t n); /* relay a client's datagram as UDP */
};

struct qx;

/* One per UDP flow; NULL when QUIC is not intercepted (http3=false). */
struct qx *qx_new(unsigned mode_index, const union sockaddr_any *client,
		  const union sockaddr_any *server, const struct qx_ops *ops, void *arg);
/* The UDP flow's record (owned by the caller, outliving x): its process (local mode) names the
 * intercepted flows, and the tls_clienthello hook sees it. x may be NULL. */
struct udp_rec;
void qx_set_record(struct qx *x, struct udp_rec *rec);
/* Frees x (and closes the connections it made). */
void qx_free(struct qx *x);
/* A client's datagram. true: taken (held while its ClientHello is incomplete, intercepted, or
 * relayed through ops->relay with those held before it once the flow turned out not to be
 * intercepted); false: the flow is relayed, relay it as UDP yourself. */
bool qx_client(struct qx *x, const uint8_t *d, size_t n);
/* The flow is intercepted: its lifetime is the QUIC connections', not an idle timer's. Once
 * they are closed, the flow ends after UDP_IDLE_MS of silence, its datagrams dropped unless a
 * new Initial from the same port starts over. */
bool qx_intercepted(const struct qx *x);

#endif
