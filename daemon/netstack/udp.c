/* Runs in the worker. Trusts nothing in datagrams: UDP input (length and checksum checks) with
 * delivery of every datagram to the worker, a bounded table of 4-tuple flows expired after
 * NS_UDP_IDLE_MS of silence (least recently used evicted first), and reply output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dlist.h"
#include "core/util.h"
#include "netstack/ns_int.h"

struct ns_udp_flow {
	struct ns_tuple t;
	uint64_t last;
	struct ns_udp_flow *hnext, *prev, *next;
};

static bool ns_tuple_eq(const struct ns_tuple *a, const struct ns_tuple *b)
{
	size_t alen = a->ver == 4 ? 4 : 16;

	return a->ver == b->ver && a->peer_port == b->peer_port && a->local_port == b->local_port &&
	       memcmp(a->peer, b->peer, alen) == 0 && memcmp(a->local, b->local, alen) == 0;
}

static struct ns_udp_flow **udp_slot(struct ns_stack *s, const struct ns_tuple *t)
{
	struct ns_udp_flow **pp = &s->udp.bucket[ns_hash_tuple(s, t) % NS_UDP_BUCKETS];

	while (*pp != NULL && !ns_tuple_eq(&(*pp)->t, t))
		pp = &(*pp)->hnext;
	return pp;
}

static void lru_unlink(struct ns_udp_table *u, struct ns_udp_flow *f)
{
	DLIST_UNLINK(u->lru_head, u->lru_tail, f, prev, next);
	f->prev = f->next = NULL;
}

static void lru_append(struct ns_udp_table *u, struct ns_udp_flow *f)
{
	DLIST_APPEND(u->lru_head, u->lru_tail, f, prev, next);
}

/* Removes f, tells the worker, frees it. */
static void udp_flow_end(struct ns_stack *s, struct ns_udp_flow *f)
{
	struct sockaddr_storage src, dst;

	*udp_slot(s, &f->t) = f->hnext;
	lru_unlink(&s->udp, f);
	s->udp.count--;
	s->ctr.udp_flows = s->udp.count;
	s->ctr.udp_flows_expired++;
	ns_to_sockaddr(f->t.ver, f->t.peer, f->t.peer_port, &src);
	ns_to_sockaddr(f->t.ver, f->t.local, f->t.local_port, &dst);
	free(f);
	if (s->cb.udp_closed)
		s->cb.udp_closed(s->arg, &src, &dst);
}

static void udp_expire_arm(struct ns_stack *s)
{
	if (s->udp.lru_head)
		ns_timer_set(s, &s->udp.expire, s->udp.lru_head->last + NS_UDP_IDLE_MS);
	else
		ns_timer_stop(s, &s->udp.expire);
}

static void udp_on_expire(struct ns_timer *t)
{
	struct ns_stack *s = t->arg;

	while (s->udp.lru_head && s->udp.lru_head->last + NS_UDP_IDLE_MS <= s->now)
		udp_flow_end(s, s->udp.lru_head);
	udp_expire_arm(s);
}

/* Marks the flow used now, creating it (evicting the oldest when full) if create. */
static void udp_touch(struct ns_stack *s, const struct ns_tuple *t, bool create)
{
	struct ns_udp_flow **pp = udp_slot(s, t), *f = *pp;

	if (f == NULL) {
		if (!create)
			return;
		if (s->udp.count >= NS_UDP_MAX_FLOWS) {
			udp_flow_end(s, s->udp.lru_head);
			pp = udp_slot(s, t);
		}
		f = xcalloc(1, sizeof(*f));
		f->t = *t;
		*pp = f;
		s->udp.count++;
		s->ctr.udp_flows = s->udp.count;
	} else {
		lru_unlink(&s->udp, f);
	}
	f->last = s->now;
	lru_append(&s->udp, f);
	if (s->udp.lru_head == f || s->udp.expire.idx == (size_t)-1)
		udp_expire_arm(s);
}

void ns_udp_init(struct ns_stack *s)
{
	ns_timer_init(&s->udp.expire, udp_on_expire, s);
}

void ns_udp_free(struct ns_stack *s)
{
	struct ns_udp_flow *f = s->udp.lru_head, *next;

	for (; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	memset(&s->udp, 0, sizeof(s->udp));
}

static void udp_tuple(const struct ns_ip *ip, struct ns_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->ver = ip->ver;
	memcpy(t->peer, ip->src, 16);
	memcpy(t->local, ip->dst, 16);
	t->peer_port = ns_get16(ip->l4);
	t->local_port = ns_get16(ip->l4 + 2);
}

void ns_udp_input(struct ns_stack *s, const struct ns_ip *ip)
{
	struct sockaddr_storage src, dst;
	struct ns_ip u = *ip;
	struct ns_tuple t;
	size_t ulen;

	if (ip->l4len < 8 || (ulen = ns_get16(ip->l4 + 4)) < 8 || ulen > ip->l4len) {
		s->ctr.bad_packet++;
		return;
	}
	u.l4len = ulen;
	if ((ip->ver == 6 || ns_get16(ip->l4 + 6) != 0) && !ns_csum_l4_ok(&u)) {
		s->ctr.bad_checksum++;
		return;
	}
	udp_tuple(ip, &t);
	if (t.peer_port == 0 || t.local_port == 0) {
		s->ctr.bad_packet++;
		return;
	}
	s->ctr.udp_in++;
	udp_touch(s, &t, true);
	ns_to_sockaddr(t.ver, t.peer, t.peer_port, &src);
	ns_to_sockaddr(t.ver, t.local, t.local_port, &dst);
	if (s->cb.udp_datagram)
		s->cb.udp_datagram(s->arg, &src, &dst, ip->l4 + 8, ulen - 8);
}

static int udp_send(struct ns_stack *s, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, const uint8_t *data, size_t len)
{
	uint8_t sver, dver, sa[16], da[16], *p;
	uint16_t sport, dport, sum;
	struct ns_tuple t;

	if (ns_from_sockaddr(src, &sver, sa, &sport) < 0 ||
	    ns_from_sockaddr(dst, &dver, da, &dport) < 0 || sver != dver)
		return -EAFNOSUPPORT;
	if (!ns_addr_unicast(sver, sa) || !ns_addr_unicast(sver, da))
		return -EINVAL;
	if (len > 65535 - 8 - ns_ip_hlen(sver) || (sver == 6 && len + 48 > s->mtu))
		return -EMSGSIZE;
	p = s->obuf + ns_ip_hlen(sver);
	ns_put16(p, sport);
	ns_put16(p + 2, dport);
	ns_put16(p + 4, (uint16_t)(len + 8));
	ns_put16(p + 6, 0);
	if (len > 0)
		memcpy(p + 8, data, len);
	sum = ns_csum_fold(
	    ns_csum_add(ns_csum_pseudo(sver, sa, da, IPPROTO_UDP_, len + 8), p, len + 8));
	ns_put16(p + 6, sum == 0 ? 0xffff : sum);
	memset(&t, 0, sizeof(t));
	t.ver = sver;
	memcpy(t.peer, da, 16);
	memcpy(t.local, sa, 16);
	t.peer_port = dport;
	t.local_port = sport;
	udp_touch(s, &t, false);
	s->ctr.udp_out++;
	return ns_ip_send(s, sver, sa, da, IPPROTO_UDP_, len + 8);
}

int ns_udp_send(struct ns_stack *s, const struct sockaddr_storage *src,
		const struct sockaddr_storage *dst, const uint8_t *data, size_t len)
{
	int r;

	ns_enter(s);
	r = udp_send(s, src, dst, data, len);
	ns_leave(s);
	return r;
}
