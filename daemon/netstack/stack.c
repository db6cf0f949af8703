/* Runs in the worker. Trusts nothing in the packets: the stack object, its clock, the entry
 * points (ns_input, ns_tick) that dispatch packets by IP version and protocol, and the address
 * helpers the other files share. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include "core/util.h"
#include "netstack/ns_int.h"

static void ns_on_loop_timer(struct loop_timer *lt)
{
	struct ns_stack *s = lt->arg;

	ns_tick(s, loop_now(s->loop));
}

int ns_new(struct loop *l, const struct ns_callbacks *cb, void *arg, struct ns_stack **out)
{
	struct ns_stack *s;

	if (l == NULL || cb == NULL || cb->output == NULL)
		return -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->loop = l;
	s->cb = *cb;
	s->arg = arg;
	s->mtu = NS_MTU_DEFAULT;
	s->now = loop_now(l);
	s->obuf = xmalloc(NS_OBUF_SIZE);
	if (getrandom(&s->rng, sizeof(s->rng), 0) != sizeof(s->rng) ||
	    getrandom(&s->seed, sizeof(s->seed), 0) != sizeof(s->seed)) {
		s->rng = clock_ms() ^ (uintptr_t)s;
		s->seed = s->rng * 0x9e3779b97f4a7c15ull;
	}
	s->rng |= 1;
	s->ip_id = (uint16_t)ns_random(s);
	loop_timer_init(&s->lt, ns_on_loop_timer, s);
	heap_init(&s->timers, offsetof(struct ns_timer, idx));
	ns_udp_init(s);
	ns_frag_init(s);
	*out = s;
	return 0;
}

void ns_free(struct ns_stack *s)
{
	if (s == NULL)
		return;
	ns_tcp_free_all(s);
	ns_udp_free(s);
	ns_frag_free(s);
	loop_timer_cancel(s->loop, &s->lt);
	heap_free(&s->timers);
	free(s->obuf);
	free(s);
}

const struct ns_counters *ns_counters(const struct ns_stack *s)
{
	return &s->ctr;
}

void ns_enter(struct ns_stack *s)
{
	s->depth++;
}

/* Leaving the outermost entry point frees what was closed meanwhile and re-arms the loop
 * timer for the earliest deadline. */
void ns_leave(struct ns_stack *s)
{
	if (--s->depth > 0)
		return;
	ns_tcp_reap(s);
	ns_timers_rearm(s);
}

static void ns_clock(struct ns_stack *s, uint64_t now)
{
	if (now > s->now)
		s->now = now;
}

void ns_input(struct ns_stack *s, const uint8_t *pkt, size_t len)
{
	ns_enter(s);
	ns_clock(s, loop_now(s->loop));
	s->ctr.rx_packets++;
	if (len >= 1 && pkt[0] >> 4 == 4)
		ns_ip4_input(s, pkt, len);
	else if (len >= 1 && pkt[0] >> 4 == 6)
		ns_ip6_input(s, pkt, len);
	else
		s->ctr.bad_packet++;
	ns_leave(s);
}

void ns_tick(struct ns_stack *s, uint64_t now_ms)
{
	ns_enter(s);
	ns_clock(s, now_ms);
	ns_timers_run(s);
	ns_leave(s);
}

void ns_transport_input(struct ns_stack *s, const struct ns_ip *ip)
{
	if (!ns_addr_unicast(ip->ver, ip->dst) || !ns_addr_unicast(ip->ver, ip->src)) {
		s->ctr.unsupported++;
		return;
	}
	switch (ip->proto) {
	case IPPROTO_TCP_:
		ns_tcp_input(s, ip);
		break;
	case IPPROTO_UDP_:
		ns_udp_input(s, ip);
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		ns_icmp_input(s, ip);
		break;
	default:
		s->ctr.unsupported++;
	}
}

/* xorshift64*: ISNs, IP ids; not a secret beyond making blind guesses unlikely. */
uint64_t ns_random(struct ns_stack *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

#ifdef SNARE_TEST_HOOKS
void ns_test_seed(struct ns_stack *s, uint64_t seed)
{
	s->rng = seed | 1;
	s->seed = seed;
}
#endif

static uint64_t ns_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* A keyed hash of the tuple, so a peer cannot aim at one bucket without knowing the seed. */
uint32_t ns_hash_tuple(const struct ns_stack *s, const struct ns_tuple *t)
{
	size_t alen = t->ver == 4 ? 4 : 16;
	uint64_t h = s->seed, w;
	size_t i;

	for (i = 0; i < alen; i += 4) {
		w = ns_get32(t->peer + i);
		h = ns_mix(h, w << 32 | ns_get32(t->local + i));
	}
	h = ns_mix(h, (uint64_t)t->ver << 32 | (uint32_t)t->peer_port << 16 | t->local_port);
	return (uint32_t)(h ^ h >> 32);
}

void ns_to_sockaddr(uint8_t ver, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ver == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, 16);
	}
}

int ns_from_sockaddr(const struct sockaddr_storage *ss, uint8_t *ver, uint8_t *addr, uint16_t *port)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*ver = 4;
		*port = ntohs(in->sin_port);
		memcpy(addr, &in->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		*port = ntohs(in6->sin6_port);
		*ver = memcmp(a, mapped, 12) == 0 ? 4 : 6;
		memcpy(addr, *ver == 4 ? a + 12 : a, *ver == 4 ? 4 : 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* Neither unspecified, multicast nor (v4) limited broadcast: we only talk unicast. */
bool ns_addr_unicast(uint8_t ver, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (ver == 4)
		return memcmp(a, zero, 4) != 0 && (a[0] & 0xf0) != 0xe0 &&
		       !(a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
}
