/* Unit tests for the netstack module's TCP (worker-side userspace stack): passive open to any
 * address over IPv4 and IPv6, data both ways with ACK checks, windows and back-pressure,
 * out-of-order reassembly, retransmission, fast retransmit, FIN both ways, RST, TIME_WAIT and
 * the connection limits. A fake client is driven by hand on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_netstack_pkt.h"

/* The next segment the stack sent; fails when there is none or it is not valid TCP. */
static void expect_seg(struct t_ctx *t, struct t_seg *g)
{
	size_t len;
	const uint8_t *p = t_next(t, &len);

	assert_non_null(p);
	assert_true(t_tcp_parse(p, len, g));
}

static void expect_none(struct t_ctx *t)
{
	size_t i;

	for (i = t->rd; i < t->nout; i++) {
		struct t_seg g;

		if (t_tcp_parse(t->out[i], t->outlen[i], &g))
			print_message("unexpected: flags %#x seq %u ack %u len %zu wnd %u\n",
				      g.flags, g.seq, g.ack, g.len, g.wnd);
	}
	assert_int_equal(t_pending(t), 0);
}

/* Client SYN (MSS 1460, window scale 7 unless ws < 0), SYN-ACK checks, final ACK. */
static struct t_app *handshake(struct t_ctx *t, struct t_peer *p, int ws)
{
	uint8_t opt[8] = {2, 4, 0x05, 0xb4, 1, 3, 3, (uint8_t)ws}, buf[200];
	size_t n = t_tcp(p->ver, p->caddr, p->saddr, p->cport, p->sport, p->snd_nxt, 0, T_SYN,
			 65535, opt, ws < 0 ? 4 : 8, NULL, 0, buf);
	size_t before = t->napps;
	struct t_seg g;

	ns_input(t->s, buf, n);
	p->snd_nxt++;
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_SYN | T_ACK);
	assert_int_equal(g.ack, p->snd_nxt);
	assert_int_equal(g.sport, p->sport);
	assert_int_equal(g.dport, p->cport);
	assert_memory_equal(g.src, p->saddr, p->ver == 4 ? 4 : 16);
	assert_int_equal(g.mss, NS_MTU_DEFAULT - (p->ver == 4 ? 40 : 60));
	assert_int_equal(g.ws, ws < 0 ? -1 : 3);
	assert_false(g.sack_ok);
	p->rcv_nxt = g.seq + 1;
	assert_int_equal(t->napps, before);
	t_send(t, p, T_ACK, NULL, 0);
	assert_int_equal(t->napps, before + 1);
	p->app = &t->apps[before];
	expect_none(t);
	return p->app;
}

static void test_handshake_any_address(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct sockaddr_in *dst;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "203.0.113.9", 443);
	handshake(t, &p, 7);
	dst = (struct sockaddr_in *)&t->acc_dst;
	assert_int_equal(dst->sin_family, AF_INET);
	assert_int_equal(ntohs(dst->sin_port), 443);
	assert_int_equal(dst->sin_addr.s_addr, inet_addr("203.0.113.9"));
	assert_int_equal(ntohs(((struct sockaddr_in *)&t->acc_src)->sin_port), 40000);
	assert_int_equal(ns_counters(t->s)->tcp_accepted, 1);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 1);
	assert_int_equal(ns_counters(t->s)->tcp_half_open, 0);
	t_free(t);
}

static void test_ipv6_handshake_and_data(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	uint8_t buf[16];
	struct t_seg g;

	t_peer_init(&p, 6, "fd00::2", 40000, "2001:db8::80", 80);
	a = handshake(t, &p, -1);
	assert_int_equal(t->acc_dst.ss_family, AF_INET6);
	t_send(t, &p, T_ACK | T_PSH, "GET", 3);
	assert_int_equal(a->readable, 1);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 3);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"OK", 2), 2);
	expect_seg(t, &g);
	assert_int_equal(g.ver, 6);
	assert_int_equal(g.len, 2);
	assert_int_equal(g.ack, p.snd_nxt); /* the ACK rides on the data */
	t_free(t);
}

