/* Runs in the worker. Trusts the worker that calls it: the socket-like calls on an accepted
 * connection (recv, send, shutdown, close, abort). Buffers are bounded: a reader that does not
 * read closes the advertised window, a full send buffer answers -EAGAIN. */
#include <errno.h>
#include <string.h>

#include "netstack/tcp_int.h"

static bool tcp_receiving(const struct ns_tcp *c)
{
	return c->hashed && !c->rx_fin &&
	       (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
		c->state == TCP_FIN_WAIT_2);
}

/* After a read: tell the peer when the window opened enough to matter (RFC 9293 3.8.6.2.2). */
static void tcp_window_update(struct ns_tcp *c)
{
	uint32_t adv = c->rcv_adv - c->rcv_nxt, now = tcp_rcv_space(c);
	uint32_t rmss = (uint32_t)(c->s->mtu - ns_ip_hlen(c->t.ver) - TCP_HLEN);
	uint32_t step = 2 * rmss < NS_TCP_RCVBUF / 2 ? 2 * rmss : NS_TCP_RCVBUF / 2;

	if (now > (uint32_t)65535 << c->rcv_ws)
		now = (uint32_t)65535 << c->rcv_ws; /* the most a window can say */
	if (!tcp_receiving(c) || now <= adv)
		return;
	if (now - adv < step && !(adv < rmss && now >= rmss))
		return;
	if (c->in_notify)
		c->ack_now = true; /* sent when the callback returns, maybe with its data */
	else
		tcp_send_ack(c);
}

ssize_t ns_tcp_recv(struct ns_tcp *c, uint8_t *buf, size_t len)
{
	size_t n = c->rx.len < len ? c->rx.len : len;

	if (n == 0 && len > 0) {
		if (c->rx_fin)
			return 0;
		if (c->err != 0)
			return c->err;
		return c->hashed ? -EAGAIN : 0;
	}
	ns_ring_peek(&c->rx, 0, buf, n);
	ns_ring_consume(&c->rx, n);
	if (c->rx.len == 0 && c->nooo == 0)
		ns_ring_free(&c->rx);
	ns_enter(c->s);
	tcp_window_update(c);
	ns_leave(c->s);
	return (ssize_t)n;
}

ssize_t ns_tcp_send(struct ns_tcp *c, const uint8_t *buf, size_t len)
{
	size_t n;

	if (c->err != 0)
		return c->err;
	if (c->fin_queued || !c->hashed)
		return -EPIPE;
	n = ns_ring_space(&c->tx);
	if (n > len)
		n = len;
	if (n < len)
		c->want_writable = true;
	if (n == 0)
		return len == 0 ? 0 : -EAGAIN;
	ns_ring_write_at(&c->tx, 0, buf, n);
	c->tx.len += n;
	ns_enter(c->s);
	tcp_output(c);
	ns_leave(c->s);
	return (ssize_t)n;
}

size_t ns_tcp_unacked(const struct ns_tcp *c)
{
	return c->tx.len;
}

static void tcp_queue_fin(struct ns_tcp *c)
{
	if (c->fin_queued || !c->hashed)
		return;
	if (c->state == TCP_ESTABLISHED)
		tcp_set_state(c, TCP_FIN_WAIT_1);
	else if (c->state == TCP_CLOSE_WAIT)
		tcp_set_state(c, TCP_LAST_ACK);
	else
		return;
	c->fin_queued = true;
	c->fin_seq = c->snd_una + (uint32_t)c->tx.len;
	tcp_output(c);
}

void ns_tcp_shutdown_write(struct ns_tcp *c)
{
	ns_enter(c->s);
	tcp_queue_fin(c);
	ns_leave(c->s);
}

static void tcp_release(struct ns_tcp *c)
{
	c->app_owned = false;
	c->app_closed = true;
	memset(&c->cb, 0, sizeof(c->cb));
	c->cb_arg = NULL;
}

static void tcp_reset(struct ns_tcp *c)
{
	if (c->hashed && c->state != TCP_TIME_WAIT) {
		tcp_send_rst(c);
		tcp_drop(c, -ECONNABORTED);
	}
}

void ns_tcp_close(struct ns_tcp *c)
{
	struct ns_stack *s = c->s;

	ns_enter(s);
	tcp_release(c);
	if (c->rx.len > 0 || c->nooo > 0)
		tcp_reset(c);
	else
		tcp_queue_fin(c);
	tcp_maybe_reap(c);
	ns_leave(s);
}

void ns_tcp_abort(struct ns_tcp *c)
{
	struct ns_stack *s = c->s;

	ns_enter(s);
	tcp_release(c);
	tcp_reset(c);
	tcp_maybe_reap(c);
	ns_leave(s);
}
