/* Test-side helpers for the netstack unit tests (runs in the test process only): a tiny packet
 * builder and parser with its own checksum code (independent of the stack's), a capture of
 * what the stack sends, and a fake peer that drives TCP connections by hand. */
#ifndef SNARE_TEST_NETSTACK_PKT_H
#define SNARE_TEST_NETSTACK_PKT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "netstack/netstack.h"

#define T_FN static __attribute__((unused))
#define T_MAXPKT 70000
#define T_QUEUE 2048
#define T_FIN 0x01
#define T_SYN 0x02
#define T_RST 0x04
#define T_PSH 0x08
#define T_ACK 0x10

struct t_seg {
	int ver;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	int mss, ws; /* -1 when absent */
	bool sack_ok;
	const uint8_t *data;
	size_t len;
};

struct t_app {
	struct ns_tcp *c;
	int readable, writable, closed, err;
};

struct t_ctx {
	struct loop *l;
	struct ns_stack *s;
	uint64_t now;
	uint8_t *out[T_QUEUE];
	size_t outlen[T_QUEUE];
	size_t nout, rd; /* packets captured, packets consumed by t_next */
	struct t_app apps[64];
	size_t napps;
	struct sockaddr_storage acc_src, acc_dst;
	uint8_t udp_data[T_MAXPKT];
	size_t udp_len;
	int udp_count, udp_closed;
	struct sockaddr_storage udp_src, udp_dst;
	bool reject; /* tcp_accept aborts at once */
};

T_FN void t_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

T_FN void t_put32(uint8_t *p, uint32_t v)
{
	t_put16(p, (uint16_t)(v >> 16));
	t_put16(p + 2, (uint16_t)v);
}

T_FN uint16_t t_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

T_FN uint32_t t_get32(const uint8_t *p)
{
	return (uint32_t)t_get16(p) << 16 | t_get16(p + 2);
}

/* Plain 16-bit one's complement sum, byte by byte. */
T_FN uint32_t t_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

T_FN uint16_t t_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

T_FN uint32_t t_pseudo(int ver, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t n)
{
	size_t alen = ver == 4 ? 4 : 16;
	uint32_t sum = t_sum(0, src, alen);

	sum = t_sum(sum, dst, alen);
	return sum + proto + (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff);
}

/* Wraps l4 (already in out at the IP header offset) in an IP header; returns the total. */
T_FN size_t t_ip(int ver, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint8_t *out,
		 size_t l4len)
{
	if (ver == 4) {
		memset(out, 0, 20);
		out[0] = 0x45;
		t_put16(out + 2, (uint16_t)(l4len + 20));
		t_put16(out + 4, 0x1234);
		out[8] = 64;
		out[9] = proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		t_put16(out + 10, t_fold(t_sum(0, out, 20)));
		return l4len + 20;
	}
	memset(out, 0, 40);
	out[0] = 0x60;
	t_put16(out + 4, (uint16_t)l4len);
	out[6] = proto;
	out[7] = 64;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	return l4len + 40;
}

T_FN size_t t_hlen(int ver)
{
	return ver == 4 ? 20 : 40;
}

T_FN size_t t_tcp(int ver, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt,
		  size_t optlen, const void *data, size_t len, uint8_t *out)
{
	uint8_t *p = out + t_hlen(ver);
	size_t hl = 20 + optlen;

	memset(p, 0, 20);
	t_put16(p, sport);
	t_put16(p + 2, dport);
	t_put32(p + 4, seq);
	t_put32(p + 8, ack);
	p[12] = (uint8_t)(hl / 4) << 4;
	p[13] = flags;
	t_put16(p + 14, wnd);
	if (optlen)
		memcpy(p + 20, opt, optlen);
	if (len)
		memcpy(p + hl, data, len);
	t_put16(p + 16, t_fold(t_sum(t_pseudo(ver, src, dst, 6, hl + len), p, hl + len)));
	return t_ip(ver, src, dst, 6, out, hl + len);
}