static void test_data_both_ways(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	uint8_t buf[64];
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	t_send(t, &p, T_ACK | T_PSH, "hello", 5);
	assert_int_equal(a->readable, 1);
	expect_none(t); /* ACK delayed */
	t_advance(t, 40);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_ACK);
	assert_int_equal(g.ack, p.snd_nxt);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), -EAGAIN);

	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"world!", 6), 6);
	expect_seg(t, &g);
	assert_int_equal(g.seq, p.rcv_nxt);
	assert_int_equal(g.len, 6);
	assert_true(g.flags & T_PSH);
	assert_memory_equal(g.data, "world!", 6);
	assert_int_equal(ns_tcp_unacked(a->c), 6);
	p.rcv_nxt += 6;
	t_send(t, &p, T_ACK, NULL, 0);
	assert_int_equal(ns_tcp_unacked(a->c), 0);
	expect_none(t);
	/* two full segments are ACKed at once */
	{
		static uint8_t big[2 * 1380];

		t_send(t, &p, T_ACK, big, 1380);
		expect_none(t);
		t_send(t, &p, T_ACK, big + 1380, 1380);
		expect_seg(t, &g);
		assert_int_equal(g.ack, p.snd_nxt);
	}
	t_free(t);
}

static void test_large_send_segmented(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[10000];
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	size_t got = 0, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	assert_int_equal(ns_tcp_send(a->c, data, sizeof(data)), sizeof(data));
	while (t_pending(t) > 0) {
		expect_seg(t, &g);
		assert_true(g.len <= 1380);
		assert_int_equal(g.seq, p.rcv_nxt + got);
		assert_memory_equal(g.data, data + got, g.len);
		got += g.len;
	}
	assert_int_equal(got, sizeof(data)); /* initial window is 10 segments */
	t_free(t);
}

static void test_window_closes_and_reopens(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t chunk[1380], sink[NS_TCP_RCVBUF];
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint32_t wnd = 0;
	size_t sent = 0;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	/* The app does not read: fill the whole receive buffer. */
	while (sent < NS_TCP_RCVBUF) {
		size_t n =
		    NS_TCP_RCVBUF - sent < sizeof(chunk) ? NS_TCP_RCVBUF - sent : sizeof(chunk);

		t_send(t, &p, T_ACK, chunk, n);
		sent += n;
	}
	t_advance(t, 40);
	while (t_pending(t) > 0) {
		expect_seg(t, &g);
		wnd = (uint32_t)g.wnd << 3;
	}
	assert_int_equal(wnd, 0);
	assert_int_equal(g.ack, p.snd_nxt);
	/* data beyond the window is not taken */
	t_send_at(t, &p, p.snd_nxt, T_ACK, chunk, 100);
	expect_seg(t, &g);
	assert_int_equal(g.ack, p.snd_nxt);
	assert_int_equal(g.wnd, 0);
	/* a small read does not reopen a silly window... */
	assert_int_equal(ns_tcp_recv(a->c, sink, 100), 100);
	expect_none(t);
	/* ...a big one does */
	assert_int_equal(ns_tcp_recv(a->c, sink, sizeof(sink)), NS_TCP_RCVBUF - 100);
	expect_seg(t, &g);
	assert_int_equal((uint32_t)g.wnd << 3, NS_TCP_RCVBUF);
	t_free(t);
}

static void test_send_buffer_bounded(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[NS_TCP_SNDBUF + 100];
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	assert_int_equal(ns_tcp_send(a->c, data, sizeof(data)), NS_TCP_SNDBUF);
	assert_int_equal(ns_tcp_send(a->c, data, 1), -EAGAIN);
	assert_int_equal(a->writable, 0);
	expect_seg(t, &g);
	p.rcv_nxt = g.seq + (uint32_t)g.len;
	t_send(t, &p, T_ACK, NULL, 0);
	assert_int_equal(a->writable, 1);
	assert_int_equal(ns_tcp_send(a->c, data, sizeof(data)), 1380);
	t_free(t);
}

