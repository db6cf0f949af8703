/* Runs in the worker. Internal to the netstack module: the stack, parsed packets, timers, byte
 * rings and the TCP control block shared by its files. Everything here derives from untrusted
 * packets and is bounded by the limits in netstack.h. */
#ifndef SNARE_NS_INT_H
#define SNARE_NS_INT_H

#include <stdbool.h>

#include "core/heap.h"
#include "core/loop.h"
#include "netstack/netstack.h"

#define NS_OBUF_SIZE (65535 + 64) /* one whole IP datagram plus slack */
#define NS_TCP_BUCKETS 4096
#define NS_UDP_BUCKETS 1024
#define NS_FRAG_MAX_PIECES 64 /* distinct ranges held per datagram */
#define NS_OOO_MAX 16	      /* out-of-order ranges held per connection */

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

/* Sequence-number comparisons modulo 2^32. */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

static inline uint16_t ns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Two endpoints of one flow as seen on the wire: "peer" sent the packet we received, "local"
 * is the address it was sent to (the one we impersonate). v4 addresses use the first 4 bytes. */
struct ns_tuple {
	uint8_t ver; /* 4 or 6 */
	uint8_t peer[16], local[16];
	uint16_t peer_port, local_port;
};

/* One received IP datagram (after reassembly), headers checked. */
struct ns_ip {
	uint8_t ver, proto;
	uint8_t src[16], dst[16];
	const uint8_t *l4;
	size_t l4len;
};

/* checksum.c */
uint32_t ns_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t ns_csum_fold(uint32_t sum);
uint32_t ns_csum_pseudo(uint8_t ver, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			size_t len);
/* True when the transport checksum of ip (pseudo-header included) is right. */
bool ns_csum_l4_ok(const struct ns_ip *ip);

/* timer.c: deadlines kept in a heap; one loop timer is armed for the earliest. */
struct ns_timer {
	uint64_t due;
	size_t idx; /* SIZE_MAX when idle */
	void (*fn)(struct ns_timer *t);
	void *arg;
};
void ns_timer_init(struct ns_timer *t, void (*fn)(struct ns_timer *), void *arg);
void ns_timer_set(struct ns_stack *s, struct ns_timer *t, uint64_t due_ms);
void ns_timer_stop(struct ns_stack *s, struct ns_timer *t);
void ns_timers_run(struct ns_stack *s);
void ns_timers_rearm(struct ns_stack *s);

/* ring.c: a byte ring that grows on demand up to max. Bytes past len may be stored at an
 * offset (out-of-order data) without counting in len. */
struct ns_ring {
	uint8_t *buf;
	size_t cap, head, len, max;
};
void ns_ring_init(struct ns_ring *r, size_t max);
void ns_ring_free(struct ns_ring *r);
/* Stores n bytes at offset off past the end of the data; off + n <= max - len. */
void ns_ring_write_at(struct ns_ring *r, size_t off, const uint8_t *p, size_t n);
void ns_ring_peek(const struct ns_ring *r, size_t off, uint8_t *out, size_t n);
void ns_ring_consume(struct ns_ring *r, size_t n);
static inline size_t ns_ring_space(const struct ns_ring *r)
{
	return r->max - r->len;
}

/* udp.c */
struct ns_udp_flow;
struct ns_udp_table {
	struct ns_udp_flow *bucket[NS_UDP_BUCKETS];
	struct ns_udp_flow *lru_head, *lru_tail; /* least recently used first */
	size_t count;
	struct ns_timer expire;
};

/* frag.c */
struct ns_frag;
struct ns_frag_table {
	struct ns_frag *list; /* oldest first */
	size_t count;
	struct ns_timer expire;
};

struct ns_stack {
	struct loop *loop;
	struct ns_callbacks cb;
	void *arg;
	unsigned mtu;
	uint64_t now;
	struct loop_timer lt;
	struct heap timers; /* of struct ns_timer, by due */
	int depth;	    /* nesting of public entry points; frees wait until 0 */
	struct ns_counters ctr;
	uint8_t *obuf;
	uint16_t ip_id;
	uint64_t rng, seed;
	struct ns_tcp *tcp_tab[NS_TCP_BUCKETS];
	struct ns_tcp *reap;
	struct ns_tcp *tcp_all; /* every control block not freed yet */
	struct ns_udp_table udp;
	struct ns_frag_table frag;
};

/* stack.c */
uint64_t ns_random(struct ns_stack *s);
uint32_t ns_hash_tuple(const struct ns_stack *s, const struct ns_tuple *t);
void ns_enter(struct ns_stack *s);
void ns_leave(struct ns_stack *s);
void ns_to_sockaddr(uint8_t ver, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss);
/* Converts a sockaddr (v4-mapped v6 becomes v4) to ver/addr/port; 0 or -EAFNOSUPPORT. */
int ns_from_sockaddr(const struct sockaddr_storage *ss, uint8_t *ver, uint8_t *addr,
		     uint16_t *port);
bool ns_addr_unicast(uint8_t ver, const uint8_t *addr);

/* ip4.c / ip6.c: the transport header and payload are already in s->obuf at offset
 * ns_ip_hlen(ver); these add the IP header and hand the packet to output. */
static inline size_t ns_ip_hlen(uint8_t ver)
{
	return ver == 4 ? 20 : 40;
}
int ns_ip_send(struct ns_stack *s, uint8_t ver, const uint8_t *src, const uint8_t *dst,
	       uint8_t proto, size_t l4len);
void ns_ip4_input(struct ns_stack *s, const uint8_t *pkt, size_t len);
void ns_ip6_input(struct ns_stack *s, const uint8_t *pkt, size_t len);
void ns_ip4_output(struct ns_stack *s, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		   size_t l4len);
int ns_ip6_output(struct ns_stack *s, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		  size_t l4len);
void ns_transport_input(struct ns_stack *s, const struct ns_ip *ip);

/* frag.c: takes one IPv4 fragment (hdr points at its header); calls ns_transport_input when a
 * datagram is complete. */
void ns_frag_init(struct ns_stack *s);
void ns_frag_free(struct ns_stack *s);
void ns_frag_input(struct ns_stack *s, const struct ns_ip *ip, uint16_t id, size_t off, bool more);

/* icmp.c */
/* ICMP echo on IPv4, ICMPv6 echo on IPv6; the rest is counted unsupported. */
void ns_icmp_input(struct ns_stack *s, const struct ns_ip *ip);

/* udp.c */
void ns_udp_init(struct ns_stack *s);
void ns_udp_free(struct ns_stack *s);
void ns_udp_input(struct ns_stack *s, const struct ns_ip *ip);

/* tcp_*.c */
void ns_tcp_input(struct ns_stack *s, const struct ns_ip *ip);
void ns_tcp_free_all(struct ns_stack *s);
void ns_tcp_reap(struct ns_stack *s);

#endif
