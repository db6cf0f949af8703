/* Runs in the worker. Trusts nothing: the text and FIN of acceptable segments. Data is trimmed
 * to the receive window (the free space of the bounded receive buffer), delivered in order,
 * held out of order in the same buffer (a bounded list of ranges), and ACKed at once or after
 * a short delay. */
#include <errno.h>
#include <string.h>

#include "netstack/tcp_int.h"

static uint32_t tcp_rmss(const struct ns_tcp *c)
{
	return (uint32_t)(c->s->mtu - ns_ip_hlen(c->t.ver) - TCP_HLEN);
}

/* Adds [a, b) to the sorted, disjoint out-of-order ranges; false when there is no room. */
static bool tcp_ooo_add(struct ns_tcp *c, uint32_t a, uint32_t b)
{
	size_t i = 0, j;

	while (i < c->nooo && SEQ_LT(c->ooo[i].end, a))
		i++;
	j = i;
	while (j < c->nooo && SEQ_LEQ(c->ooo[j].start, b)) {
		if (SEQ_LT(c->ooo[j].start, a))
			a = c->ooo[j].start;
		if (SEQ_GT(c->ooo[j].end, b))
			b = c->ooo[j].end;
		j++;
	}
	if (i == j && c->nooo == NS_OOO_MAX)
		return false;
	/* ranges i..j-1 merge into one at i */
	memmove(&c->ooo[i + 1], &c->ooo[j], (c->nooo - j) * sizeof(c->ooo[0]));
	c->nooo = c->nooo - (j - i) + 1;
	c->ooo[i].start = a;
	c->ooo[i].end = b;
	return true;
}

/* Moves rcv_nxt over out-of-order ranges it now reaches. */
static void tcp_ooo_advance(struct ns_tcp *c)
{
	size_t i = 0;

	while (i < c->nooo && SEQ_LEQ(c->ooo[i].start, c->rcv_nxt)) {
		if (SEQ_GT(c->ooo[i].end, c->rcv_nxt)) {
			uint32_t n = c->ooo[i].end - c->rcv_nxt;

			c->rx.len += n;
			c->rcv_nxt += n;
		}
		i++;
	}
	memmove(&c->ooo[0], &c->ooo[i], (c->nooo - i) * sizeof(c->ooo[0]));
	c->nooo -= i;
}

static void tcp_fin_arrives(struct ns_tcp *c)
{
	c->rcv_nxt++;
	c->rx_fin = true;
	c->ooo_fin = false;
	c->ack_now = true;
	c->ev_readable = true;
	if (c->state == TCP_ESTABLISHED)
		tcp_set_state(c, TCP_CLOSE_WAIT);
	else if (c->state == TCP_FIN_WAIT_1 && c->fin_sent && SEQ_GT(c->snd_una, c->fin_seq))
		tcp_enter_time_wait(c);
	else if (c->state == TCP_FIN_WAIT_1)
		tcp_set_state(c, TCP_CLOSING);
	else if (c->state == TCP_FIN_WAIT_2)
		tcp_enter_time_wait(c);
}

/* Stores [seq, seq+n) which lies within the window; in order or not. */
static void tcp_store(struct ns_tcp *c, uint32_t seq, const uint8_t *p, uint32_t n)
{
	uint32_t off = seq - c->rcv_nxt;

	if (off > 0 && !tcp_ooo_add(c, seq, seq + n)) {
		c->s->ctr.ooo_dropped++;
		c->ack_now = true;
		return;
	}
	ns_ring_write_at(&c->rx, off, p, n);
	if (off > 0) {
		c->ack_now = true; /* a duplicate ACK tells the peer about the hole */
		return;
	}
	c->rx.len += n;
	c->rcv_nxt += n;
	if (c->nooo > 0) {
		tcp_ooo_advance(c);
		c->ack_now = true; /* a hole was filled */
	}
	c->ev_readable = true;
	c->ack_owed += n;
	if (c->ack_owed >= 2 * tcp_rmss(c))
		c->ack_now = true;
	else if (c->delack_due == 0)
		c->delack_due = c->s->now + TCP_DELACK_MS;
}

static bool tcp_accepts_text(const struct ns_tcp *c)
{
	return c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	       c->state == TCP_FIN_WAIT_2;
}

void tcp_receive(struct ns_tcp *c, const struct tcp_seg *seg)
{
	uint32_t start = seg->seq, end = seg->seq + (uint32_t)seg->len;
	uint32_t edge = c->rcv_nxt + tcp_rcv_space(c);
	bool fin = (seg->flags & TCP_FIN) != 0;

	if (!tcp_accepts_text(c)) {
		if (fin || seg->len > 0)
			c->ack_now = true; /* a retransmitted FIN: ACK it again */
		if (fin && c->state == TCP_TIME_WAIT)
			c->rtx_due = c->s->now + NS_TCP_TIME_WAIT_MS;
		return;
	}
	if (seg->len > 0 && c->app_closed) {
		tcp_send_rst(c); /* nobody will read it */
		tcp_drop(c, -ECONNABORTED);
		return;
	}
	if (SEQ_LT(start, c->rcv_nxt))
		start = c->rcv_nxt;
	if (SEQ_GT(end, edge)) {
		end = edge;
		fin = false;
	}
	if (SEQ_LT(start, end))
		tcp_store(c, start, seg->data + (start - seg->seq), end - start);
	else if (seg->len > 0)
		c->ack_now = true; /* all old: the peer missed our ACK */
	if (fin && !c->rx_fin) {
		c->ooo_fin = true;
		c->ooo_fin_seq = seg->seq + (uint32_t)seg->len;
	}
	if (c->ooo_fin && c->rcv_nxt == c->ooo_fin_seq)
		tcp_fin_arrives(c);
	else if (fin)
		c->ack_now = true;
}