static void test_zero_window_probe(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	p.wnd = 0;
	t_send(t, &p, T_ACK, NULL, 0); /* the client's window closes */
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"data", 4), 4);
	expect_none(t);
	t_advance(t, 200); /* the RTO (its 200 ms floor after a 0 ms handshake) */
	expect_seg(t, &g);
	assert_int_equal(g.len, 0);
	assert_int_equal(g.seq, p.rcv_nxt - 1);
	assert_int_equal(ns_counters(t->s)->zero_window_probes, 1);
	t_send(t, &p, T_ACK, NULL, 0); /* still closed */
	t_advance(t, 399);
	expect_none(t); /* backed off */
	t_advance(t, 1);
	expect_seg(t, &g);
	assert_int_equal(g.seq, p.rcv_nxt - 1);
	p.wnd = 1000;
	t_send(t, &p, T_ACK, NULL, 0); /* the window opens */
	expect_seg(t, &g);
	assert_int_equal(g.len, 4);
	assert_int_equal(g.seq, p.rcv_nxt);
	t_free(t);
}

static void test_out_of_order(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint8_t buf[64];
	uint32_t base;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	base = p.snd_nxt;
	t_send_at(t, &p, base + 10, T_ACK, "KLMNOPQRST", 10);
	expect_seg(t, &g); /* duplicate ACK at once */
	assert_int_equal(g.ack, base);
	assert_int_equal(a->readable, 0);
	t_send_at(t, &p, base + 25, T_ACK, "Zzzzz", 5);
	expect_seg(t, &g);
	assert_int_equal(g.ack, base);
	t_send_at(t, &p, base, T_ACK, "ABCDEFGHIJ", 10);
	expect_seg(t, &g); /* the hole is filled: ACK at once, up to the next hole */
	assert_int_equal(g.ack, base + 20);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, "ABCDEFGHIJKLMNOPQRST", 20);
	t_send_at(t, &p, base + 18, T_ACK, "STUVWXY", 7); /* overlaps both sides */
	expect_seg(t, &g);
	assert_int_equal(g.ack, base + 30);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "UVWXYZzzzz", 10);
	t_free(t);
}

static void test_retransmission(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"lost", 4), 4);
	expect_seg(t, &g); /* dropped on the way */
	t_advance(t, 199);
	expect_none(t);
	/* The handshake RTT is 0 ms, so the RTO is the 200 ms floor. */
	t_advance(t, 1);
	expect_seg(t, &g);
	assert_int_equal(g.seq, p.rcv_nxt);
	assert_int_equal(g.len, 4);
	assert_memory_equal(g.data, "lost", 4);
	assert_int_equal(ns_counters(t->s)->retransmits, 1);
	t_advance(t, 399);
	expect_none(t); /* backoff doubles */
	t_advance(t, 1);
	expect_seg(t, &g);
	assert_int_equal(g.len, 4);
	p.rcv_nxt += 4;
	t_send(t, &p, T_ACK, NULL, 0);
	t_advance(t, 10000);
	expect_none(t);
	assert_int_equal(ns_counters(t->s)->retransmits, 2);
	t_free(t);
}

static void test_retransmission_gives_up(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	int i;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"x", 1), 1);
	for (i = 0; i < 200 && a->closed == 0; i++)
		t_advance(t, 1000);
	assert_int_equal(a->closed, 1);
	assert_int_equal(a->err, -ETIMEDOUT);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"x", 1), -ETIMEDOUT);
	while (t_pending(t) > 1)
		expect_seg(t, &g);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	ns_tcp_close(a->c);
	t_free(t);
}

static void test_rtt_estimate(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	int i;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	/* After the 0 ms handshake sample, three of 150 ms (RFC 6298, alpha 1/8, beta 1/4):
	 * SRTT 19/35/49, RTTVAR 37/60/73, so the RTO goes 200 (floor), 275, 341 ms. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"a", 1), 1);
		expect_seg(t, &g);
		t_advance(t, 150);
		p.rcv_nxt += 1;
		t_send(t, &p, T_ACK, NULL, 0);
	}
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"b", 1), 1);
	expect_seg(t, &g);
	t_advance(t, 340);
	expect_none(t);
	t_advance(t, 1);
	expect_seg(t, &g);
	assert_int_equal(g.len, 1);
	t_free(t);
}

static void test_fast_retransmit(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[5 * 1380];
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint32_t first;
	int i;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	first = p.rcv_nxt;
	assert_int_equal(ns_tcp_send(a->c, data, sizeof(data)), sizeof(data));
	for (i = 0; i < 5; i++)
		expect_seg(t, &g);
	/* segment 1 was lost: three duplicate ACKs */
	for (i = 0; i < 3; i++)
		t_send(t, &p, T_ACK, NULL, 0);
	expect_seg(t, &g);
	assert_int_equal(g.seq, first);
	assert_int_equal(g.len, 1380);
	assert_int_equal(ns_counters(t->s)->fast_retransmits, 1);
	p.rcv_nxt = first + sizeof(data);
	t_send(t, &p, T_ACK, NULL, 0);
	assert_int_equal(ns_tcp_unacked(a->c), 0);
	t_free(t);
}

