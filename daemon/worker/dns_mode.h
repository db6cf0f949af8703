/* The DNS a worker serves: dns mode and reverse dns:// over UDP and TCP,
 * DNS through packet modes, flows of DNS seen elsewhere (dns_mode.c,
 * dns_forward.c, dns_flow.c).  Runs in a worker; messages are untrusted. */
#ifndef SNARE_WORKER_DNS_MODE_H
#define SNARE_WORKER_DNS_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"

struct conn;
struct ns_stack;
struct worker_listener;

/* ---- dns_mode.c ---- */
void dns_udp_readable(struct worker_listener *l);
/* The DNS-over-TCP layer starts (layer_dns): CS_DNS_TCP. */
void dns_tcp_start(struct conn *c);
void dns_stop_all(void);
void dns_ns_datagram(unsigned mode_index, struct ns_stack *ns, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, const uint8_t *d, size_t n);

/* ---- dns_forward.c ---- */
/* Reads the forwarding target from /etc/resolv.conf (before the sandbox). */
int dns_read_resolv_conf(void);

/* ---- dns_flow.c ---- */
/* A DNS flow of a query and its answer relayed elsewhere (SOCKS5 UDP,
 * transparent UDP). */
void dns_flow_pair(unsigned mode_index, const union sockaddr_any *client,
		   const union sockaddr_any *server, const uint8_t *req, size_t reqlen,
		   const uint8_t *resp, size_t resplen);

#endif
