/* Runs in the worker. Trusts nothing: parses TCP segments (checksum, header length, options),
 * opens a connection for any SYN, answers strays with RST, and runs the RFC 9293 "segment
 * arrives" checks for known connections: acceptability, RST and SYN (RFC 5961 challenge ACKs),
 * and ACK processing with RTT samples, fast retransmit and NewReno recovery. */
#include <errno.h>
#include <string.h>

#include "netstack/tcp_int.h"

#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3

static void tcp_parse_options(const uint8_t *p, size_t len, struct tcp_seg *seg)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == TCP_OPT_END)
			return;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || (olen = p[i + 1]) < 2 || olen > len - i)
			return;
		if (kind == TCP_OPT_MSS && olen == 4)
			seg->mss = ns_get16(p + i + 2);
		else if (kind == TCP_OPT_WS && olen == 3)
			seg->ws = p[i + 2];
		i += olen;
	}
}

/* Fills seg and t from ip; false (counted) when the segment is malformed. */
static bool tcp_parse(struct ns_stack *s, const struct ns_ip *ip, struct tcp_seg *seg,
		      struct ns_tuple *t)
{
	const uint8_t *p = ip->l4;
	size_t doff;

	if (ip->l4len < TCP_HLEN || (doff = (size_t)(p[12] >> 4) * 4) < TCP_HLEN ||
	    doff > ip->l4len) {
		s->ctr.bad_packet++;
		return false;
	}
	if (!ns_csum_l4_ok(ip)) {
		s->ctr.bad_checksum++;
		return false;
	}
	memset(seg, 0, sizeof(*seg));
	seg->seq = ns_get32(p + 4);
	seg->ack = ns_get32(p + 8);
	seg->flags = p[13] & 0x3f;
	seg->wnd = ns_get16(p + 14);
	seg->data = p + doff;
	seg->len = ip->l4len - doff;
	seg->ws = -1;
	if (seg->flags & TCP_SYN)
		tcp_parse_options(p + TCP_HLEN, doff - TCP_HLEN, seg);
	memset(t, 0, sizeof(*t));
	t->ver = ip->ver;
	memcpy(t->peer, ip->src, 16);
	memcpy(t->local, ip->dst, 16);
	t->peer_port = ns_get16(p);
	t->local_port = ns_get16(p + 2);
	if (t->peer_port == 0 || t->local_port == 0) {
		s->ctr.bad_packet++;
		return false;
	}
	return true;
}