static void test_peer_fin_then_close(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint8_t buf[8];

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	t_send(t, &p, T_ACK | T_FIN, "bye", 3);
	expect_seg(t, &g); /* FIN ACKed at once */
	assert_int_equal(g.ack, p.snd_nxt);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 3);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 0);
	/* CLOSE_WAIT: we can still send */
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"last", 4), 4);
	expect_seg(t, &g);
	p.rcv_nxt += 4;
	ns_tcp_shutdown_write(a->c);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_FIN | T_ACK);
	assert_int_equal(g.seq, p.rcv_nxt);
	p.rcv_nxt++;
	assert_int_equal(a->closed, 0);
	t_send(t, &p, T_ACK, NULL, 0); /* LAST_ACK -> CLOSED */
	assert_int_equal(a->closed, 1);
	assert_int_equal(a->err, 0);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	ns_tcp_close(a->c);
	expect_none(t);
	t_free(t);
}

static void test_our_fin_first_time_wait(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint8_t buf[8];

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"resp", 4), 4);
	expect_seg(t, &g);
	assert_int_equal(g.len, 4);
	ns_tcp_close(a->c);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_FIN | T_ACK);
	assert_int_equal(g.seq, p.rcv_nxt + 4);
	p.rcv_nxt += 5;
	t_send(t, &p, T_ACK, NULL, 0); /* FIN_WAIT_2 */
	expect_none(t);
	t_send(t, &p, T_ACK | T_FIN, NULL, 0); /* TIME_WAIT */
	expect_seg(t, &g);
	assert_int_equal(g.ack, p.snd_nxt);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 1);
	/* a retransmitted FIN is ACKed again */
	t_send_at(t, &p, p.snd_nxt - 1, T_ACK | T_FIN, NULL, 0);
	expect_seg(t, &g);
	assert_int_equal(g.ack, p.snd_nxt);
	t_advance(t, NS_TCP_TIME_WAIT_MS - 1);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 1);
	t_advance(t, 1);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	/* the tuple is free again: a stray ACK gets a RST */
	t_send(t, &p, T_ACK, NULL, 0);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	(void)buf;
	t_free(t);
}

static void test_simultaneous_close(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	ns_tcp_shutdown_write(a->c);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_FIN | T_ACK);
	t_send(t, &p, T_ACK | T_FIN, NULL, 0); /* FIN without ACKing ours: CLOSING */
	expect_seg(t, &g);
	assert_int_equal(g.ack, p.snd_nxt);
	assert_int_equal(a->closed, 0);
	p.rcv_nxt++;
	t_send_at(t, &p, p.snd_nxt, T_ACK, NULL, 0); /* TIME_WAIT */
	assert_int_equal(a->closed, 1);
	assert_int_equal(a->err, 0);
	ns_tcp_close(a->c);
	t_advance(t, NS_TCP_TIME_WAIT_MS);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	t_free(t);
}

static void test_peer_rst(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;
	uint8_t buf[4];

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	/* a RST in the window but not at rcv_nxt gets a challenge ACK only */
	t_send_at(t, &p, p.snd_nxt + 100, T_RST, NULL, 0);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_ACK);
	assert_int_equal(a->closed, 0);
	t_send(t, &p, T_RST, NULL, 0);
	assert_int_equal(a->closed, 1);
	assert_int_equal(a->err, -ECONNRESET);
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(ns_counters(t->s)->tcp_rst_rcvd, 1);
	ns_tcp_close(a->c);
	expect_none(t);
	t_free(t);
}