T_FN size_t t_udp(int ver, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		  const void *data, size_t len, uint8_t *out)
{
	uint8_t *p = out + t_hlen(ver);
	uint16_t sum;

	t_put16(p, sport);
	t_put16(p + 2, dport);
	t_put16(p + 4, (uint16_t)(len + 8));
	t_put16(p + 6, 0);
	memcpy(p + 8, data, len);
	sum = t_fold(t_sum(t_pseudo(ver, src, dst, 17, len + 8), p, len + 8));
	t_put16(p + 6, sum ? sum : 0xffff);
	return t_ip(ver, src, dst, 17, out, len + 8);
}

T_FN size_t t_echo(int ver, const uint8_t *src, const uint8_t *dst, uint16_t id, uint16_t sq,
		   const void *data, size_t len, uint8_t *out)
{
	uint8_t *p = out + t_hlen(ver);
	uint32_t sum = ver == 6 ? t_pseudo(6, src, dst, 58, len + 8) : 0;

	p[0] = ver == 4 ? 8 : 128;
	p[1] = 0;
	t_put16(p + 2, 0);
	t_put16(p + 4, id);
	t_put16(p + 6, sq);
	memcpy(p + 8, data, len);
	t_put16(p + 2, t_fold(t_sum(sum, p, len + 8)));
	return t_ip(ver, src, dst, ver == 4 ? 1 : 58, out, len + 8);
}

/* Checks the IP header (and its checksum) of a captured packet: the protocol and l4 slice. */
T_FN bool t_ip_parse(const uint8_t *pkt, size_t len, int *ver, uint8_t *src, uint8_t *dst,
		     uint8_t *proto, const uint8_t **l4, size_t *l4len)
{
	memset(src, 0, 16);
	memset(dst, 0, 16);
	if (len >= 20 && pkt[0] == 0x45) {
		if (t_fold(t_sum(0, pkt, 20)) != 0 || t_get16(pkt + 2) != len)
			return false;
		*ver = 4;
		*proto = pkt[9];
		memcpy(src, pkt + 12, 4);
		memcpy(dst, pkt + 16, 4);
		*l4 = pkt + 20;
		*l4len = len - 20;
		return true;
	}
	if (len >= 40 && pkt[0] >> 4 == 6 && t_get16(pkt + 4) + 40u == len) {
		*ver = 6;
		*proto = pkt[6];
		memcpy(src, pkt + 8, 16);
		memcpy(dst, pkt + 24, 16);
		*l4 = pkt + 40;
		*l4len = len - 40;
		return true;
	}
	return false;
}

/* Parses a captured TCP packet; false unless IP and TCP checksums are right. */
T_FN bool t_tcp_parse(const uint8_t *pkt, size_t len, struct t_seg *g)
{
	const uint8_t *p;
	size_t l4len, hl, i;
	uint8_t proto;

	memset(g, 0, sizeof(*g));
	if (!t_ip_parse(pkt, len, &g->ver, g->src, g->dst, &proto, &p, &l4len) || proto != 6 ||
	    l4len < 20)
		return false;
	if (t_fold(t_sum(t_pseudo(g->ver, g->src, g->dst, 6, l4len), p, l4len)) != 0)
		return false;
	g->sport = t_get16(p);
	g->dport = t_get16(p + 2);
	g->seq = t_get32(p + 4);
	g->ack = t_get32(p + 8);
	hl = (size_t)(p[12] >> 4) * 4;
	g->flags = p[13];
	g->wnd = t_get16(p + 14);
	g->mss = g->ws = -1;
	for (i = 20; i < hl;) {
		if (p[i] == 0)
			break;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (p[i] == 2)
			g->mss = t_get16(p + i + 2);
		if (p[i] == 3)
			g->ws = p[i + 2];
		if (p[i] == 4)
			g->sack_ok = true;
		i += p[i + 1];
	}
	g->data = p + hl;
	g->len = l4len - hl;
	return true;
}

/* Stack callbacks recording into the context. */
T_FN void t_on_output(void *arg, const uint8_t *pkt, size_t len)
{
	struct t_ctx *t = arg;

	if (t->nout == T_QUEUE)
		return;
	t->out[t->nout] = malloc(len);
	memcpy(t->out[t->nout], pkt, len);
	t->outlen[t->nout++] = len;
}

T_FN void t_app_readable(void *arg)
{
	((struct t_app *)arg)->readable++;
}

