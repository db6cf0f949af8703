/* reverse:quic://host[:port] (quic_reverse.c): QUIC terminated towards the client and towards
 * the server, every stream relayed both ways. Runs in a worker (worker 0, which serves the UDP
 * listeners); datagrams are untrusted. */
#ifndef SNARE_WORKER_QUIC_REVERSE_H
#define SNARE_WORKER_QUIC_REVERSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

struct worker_listener;
/* Before the sandbox: the trust setting for the servers and the Retry secret. 0 or -1. */
int quic_reverse_prepare(void);
void quic_reverse_readable(struct worker_listener *l);
/* After tunnel_on_cert(): peers waiting on seq take the leaf. */
void quic_reverse_on_cert(uint64_t seq);
void quic_reverse_stop(void);

/* How a peer's datagrams reach its client when no listener socket of ours serves it: QUIC
 * intercepted in the packet modes and transparent UDP (quic_intercept.c). */
struct quic_endpoint {
	void (*send)(void *arg, const uint8_t *d, size_t n); /* a datagram to the client */
	/* The peer ended by itself (closed, timed out): the owner forgets it. */
	void (*gone)(void *arg);
};

/* An intercepted connection: the client's datagrams so far (its Initials, the first one
 * decides), the server it sent them to, and whether it offered h3. */
struct quic_intercept_start {
	unsigned mode_index;
	const union sockaddr_any *client, *server;
	bool http3;
	const uint8_t *const *d;
	const size_t *len;
	size_t n;
	uint32_t pid;	       /* local mode: the client's process (0: none) */
	const char *proc_name; /* ... and its name */
	bool retried; /* out: under load, the client was sent a Retry (through ep) instead */
};

struct qr_peer;
/* A peer whose two connections are made as for reverse:quic:// (reverse:http3:// when http3),
 * the server's name (SNI) and ALPN taken from the client's hello. NULL when the datagrams are
 * not a client Initial ngtcp2 accepts, or no trust setting was prepared: relay them instead;
 * or with in->retried when too many handshakes are pending: the client was sent a Retry and
 * starts over with a new Initial carrying its token (drop the datagrams held). */
struct qr_peer *quic_reverse_intercept(struct quic_intercept_start *in,
				       const struct quic_endpoint *ep, void *arg);
void quic_reverse_datagram(struct qr_peer *p, const uint8_t *d, size_t n);
/* The owner goes: both connections are closed and p is freed (ep->gone is not called). */
void quic_reverse_drop(struct qr_peer *p);

#endif