static void test_abort_sends_rst(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	ns_tcp_abort(a->c);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	assert_int_equal(g.seq, p.rcv_nxt);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	/* closing with unread data resets too */
	p.cport++;
	a = handshake(t, &p, 7);
	t_send(t, &p, T_ACK, "unread", 6);
	ns_tcp_close(a->c);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	t_free(t);
}

static void test_rst_for_strays(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	p.rcv_nxt = 5555;
	t_send(t, &p, T_ACK, "x", 1);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_RST);
	assert_int_equal(g.seq, 5555);
	t_send(t, &p, T_RST, NULL, 0); /* never answered */
	expect_none(t);
	assert_int_equal(ns_counters(t->s)->tcp_rst_sent, 1);
	t_free(t);
}

static void test_synack_retransmit_and_expiry(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_seg g;
	uint8_t buf[100];
	int n = 0;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	ns_input(
	    t->s, buf,
	    t_tcp(4, p.caddr, p.saddr, p.cport, p.sport, 1, 0, T_SYN, 1000, NULL, 0, NULL, 0, buf));
	expect_seg(t, &g);
	assert_int_equal(g.mss, 1380);
	assert_int_equal(g.ws, -1); /* not offered by the client */
	assert_int_equal(ns_counters(t->s)->tcp_half_open, 1);
	while (ns_counters(t->s)->tcp_conns > 0 && n < 100) {
		t_advance(t, 1000);
		n++;
	}
	assert_int_equal(ns_counters(t->s)->tcp_half_open, 0);
	assert_int_equal(t_pending(t), 5); /* TCP_SYNACK_RETRIES */
	assert_int_equal(t->napps, 0);
	t_free(t);
}

static void test_syn_flood_capped(void **state)
{
	struct t_ctx *t = t_new();
	uint8_t buf[100], caddr[4] = {10, 1, 0, 0}, saddr[4] = {1, 2, 3, 4};
	unsigned i;

	for (i = 0; i < NS_TCP_MAX_HALF_OPEN + 50; i++) {
		caddr[2] = (uint8_t)(i >> 8);
		caddr[3] = (uint8_t)i;
		ns_input(
		    t->s, buf,
		    t_tcp(4, caddr, saddr, 1234, 80, i, 0, T_SYN, 1000, NULL, 0, NULL, 0, buf));
	}
	assert_int_equal(ns_counters(t->s)->tcp_half_open, NS_TCP_MAX_HALF_OPEN);
	assert_int_equal(ns_counters(t->s)->tcp_syn_dropped, 50);
	assert_int_equal(t_pending(t), NS_TCP_MAX_HALF_OPEN);
	t_free(t);
}

static void test_idle_timeout_and_keepalive(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	t_advance(t, NS_TCP_KEEPALIVE_MS);
	expect_seg(t, &g);
	assert_int_equal(g.seq, p.rcv_nxt - 1); /* keepalive probe */
	t_send(t, &p, T_ACK, NULL, 0);		/* answered: alive */
	t_advance(t, NS_TCP_IDLE_MS - 1);
	assert_int_equal(a->closed, 0);
	t_advance(t, 1);
	assert_int_equal(a->closed, 1);
	assert_int_equal(a->err, -ETIMEDOUT);
	ns_tcp_close(a->c);
	t_free(t);
}

static void test_accept_rejected(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_seg g;
	uint8_t buf[100];

	t->reject = true;
	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	ns_input(
	    t->s, buf,
	    t_tcp(4, p.caddr, p.saddr, p.cport, p.sport, 1, 0, T_SYN, 1000, NULL, 0, NULL, 0, buf));
	expect_seg(t, &g);
	p.snd_nxt = 2;
	p.rcv_nxt = g.seq + 1;
	t_send(t, &p, T_ACK, "data", 4);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	t_free(t);
}

