/* Runs in the worker. Trusts nothing in segments: the TCP connection table (bounded, with a cap
 * on half-open connections against SYN floods), passive open of any SYN, the lifetime of a
 * control block (stack-owned until accepted, then until the application closes it and the
 * stack has finished), and event delivery to the application. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dlist.h"
#include "core/util.h"
#include "netstack/tcp_int.h"

#define TCP_MSS_MIN 64 /* floor on the peer's MSS: tiny segments only cost us CPU */

static bool tcp_tuple_eq(const struct ns_tuple *a, const struct ns_tuple *b)
{
	size_t alen = a->ver == 4 ? 4 : 16;

	return a->ver == b->ver && a->peer_port == b->peer_port && a->local_port == b->local_port &&
	       memcmp(a->peer, b->peer, alen) == 0 && memcmp(a->local, b->local, alen) == 0;
}

static struct ns_tcp **tcp_slot(struct ns_stack *s, const struct ns_tuple *t)
{
	struct ns_tcp **pp = &s->tcp_tab[ns_hash_tuple(s, t) % NS_TCP_BUCKETS];

	while (*pp != NULL && !tcp_tuple_eq(&(*pp)->t, t))
		pp = &(*pp)->hnext;
	return pp;
}

struct ns_tcp *tcp_lookup(struct ns_stack *s, const struct ns_tuple *t)
{
	return *tcp_slot(s, t);
}

void tcp_maybe_reap(struct ns_tcp *c)
{
	struct ns_stack *s = c->s;

	if (c->hashed || c->app_owned || c->reaping)
		return;
	c->reaping = true;
	c->reap_next = s->reap;
	s->reap = c;
}

static void tcp_destroy(struct ns_tcp *c)
{
	struct ns_stack *s = c->s;

	LIST_UNLINK(s->tcp_all, c, all_prev, all_next);
	ns_timer_stop(s, &c->timer);
	ns_ring_free(&c->tx);
	ns_ring_free(&c->rx);
	free(c);
}

void ns_tcp_reap(struct ns_stack *s)
{
	while (s->reap) {
		struct ns_tcp *c = s->reap;

		s->reap = c->reap_next;
		tcp_destroy(c);
	}
}

void ns_tcp_free_all(struct ns_stack *s)
{
	while (s->tcp_all)
		tcp_destroy(s->tcp_all);
	memset(s->tcp_tab, 0, sizeof(s->tcp_tab));
	s->reap = NULL;
}

void tcp_set_state(struct ns_tcp *c, enum tcp_state st)
{
	if (c->state == TCP_SYN_RCVD)
		c->s->ctr.tcp_half_open--;
	if (st == TCP_SYN_RCVD)
		c->s->ctr.tcp_half_open++;
	c->state = st;
}

void tcp_drop(struct ns_tcp *c, int err)
{
	struct ns_stack *s = c->s;

	if (!c->hashed)
		return;
	*tcp_slot(s, &c->t) = c->hnext;
	c->hashed = false;
	s->ctr.tcp_conns--;
	tcp_set_state(c, TCP_CLOSED);
	ns_timer_stop(s, &c->timer);
	if (c->err == 0)
		c->err = err;
	c->ev_closed = true;
	tcp_maybe_reap(c);
}

static uint16_t tcp_mss_for(const struct ns_stack *s, uint8_t ver)
{
	return (uint16_t)(s->mtu - ns_ip_hlen(ver) - TCP_HLEN);
}

/* The window-scale shift that lets the whole receive buffer be advertised. */
static uint8_t tcp_our_wscale(void)
{
	uint8_t ws = 0;

	while (ws < 14 && (NS_TCP_RCVBUF >> ws) > 65535)
		ws++;
	return ws;
}

static void tcp_init_options(struct ns_tcp *c, const struct tcp_seg *seg)
{
	uint16_t ours = tcp_mss_for(c->s, c->t.ver);
	uint16_t peer = seg->mss ? seg->mss : (c->t.ver == 4 ? 536 : 1220);

	c->mss = peer < ours ? peer : ours;
	if (c->mss < TCP_MSS_MIN)
		c->mss = TCP_MSS_MIN;
	if (seg->ws >= 0) {
		c->snd_ws = (uint8_t)(seg->ws > 14 ? 14 : seg->ws);
		c->rcv_ws = tcp_our_wscale();
	}
	c->snd_wnd = seg->wnd;
}

