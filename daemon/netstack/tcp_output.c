/* Runs in the worker. Trusts the control block (already checked input): builds TCP segments
 * (SYN-ACK with MSS and window-scale options, data, ACK, FIN, RST), sends what the peer's
 * window and the congestion window allow, and avoids silly windows on both sides. */
#include <string.h>

#include "netstack/tcp_int.h"

struct tcp_out {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opt;
	size_t optlen;
};

/* Writes the segment after the IP header room in obuf and sends it. Payload, if any, is
 * len bytes from ring r at offset off. */
static void tcp_emit(struct ns_stack *s, const struct ns_tuple *t, const struct tcp_out *o,
		     const struct ns_ring *r, size_t off, size_t len)
{
	uint8_t *p = s->obuf + ns_ip_hlen(t->ver);
	size_t hlen = TCP_HLEN + o->optlen;
	uint32_t sum;

	ns_put16(p, t->local_port);
	ns_put16(p + 2, t->peer_port);
	ns_put32(p + 4, o->seq);
	ns_put32(p + 8, o->ack);
	p[12] = (uint8_t)(hlen / 4) << 4;
	p[13] = o->flags;
	ns_put16(p + 14, o->wnd);
	ns_put16(p + 16, 0);
	ns_put16(p + 18, 0);
	if (o->optlen > 0)
		memcpy(p + TCP_HLEN, o->opt, o->optlen);
	if (len > 0)
		ns_ring_peek(r, off, p + hlen, len);
	sum = ns_csum_pseudo(t->ver, t->local, t->peer, IPPROTO_TCP_, hlen + len);
	ns_put16(p + 16, ns_csum_fold(ns_csum_add(sum, p, hlen + len)));
	if (o->flags & TCP_RST)
		s->ctr.tcp_rst_sent++;
	ns_ip_send(s, t->ver, t->local, t->peer, IPPROTO_TCP_, hlen + len);
}

static uint32_t tcp_rmss(const struct ns_tcp *c)
{
	return (uint32_t)(c->s->mtu - ns_ip_hlen(c->t.ver) - TCP_HLEN);
}

/* The window to advertise (already scaled down). The right edge only moves on when it can
 * move by a useful amount (receiver silly-window avoidance). */
