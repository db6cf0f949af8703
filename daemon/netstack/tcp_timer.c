/* Runs in the worker. Trusts the control block: per-connection deadlines (retransmission with
 * exponential backoff and RFC 6298 RTT estimation, SYN-ACK retries, zero-window probes, delayed
 * ACK, keepalive, idle timeout, TIME_WAIT) folded into one heap entry per connection. */
#include <errno.h>

#include "netstack/tcp_int.h"

static uint64_t tcp_min_due(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static bool tcp_synchronized(const struct ns_tcp *c)
{
	return c->state != TCP_SYN_RCVD && c->state != TCP_TIME_WAIT && c->state != TCP_CLOSED;
}

static uint64_t tcp_keepalive_due(const struct ns_tcp *c)
{
	uint64_t last = c->last_rx > c->last_ka ? c->last_rx : c->last_ka;

	if (!c->app_owned || !tcp_synchronized(c))
		return 0;
	return last + NS_TCP_KEEPALIVE_MS;
}

static uint64_t tcp_idle_due(const struct ns_tcp *c)
{
	return tcp_synchronized(c) ? c->last_rx + NS_TCP_IDLE_MS : 0;
}

/* Starts a zero-window probe when the peer's window holds back data and nothing else will
 * make it speak. */
static void tcp_persist_check(struct ns_tcp *c)
{
	uint32_t off = c->snd_nxt - c->snd_una;

	if (c->rtx_due != 0 || !tcp_synchronized(c) || c->snd_wnd != 0 || off >= c->tx.len ||
	    tcp_flight(c) != 0)
		return;
	c->persist = true;
	c->rtx_due = c->s->now + c->rto;
}

void tcp_timer_update(struct ns_tcp *c)
{
	uint64_t due;

	if (!c->hashed)
		return;
	tcp_persist_check(c);
	due = tcp_min_due(c->rtx_due, c->delack_due);
	due = tcp_min_due(due, tcp_keepalive_due(c));
	due = tcp_min_due(due, tcp_idle_due(c));
	if (due == 0)
		ns_timer_stop(c->s, &c->timer);
	else
		ns_timer_set(c->s, &c->timer, due);
}

void tcp_rtx_arm(struct ns_tcp *c)
{
	if (c->rtx_due == 0 || c->persist) {
		c->persist = false;
		c->rtx_due = c->s->now + c->rto;
	}
}

void tcp_rtx_restart(struct ns_tcp *c)
{
	c->persist = false;
	c->rtx_due = tcp_flight(c) > 0 ? c->s->now + c->rto : 0;
}

/* RFC 6298 2.2/2.3 with alpha 1/8, beta 1/4, G 1 ms. */
void tcp_rtt_sample(struct ns_tcp *c, uint32_t r)
{
	uint32_t rto;

	if (c->srtt == 0) {
		c->srtt = r ? r : 1;
		c->rttvar = r / 2;
	} else {
		uint32_t d = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
		if (c->srtt == 0)
			c->srtt = 1;
	}
	rto = c->srtt + (4 * c->rttvar > 1 ? 4 * c->rttvar : 1);
	if (rto < TCP_RTO_MIN_MS)
		rto = TCP_RTO_MIN_MS;
	c->rto = rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto;
}

static void tcp_backoff(struct ns_tcp *c)
{
	c->rto = c->rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : c->rto * 2;
	c->rtx_due = c->s->now + c->rto;
}

static void tcp_give_up(struct ns_tcp *c)
{
	c->s->ctr.tcp_timeouts++;
	if (c->state != TCP_SYN_RCVD)
		tcp_send_rst(c);
	tcp_drop(c, -ETIMEDOUT);
}

/* Retransmission timeout: back off, collapse the congestion window, go back to snd_una. */
static void tcp_on_rto(struct ns_tcp *c)
{
	uint32_t flight = tcp_flight(c), half = flight / 2;

	if (++c->retries > (c->state == TCP_SYN_RCVD ? TCP_SYNACK_RETRIES : TCP_MAX_RETRIES)) {
		tcp_give_up(c);
		return;
	}
	if (c->state != TCP_SYN_RCVD && flight == 0)
		return;
	c->ssthresh = half > 2u * c->mss ? half : 2u * c->mss;
	c->cwnd = c->mss;
	c->in_recovery = false;
	c->dupacks = 0;
	c->snd_nxt = c->snd_una + tcp_retransmit_first(c);
	if (c->state == TCP_SYN_RCVD)
		c->snd_nxt = c->iss + 1;
	tcp_backoff(c);
}

static void tcp_on_persist(struct ns_tcp *c)
{
	c->s->ctr.zero_window_probes++;
	tcp_send_probe(c);
	c->persist = true;
	tcp_backoff(c);
}

static void tcp_fire_due(struct ns_tcp *c, uint64_t now)
{
	if (c->state == TCP_TIME_WAIT) {
		if (c->rtx_due != 0 && c->rtx_due <= now)
			tcp_drop(c, 0);
		return;
	}
	if (tcp_idle_due(c) != 0 && tcp_idle_due(c) <= now) {
		tcp_give_up(c);
		return;
	}
	if (c->rtx_due != 0 && c->rtx_due <= now) {
		c->rtx_due = 0;
		if (c->persist)
			tcp_on_persist(c);
		else
			tcp_on_rto(c);
		if (!c->hashed)
			return;
	}
	if (c->delack_due != 0 && c->delack_due <= now)
		tcp_send_ack(c);
	if (tcp_keepalive_due(c) != 0 && tcp_keepalive_due(c) <= now) {
		c->s->ctr.keepalives++;
		c->last_ka = now;
		tcp_send_probe(c);
	}
}

void tcp_timer_fire(struct ns_timer *t)
{
	struct ns_tcp *c = t->arg;

	tcp_fire_due(c, c->s->now);
	tcp_timer_update(c);
	tcp_notify(c);
}
