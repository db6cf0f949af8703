/* The datagrams transparent UDP writes to its raw sockets (tu_packet.c):
 * pure functions over caller-owned buffers, for the worker and unit tests. */
#ifndef SNARE_WORKER_TU_PACKET_H
#define SNARE_WORKER_TU_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define TU_IP4_HDR 20
#define TU_IP6_HDR 40
#define TU_IP6_FRAG_HDR 8
#define TU_UDP_HDR 8

/* An IPv4 or IPv6 header, a UDP header with its checksum and the payload,
 * from src to dst (same family, AF_INET or AF_INET6): the length written
 * to out, or 0 when it does not fit cap or a UDP length. */
size_t tu_packet_build(uint8_t *out, size_t cap, const union sockaddr_any *src,
		       const union sockaddr_any *dst, const uint8_t *payload, size_t n);

/* Fragment k (0, 1, ...) of pkt (built above) for a link of mtu bytes, as
 * IPv4 fragments or IPv6 fragments with a fragment header, all with the
 * non-zero identification id: its length in out, or 0 after the last one
 * (or when mtu leaves no room). */
size_t tu_packet_fragment(const uint8_t *pkt, size_t len, size_t mtu, uint32_t id, size_t k,
			  uint8_t *out, size_t cap);

#endif