void ns_tcp_input(struct ns_stack *s, const struct ns_ip *ip)
{
	struct tcp_seg seg;
	struct ns_tuple t;
	struct ns_tcp *c;
	uint8_t f;

	if (!tcp_parse(s, ip, &seg, &t))
		return;
	f = seg.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN);
	c = tcp_lookup(s, &t);
	if (c != NULL && c->state == TCP_TIME_WAIT && f == TCP_SYN && SEQ_GT(seg.seq, c->rcv_nxt)) {
		tcp_drop(c, 0); /* a new incarnation may reuse the tuple (RFC 9293 3.10.7.4) */
		tcp_notify(c);
		c = NULL;
	}
	if (c != NULL) {
		tcp_segment_arrives(c, &seg);
		return;
	}
	if (f & TCP_RST)
		return;
	if (f == TCP_SYN)
		tcp_passive_open(s, &t, &seg);
	else if ((f & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		tcp_reply_rst(s, &t, &seg);
}

/* RFC 9293 3.10.7.4 first check, with the zero-window allowance for ACKs at rcv_nxt. */
static bool tcp_acceptable(const struct ns_tcp *c, const struct tcp_seg *seg)
{
	uint32_t wnd = tcp_rcv_space(c);
	uint32_t slen = (uint32_t)seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	uint32_t end = seg->seq + slen - 1;

	if (seg->seq == c->rcv_nxt)
		return true;
	if (wnd == 0)
		return false;
	if (SEQ_GEQ(seg->seq, c->rcv_nxt) && SEQ_LT(seg->seq, c->rcv_nxt + wnd))
		return true;
	return slen > 0 && SEQ_GEQ(end, c->rcv_nxt) && SEQ_LT(end, c->rcv_nxt + wnd);
}

/* SYN_RCVD: true when the segment's ACK completes the handshake. */
static bool tcp_handshake(struct ns_tcp *c, const struct tcp_seg *seg)
{
	if (seg->flags & TCP_RST) {
		if (seg->seq == c->rcv_nxt)
			tcp_drop(c, -ECONNRESET);
		return false;
	}
	if (seg->flags & TCP_SYN) {
		if (seg->seq == c->irs && !(seg->flags & TCP_ACK))
			tcp_send_synack(c); /* our SYN-ACK was lost */
		return false;
	}
	if (!(seg->flags & TCP_ACK))
		return false;
	if (seg->ack != c->iss + 1) {
		tcp_reply_rst(c->s, &c->t, seg);
		return false;
	}
	tcp_set_state(c, TCP_ESTABLISHED);
	c->snd_wnd = seg->wnd << c->snd_ws;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->ev_accept = true;
	return true;
}

static void tcp_fast_retransmit(struct ns_tcp *c)
{
	uint32_t half = tcp_flight(c) / 2;

	c->s->ctr.fast_retransmits++;
	c->ssthresh = half > 2u * c->mss ? half : 2u * c->mss;
	c->recover = c->snd_max;
	c->in_recovery = true;
	tcp_retransmit_first(c);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

static void tcp_dupack(struct ns_tcp *c)
{
	c->dupacks++;
	if (c->dupacks == 3 && !c->in_recovery)
		tcp_fast_retransmit(c);
	else if (c->dupacks > 3 && c->in_recovery)
		c->cwnd += c->mss;
}

static void tcp_cwnd_on_ack(struct ns_tcp *c, uint32_t acked)
{
	if (c->in_recovery) {
		if (SEQ_GEQ(c->snd_una, c->recover)) {
			c->in_recovery = false;
			c->cwnd = c->ssthresh;
		} else {
			tcp_retransmit_first(c); /* NewReno partial ACK */
			c->cwnd = c->cwnd > acked ? c->cwnd - acked + c->mss : c->mss;
		}
	} else if (c->cwnd < c->ssthresh) {
		c->cwnd += acked < c->mss ? acked : c->mss;
	} else {
		c->cwnd += (uint32_t)((uint64_t)c->mss * c->mss / c->cwnd) + 1;
	}
	if (c->cwnd > 2 * NS_TCP_SNDBUF)
		c->cwnd = 2 * NS_TCP_SNDBUF;
}

static void tcp_our_fin_acked(struct ns_tcp *c)
{
	if (c->state == TCP_FIN_WAIT_1)
		tcp_set_state(c, TCP_FIN_WAIT_2);
	else if (c->state == TCP_CLOSING)
		tcp_enter_time_wait(c);
	else if (c->state == TCP_LAST_ACK)
		tcp_drop(c, 0);
}

/* New data acknowledged: free it, sample the RTT, grow the window, restart the timer. */
static void tcp_new_ack(struct ns_tcp *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una;
	size_t data = acked < c->tx.len ? acked : c->tx.len;

	if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
		c->rtt_timing = false;
		tcp_rtt_sample(c, (uint32_t)(c->s->now - c->rtt_start));
	}
	c->retries = 0;
	ns_ring_consume(&c->tx, data);
	if (c->tx.len == 0)
		ns_ring_free(&c->tx);
	c->snd_una = ack;
	if (SEQ_LT(c->snd_nxt, ack))
		c->snd_nxt = ack;
	tcp_cwnd_on_ack(c, acked);
	c->dupacks = 0;
	tcp_rtx_restart(c);
	if (data > 0 && c->want_writable) {
		c->want_writable = false;
		c->ev_writable = true;
	}
	if (c->fin_sent && SEQ_GT(ack, c->fin_seq))
		tcp_our_fin_acked(c);
}

/* Step 5 of segment arrival; false when the segment must go no further. */
static bool tcp_process_ack(struct ns_tcp *c, const struct tcp_seg *seg)
{
	uint32_t wnd = seg->wnd << c->snd_ws;

	if (SEQ_GT(seg->ack, c->snd_max)) {
		c->ack_now = true;
		return false;
	}
	if (SEQ_LT(seg->ack, c->snd_una))
		return true;
	if (seg->ack == c->snd_una) {
		if (seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) && wnd == c->snd_wnd &&
		    tcp_flight(c) > 0)
			tcp_dupack(c);
	} else {
		tcp_new_ack(c, seg->ack);
	}
	if (SEQ_LT(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
	}
	if (c->snd_wnd == 0)
		c->retries = 0; /* a closed window is not a dead peer; the RTO keeps probing */
	return c->hashed;
}

void tcp_enter_time_wait(struct ns_tcp *c)
{
	tcp_set_state(c, TCP_TIME_WAIT);
	c->rtx_due = c->s->now + NS_TCP_TIME_WAIT_MS;
	c->persist = false;
	c->delack_due = 0;
	c->ev_closed = true;
}

/* RST and SYN checks (RFC 5961); false when the segment is consumed. */
static bool tcp_check_rst_syn(struct ns_tcp *c, const struct tcp_seg *seg)
{
	if (seg->flags & TCP_RST) {
		if (c->state == TCP_TIME_WAIT)
			return false; /* RFC 1337 */
		if (seg->seq == c->rcv_nxt) {
			c->s->ctr.tcp_rst_rcvd++;
			tcp_drop(c, -ECONNRESET);
		} else {
			c->ack_now = true; /* challenge ACK */
		}
		return false;
	}
	if (seg->flags & TCP_SYN) {
		c->ack_now = true;
		return false;
	}
	return (seg->flags & TCP_ACK) != 0;
}

/* An ACK for data we sent: the peer is alive even if the segment is out of the window. */
static bool tcp_ack_plausible(const struct ns_tcp *c, const struct tcp_seg *seg)
{
	return (seg->flags & TCP_ACK) && SEQ_GEQ(seg->ack, c->snd_una) &&
	       SEQ_LEQ(seg->ack, c->snd_max);
}

static void tcp_segment_checks(struct ns_tcp *c, const struct tcp_seg *seg)
{
	if (c->state == TCP_SYN_RCVD && !tcp_handshake(c, seg))
		return;
	if (!tcp_acceptable(c, seg)) {
		if (!(seg->flags & TCP_RST))
			c->ack_now = true;
		if (tcp_ack_plausible(c, seg))
			c->last_rx = c->s->now; /* e.g. the peer's zero-window probes: it is alive */
		return;
	}
	c->last_rx = c->s->now;
	if (!tcp_check_rst_syn(c, seg) || !tcp_process_ack(c, seg))
		return;
	tcp_receive(c, seg);
}

void tcp_segment_arrives(struct ns_tcp *c, const struct tcp_seg *seg)
{
	tcp_segment_checks(c, seg);
	if (c->hashed)
		tcp_output(c);
	tcp_notify(c);
}