static struct ns_tcp *tcp_conn_new(struct ns_stack *s, const struct ns_tuple *t)
{
	struct ns_tcp *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->t = *t;
	ns_ring_init(&c->tx, NS_TCP_SNDBUF);
	ns_ring_init(&c->rx, NS_TCP_RCVBUF);
	ns_timer_init(&c->timer, tcp_timer_fire, c);
	LIST_PUSH(s->tcp_all, c, all_prev, all_next);
	return c;
}

void tcp_passive_open(struct ns_stack *s, const struct ns_tuple *t, const struct tcp_seg *seg)
{
	struct ns_tcp *c;

	if (s->ctr.tcp_conns >= NS_TCP_MAX_CONNS || s->ctr.tcp_half_open >= NS_TCP_MAX_HALF_OPEN) {
		s->ctr.tcp_syn_dropped++;
		return;
	}
	c = tcp_conn_new(s, t);
	c->iss = (uint32_t)ns_random(s);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	tcp_init_options(c, seg);
	c->rto = TCP_RTO_INIT_MS;
	c->cwnd = TCP_INIT_CWND_SEGS * (uint32_t)c->mss;
	c->rtt_timing = true; /* the SYN-ACK gives the first sample */
	c->rtt_seq = c->iss + 1;
	c->rtt_start = s->now;
	c->ssthresh = UINT32_MAX;
	c->last_rx = c->last_ka = s->now;
	c->hashed = true;
	*tcp_slot(s, t) = c;
	s->ctr.tcp_conns++;
	tcp_set_state(c, TCP_SYN_RCVD);
	tcp_send_synack(c);
	tcp_rtx_arm(c);
	tcp_timer_update(c);
}

/* Free receive-buffer space: what the window may offer. */
uint32_t tcp_rcv_space(const struct ns_tcp *c)
{
	return (uint32_t)ns_ring_space(&c->rx);
}

static void tcp_notify_accept(struct ns_tcp *c)
{
	struct ns_stack *s = c->s;
	struct sockaddr_storage src, dst;

	if (s->cb.tcp_accept == NULL) {
		tcp_send_rst(c);
		tcp_drop(c, -ECONNREFUSED);
		return;
	}
	c->app_owned = true;
	s->ctr.tcp_accepted++;
	ns_to_sockaddr(c->t.ver, c->t.peer, c->t.peer_port, &src);
	ns_to_sockaddr(c->t.ver, c->t.local, c->t.local_port, &dst);
	s->cb.tcp_accept(s->arg, c, &src, &dst);
	tcp_timer_update(c); /* keepalives start now that someone owns it */
}

/* Reports the gathered events in order; the application may close c in any callback. */
static void tcp_notify_events(struct ns_tcp *c)
{
	if (c->ev_accept) {
		c->ev_accept = false;
		tcp_notify_accept(c);
	}
	if (c->ev_readable && c->app_owned) {
		c->ev_readable = false;
		if (c->cb.readable)
			c->cb.readable(c->cb_arg);
	}
	if (c->ev_writable && c->app_owned) {
		c->ev_writable = false;
		if (c->cb.writable)
			c->cb.writable(c->cb_arg);
	}
	if (c->ev_closed && c->app_owned && !c->closed_done) {
		c->ev_closed = false;
		c->closed_done = true;
		if (c->cb.closed)
			c->cb.closed(c->cb_arg, c->err);
	}
	c->ev_readable = c->ev_writable = c->ev_closed = false;
}

void tcp_notify(struct ns_tcp *c)
{
	c->in_notify = true;
	tcp_notify_events(c);
	c->in_notify = false;
	if (c->hashed && c->ack_now)
		tcp_send_ack(c);
}

void ns_tcp_set_callbacks(struct ns_tcp *c, const struct ns_tcp_callbacks *cb, void *arg)
{
	if (cb)
		c->cb = *cb;
	else
		memset(&c->cb, 0, sizeof(c->cb));
	c->cb_arg = arg;
}