T_FN void t_app_writable(void *arg)
{
	((struct t_app *)arg)->writable++;
}

T_FN void t_app_closed(void *arg, int err)
{
	struct t_app *a = arg;

	a->closed++;
	a->err = err;
}

static const struct ns_tcp_callbacks t_app_cb = {t_app_readable, t_app_writable, t_app_closed};

T_FN void t_on_accept(void *arg, struct ns_tcp *c, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst)
{
	struct t_ctx *t = arg;
	struct t_app *a = &t->apps[t->napps++];

	t->acc_src = *src;
	t->acc_dst = *dst;
	if (t->reject) {
		ns_tcp_abort(c);
		return;
	}
	a->c = c;
	ns_tcp_set_callbacks(c, &t_app_cb, a);
}

T_FN void t_on_udp(void *arg, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, const uint8_t *data, size_t len)
{
	struct t_ctx *t = arg;

	t->udp_src = *src;
	t->udp_dst = *dst;
	memcpy(t->udp_data, data, len);
	t->udp_len = len;
	t->udp_count++;
}

T_FN void t_on_udp_closed(void *arg, const struct sockaddr_storage *src,
			  const struct sockaddr_storage *dst)
{
	((struct t_ctx *)arg)->udp_closed++;
}

T_FN struct t_ctx *t_new(void)
{
	static const struct ns_callbacks cb = {t_on_output, t_on_accept, t_on_udp, t_on_udp_closed};
	struct t_ctx *t = calloc(1, sizeof(*t));

	t->l = loop_new();
	if (ns_new(t->l, &cb, t, &t->s) != 0)
		abort();
	t->now = loop_now(t->l);
	return t;
}

T_FN void t_free(struct t_ctx *t)
{
	size_t i;

	ns_free(t->s);
	loop_free(t->l);
	for (i = 0; i < t->nout; i++)
		free(t->out[i]);
	free(t);
}

T_FN void t_advance(struct t_ctx *t, uint64_t ms)
{
	t->now += ms;
	ns_tick(t->s, t->now);
}

/* The next captured packet not yet looked at, or NULL. */
T_FN const uint8_t *t_next(struct t_ctx *t, size_t *len)
{
	*len = 0;
	if (t->rd == t->nout)
		return NULL;
	*len = t->outlen[t->rd];
	return t->out[t->rd++];
}

T_FN size_t t_pending(const struct t_ctx *t)
{
	return t->nout - t->rd;
}

/* A fake TCP client: addresses, ports and its own sequence state. */
struct t_peer {
	int ver;
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t snd_nxt; /* client's next sequence number */
	uint32_t rcv_nxt; /* what the client acknowledges */
	uint16_t wnd;
	struct t_app *app;
};

T_FN void t_peer_init(struct t_peer *p, int ver, const char *client, uint16_t cport,
		      const char *server, uint16_t sport)
{
	memset(p, 0, sizeof(*p));
	p->ver = ver;
	inet_pton(ver == 4 ? AF_INET : AF_INET6, client, p->caddr);
	inet_pton(ver == 4 ? AF_INET : AF_INET6, server, p->saddr);
	p->cport = cport;
	p->sport = sport;
	p->snd_nxt = 1000;
	p->wnd = 65535;
}

/* Sends a segment from the client at an explicit sequence number. */
T_FN void t_send_at(struct t_ctx *t, struct t_peer *p, uint32_t seq, uint8_t flags,
		    const void *data, size_t len)
{
	static uint8_t buf[T_MAXPKT];
	size_t n = t_tcp(p->ver, p->caddr, p->saddr, p->cport, p->sport, seq, p->rcv_nxt, flags,
			 p->wnd, NULL, 0, data, len, buf);

	ns_input(t->s, buf, n);
}

/* Sends the next segment from the client, advancing its sequence. */
T_FN void t_send(struct t_ctx *t, struct t_peer *p, uint8_t flags, const void *data, size_t len)
{
	t_send_at(t, p, p->snd_nxt, flags, data, len);
	p->snd_nxt += (uint32_t)len + !!(flags & T_SYN) + !!(flags & T_FIN);
}

#endif