static uint16_t tcp_adv_window(struct ns_tcp *c)
{
	uint32_t space = tcp_rcv_space(c), old = 0, step = tcp_rmss(c), wnd;

	if (SEQ_GT(c->rcv_adv, c->rcv_nxt))
		old = c->rcv_adv - c->rcv_nxt;
	if (step > NS_TCP_RCVBUF / 2)
		step = NS_TCP_RCVBUF / 2;
	if (space > old && space - old < step)
		space = old;
	wnd = space >> c->rcv_ws;
	if (wnd > 65535)
		wnd = 65535;
	if (SEQ_GT(c->rcv_nxt + (wnd << c->rcv_ws), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (wnd << c->rcv_ws);
	return (uint16_t)wnd;
}

/* A segment on c from sequence seq carrying len bytes of tx from offset off. */
static void tcp_send(struct ns_tcp *c, uint32_t seq, uint8_t flags, size_t off, size_t len)
{
	struct tcp_out o = {.seq = seq, .flags = flags | TCP_ACK};

	o.ack = c->rcv_nxt;
	o.wnd = tcp_adv_window(c);
	tcp_emit(c->s, &c->t, &o, &c->tx, off, len);
	c->ack_owed = 0;
	c->ack_now = false;
	c->delack_due = 0;
}

void tcp_send_ack(struct ns_tcp *c)
{
	tcp_send(c, c->snd_nxt, 0, 0, 0);
}

void tcp_send_rst(struct ns_tcp *c)
{
	tcp_send(c, c->snd_nxt, TCP_RST, 0, 0);
}

void tcp_send_synack(struct ns_tcp *c)
{
	uint16_t mss = (uint16_t)tcp_rmss(c);
	uint8_t opt[8] = {2, 4, (uint8_t)(mss >> 8), (uint8_t)mss, 1, 3, 3, c->rcv_ws};
	uint32_t space = tcp_rcv_space(c);
	struct tcp_out o = {.seq = c->iss, .ack = c->rcv_nxt, .flags = TCP_SYN | TCP_ACK};

	o.wnd = (uint16_t)(space > 65535 ? 65535 : space); /* never scaled in a SYN */
	o.opt = opt;
	o.optlen = c->rcv_ws || c->snd_ws ? 8 : 4;
	c->rcv_adv = c->rcv_nxt + o.wnd;
	tcp_emit(c->s, &c->t, &o, NULL, 0, 0);
}

void tcp_reply_rst(struct ns_stack *s, const struct ns_tuple *t, const struct tcp_seg *seg)
{
	struct tcp_out o = {.flags = TCP_RST};

	if (seg->flags & TCP_ACK) {
		o.seq = seg->ack;
	} else {
		o.flags |= TCP_ACK;
		o.ack = seg->seq + (uint32_t)seg->len + !!(seg->flags & TCP_SYN) +
			!!(seg->flags & TCP_FIN);
	}
	tcp_emit(s, t, &o, NULL, 0, 0);
}

uint32_t tcp_flight(const struct ns_tcp *c)
{
	return c->snd_max - c->snd_una;
}

/* Sends one segment from snd_nxt if the windows allow; true when one was sent. */
static bool tcp_send_next(struct ns_tcp *c)
{
	uint32_t off = c->snd_nxt - c->snd_una, wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
	uint32_t avail = off < c->tx.len ? (uint32_t)c->tx.len - off : 0, usable = 0, n;
	uint8_t flags = 0;

	if (SEQ_LT(c->snd_nxt, c->snd_una + wnd))
		usable = c->snd_una + wnd - c->snd_nxt;
	n = avail < usable ? avail : usable;
	if (n > c->mss)
		n = c->mss;
	if (n < avail && n < c->mss && (n == 0 || tcp_flight(c) > 0))
		return false; /* wait for a useful window (sender silly-window avoidance) */
	if (c->fin_queued && c->snd_nxt + n == c->fin_seq)
		flags |= TCP_FIN;
	if (n == 0 && !(flags & TCP_FIN))
		return false;
	if (n > 0 && n == avail)
		flags |= TCP_PSH;
	tcp_send(c, c->snd_nxt, flags, off, n);
	if (!c->rtt_timing && c->snd_nxt == c->snd_max && n > 0) {
		c->rtt_timing = true;
		c->rtt_seq = c->snd_nxt + n;
		c->rtt_start = c->s->now;
	}
	c->snd_nxt += n + !!(flags & TCP_FIN);
	c->fin_sent |= (flags & TCP_FIN) != 0;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	return true;
}

static bool tcp_sending_state(const struct ns_tcp *c)
{
	return c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
	       c->state == TCP_FIN_WAIT_1 || c->state == TCP_LAST_ACK;
}

void tcp_output(struct ns_tcp *c)
{
	bool sent = false;

	if (!c->hashed)
		return;
	if (tcp_sending_state(c) && !(c->fin_sent && c->snd_nxt == c->fin_seq + 1)) {
		while (tcp_send_next(c)) {
			sent = true;
			if (c->fin_sent && c->snd_nxt == c->fin_seq + 1)
				break;
		}
	}
	if (!sent && c->ack_now)
		tcp_send_ack(c);
	if (sent)
		tcp_rtx_arm(c);
	tcp_timer_update(c);
}

/* Resends the first unacknowledged segment (data, or the FIN alone, or the SYN-ACK); returns
 * the sequence space it covers. */
uint32_t tcp_retransmit_first(struct ns_tcp *c)
{
	uint32_t n = c->tx.len < c->mss ? (uint32_t)c->tx.len : c->mss;
	uint8_t flags = 0;

	c->rtt_timing = false; /* Karn: no sample from a retransmitted segment */
	c->s->ctr.retransmits++;
	if (c->state == TCP_SYN_RCVD) {
		tcp_send_synack(c);
		return 0;
	}
	if (c->fin_queued && c->snd_una + n == c->fin_seq && c->fin_sent)
		flags |= TCP_FIN;
	if (n == 0 && !(flags & TCP_FIN))
		return 0;
	tcp_send(c, c->snd_una, flags | (n ? TCP_PSH : 0), 0, n);
	return n + !!(flags & TCP_FIN);
}

/* A bare ACK one below snd_una: the peer answers it with its current window and ACK. Used
 * as zero-window probe and keepalive. */
void tcp_send_probe(struct ns_tcp *c)
{
	tcp_send(c, c->snd_una - 1, 0, 0, 0);
}