static void test_mss_respected(void **state)
{
	struct t_ctx *t = t_new();
	static uint8_t data[3000];
	uint8_t opt[4] = {2, 4, 0x02, 0x00}, buf[100]; /* MSS 512 */
	struct t_peer p;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	ns_input(
	    t->s, buf,
	    t_tcp(4, p.caddr, p.saddr, p.cport, p.sport, 1, 0, T_SYN, 65535, opt, 4, NULL, 0, buf));
	expect_seg(t, &g);
	p.snd_nxt = 2;
	p.rcv_nxt = g.seq + 1;
	t_send(t, &p, T_ACK, NULL, 0);
	assert_int_equal(ns_tcp_send(t->apps[0].c, data, sizeof(data)), sizeof(data));
	while (t_pending(t) > 0) {
		expect_seg(t, &g);
		assert_true(g.len <= 512);
	}
	t_free(t);
}

/* An application that answers and closes from inside its readable callback. */
static void reply_and_close(void *arg)
{
	struct t_app *a = arg;
	uint8_t buf[64];

	a->readable++;
	assert_int_equal(ns_tcp_recv(a->c, buf, sizeof(buf)), 4);
	assert_int_equal(ns_tcp_send(a->c, (const uint8_t *)"pong", 4), 4);
	ns_tcp_close(a->c);
	a->c = NULL;
}

static void test_close_inside_callback(void **state)
{
	static const struct ns_tcp_callbacks cb = {reply_and_close, NULL, NULL};
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	ns_tcp_set_callbacks(a->c, &cb, a);
	t_send(t, &p, T_ACK | T_PSH, "ping", 4);
	assert_int_equal(a->readable, 1);
	expect_seg(t, &g); /* the reply carries the ACK */
	assert_int_equal(g.ack, p.snd_nxt);
	assert_memory_equal(g.data, "pong", 4);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_FIN | T_ACK);
	expect_none(t);
	/* the stack finishes the close on its own */
	p.rcv_nxt += 5;
	t_send(t, &p, T_ACK | T_FIN, NULL, 0);
	expect_seg(t, &g);
	assert_int_equal(g.ack, p.snd_nxt);
	t_advance(t, NS_TCP_TIME_WAIT_MS);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	t_free(t);
}

/* Data arriving after the application closed its handle is refused with a reset. */
static void test_data_after_close_resets(void **state)
{
	struct t_ctx *t = t_new();
	struct t_peer p;
	struct t_app *a;
	struct t_seg g;

	t_peer_init(&p, 4, "10.0.0.2", 40000, "1.2.3.4", 80);
	a = handshake(t, &p, 7);
	ns_tcp_close(a->c);
	expect_seg(t, &g);
	assert_int_equal(g.flags, T_FIN | T_ACK);
	t_send(t, &p, T_ACK, "late", 4);
	expect_seg(t, &g);
	assert_true(g.flags & T_RST);
	assert_int_equal(ns_counters(t->s)->tcp_conns, 0);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_any_address),
	    cmocka_unit_test(test_ipv6_handshake_and_data),
	    cmocka_unit_test(test_data_both_ways),
	    cmocka_unit_test(test_large_send_segmented),
	    cmocka_unit_test(test_window_closes_and_reopens),
	    cmocka_unit_test(test_send_buffer_bounded),
	    cmocka_unit_test(test_zero_window_probe),
	    cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_retransmission),
	    cmocka_unit_test(test_retransmission_gives_up),
	    cmocka_unit_test(test_rtt_estimate),
	    cmocka_unit_test(test_fast_retransmit),
	    cmocka_unit_test(test_peer_fin_then_close),
	    cmocka_unit_test(test_our_fin_first_time_wait),
	    cmocka_unit_test(test_simultaneous_close),
	    cmocka_unit_test(test_peer_rst),
	    cmocka_unit_test(test_abort_sends_rst),
	    cmocka_unit_test(test_rst_for_strays),
	    cmocka_unit_test(test_synack_retransmit_and_expiry),
	    cmocka_unit_test(test_syn_flood_capped),
	    cmocka_unit_test(test_idle_timeout_and_keepalive),
	    cmocka_unit_test(test_accept_rejected),
	    cmocka_unit_test(test_mss_respected),
	    cmocka_unit_test(test_close_inside_callback),
	    cmocka_unit_test(test_data_after_close_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
