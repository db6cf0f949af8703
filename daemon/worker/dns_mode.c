/* Runs in a worker: the dns mode and reverse:dns.  Reads queries from UDP
 * datagrams and from TCP streams (2-byte length prefix, pipelined), answers
 * A/AAAA questions of class IN with c-ares (TTL 60) in dns mode, forwards
 * everything else to the first name server (or the reverse target) over the
 * client's transport, and records a DNS flow for each query.  Malformed
 * input gets FORMERR when a header can be read, silence otherwise.  Over
 * UDP, sources refused by block_global/block_private or over
 * udp_reply_rate get silence too, and a reply longer than the query allows
 * is cut with TC set (dns_fit_udp). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/log.h"
#include "netstack/netstack.h"
#include "worker/client_policy.h"
#include "worker/conn.h"
#include "worker/dns_int.h"
#include "worker/hooks.h"
#include "worker/dns_mode.h"
#include "worker/layer.h"
#include "worker/stream.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

/* The DNS layer's state on a TCP connection (c->dns). */
struct dns_tcp {
	unsigned pending; /* queries not answered yet */
};

/* DNS over TCP: room for a length prefix and the largest message, and for
 * two answers waiting to be sent. */
#define DNS_TCP_IN_MAX (2 + DNS_MAX_MSG)
#define DNS_TCP_OUT_MAX (2 * (2 + DNS_MAX_MSG))

static struct dns_query *dns_inflight;
static size_t dns_ninflight;

void dns_query_free(struct dns_query *q)
{
	if (q->rq)
		resolve_cancel(q->rq);
	dns_forward_stop(q);
	if (q->parsed)
		dns_msg_free(&q->msg);
	if (q->prev)
		q->prev->next = q->next;
	else if (dns_inflight == q)
		dns_inflight = q->next;
	if (q->next)
		q->next->prev = q->prev;
	dns_ninflight--;
	if (q->conn) {
		q->conn->dns->pending--;
		conn_pump_later(q->conn);
	}
	free(q->raw);
	q->raw = NULL;
	loop_defer_free(wk->loop, free, q); /* its loop_io may still be in this batch */
}

/* Sends a response to the client on the query's transport. */
static void dns_send(struct dns_query *q, const uint8_t *resp, size_t len)
{
	if (q->ns) {
		if (ns_udp_send(q->ns, &q->ns_dst, &q->ns_src, resp, len) < 0)
			log_debug("DNS: cannot answer through the network stack");
		return;
	}
	if (!q->tcp) {
		if (sendto(q->l->fd, resp, len, 0, &q->peer.sa, addr_len(&q->peer.sa)) < 0)
			log_debug("DNS: cannot answer %s", strerror(errno));
		return;
	}
	if (q->conn) {
		uint8_t pfx[2] = {(uint8_t)(len >> 8), (uint8_t)len};

		if (buf_append(&q->conn->client.out, pfx, 2) < 0 ||
		    buf_append(&q->conn->client.out, resp, len) < 0)
			stream_fail(&q->conn->client, "DNS answers are not being read");
		conn_pump_later(q->conn);
	}
}

/* The largest reply q's client takes over UDP: 512, or its EDNS size. */
static size_t dns_client_limit(const struct dns_query *q)
{
	return q->parsed ? dns_udp_limit(&q->msg) : DNS_UDP_MIN;
}

void dns_reply(struct dns_query *q, const uint8_t *resp, size_t len, const char *error)
{
	struct dns_builder b = {0};
	size_t limit = dns_client_limit(q);
	uint8_t *hooked = NULL;
	int r = 0;

	if (hooks.active && error == NULL)
		hooks_dns_response(q, &resp, &len, &hooked);
	else if (hooks.active)
		hooks_dns_error(q, error);

	if (!q->tcp && len > limit) { /* cut to the header, questions and OPT, with TC set */
		dns_builder_init(&b, limit);
		if ((r = dns_fit_udp(resp, len, limit, &b)) == 1) {
			resp = b.buf;
			len = b.len;
		}
	}
	if (r >= 0) {
		dns_flow_send(q, resp, len, error);
		dns_send(q, resp, len);
	} else {
		dns_flow_send(q, NULL, 0, "the reply is too large for UDP and cannot be cut");
	}
	dns_builder_free(&b);
	free(hooked);
}

static void dns_local_reply(struct dns_query *q, int rcode, const struct sockaddr_storage *addrs,
			    size_t n)
{
	struct dns_builder b;

	dns_builder_init(&b, q->tcp ? DNS_MAX_MSG : dns_udp_limit(&q->msg));
	if (dns_build_answer(&q->msg, rcode, addrs, n, DNS_TTL, &b) == 0)
		dns_reply(q, b.buf, b.len, NULL);
	dns_builder_free(&b);
	dns_query_free(q);
}

static void dns_on_resolved(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct dns_query *q = arg;

	q->rq = NULL;
	if (status == 0)
		dns_local_reply(q, 0, addrs, n);
	else if (status == -ENOENT)
		dns_local_reply(q, 3, NULL, 0); /* NXDOMAIN */
	else if (status == -ENODATA)
		dns_local_reply(q, 0, NULL, 0);
	else
		dns_local_reply(q, 2, NULL, 0); /* SERVFAIL */
}

static void dns_error_reply(struct dns_query *q, int rcode, const char *why)
{
	struct dns_builder b;

	dns_builder_init(&b, DNS_UDP_MIN);
	if (dns_build_error(q->raw, q->rawlen, rcode, &b) == 0)
		dns_reply(q, b.buf, b.len, why);
	dns_builder_free(&b);
	dns_query_free(q);
}

/* A/AAAA of class IN with one question, in dns mode: answered here. */
static bool dns_is_local(const struct dns_query *q)
{
	const struct mode_spec *m = &wk->modes[q->mode_index];

	return (m->kind == MODE_DNS || q->local_resolve) && q->msg.opcode == 0 && q->msg.nqd == 1 &&
	       !q->msg.qr && q->msg.qd[0].class == 1 &&
	       (q->msg.qd[0].type == 1 || q->msg.qd[0].type == 28);
}

static void dns_dispatch(struct dns_query *q)
{
	int err;

	if (hooks.active && hooks_dns_request(q))
		return;
	if (dns_is_local(q)) {
		char name[DNS_NAME_TEXT_MAX];
		size_t n = strlen(q->msg.qd[0].name);

		snprintf(name, sizeof(name), "%s", q->msg.qd[0].name);
		if (n > 1 && name[n - 1] == '.')
			name[n - 1] = '\0';
		q->rq =
		    resolve_start(wk->resolver, name, 0,
				  q->msg.qd[0].type == 1 ? AF_INET : AF_INET6, dns_on_resolved, q);
		if (q->rq == NULL)
			dns_error_reply(q, 2, "resolver busy");
		return;
	}
	if (q->ns && !q->local_resolve) /* packet modes: the server the client asked */
		err = 0;
	else
		err = dns_upstream_for(q->mode_index, &q->upstream);
	if (err < 0 || dns_forward(q) < 0)
		dns_error_reply(q, 2, err < 0 ? "no name server configured" : "cannot forward");
}

/* Takes a copy of one message from a client and starts answering it. */
static void dns_query_start(struct dns_query *q, const uint8_t *p, size_t n)
{
	uint16_t id, flags;

	q->raw = xmalloc(n ? n : 1);
	memcpy(q->raw, p, n);
	q->rawlen = n;
	q->ts = clock_wall();
	q->fd = -1;
	loop_timer_init(&q->timer, NULL, q);
	buf_init(&q->in, 0);
	buf_init(&q->out, 0);
	q->next = dns_inflight;
	if (dns_inflight)
		dns_inflight->prev = q;
	dns_inflight = q;
	dns_ninflight++;
	if (dns_parse(q->raw, n, &q->msg) == 0) {
		q->parsed = true;
		dns_dispatch(q);
	} else if (dns_header_peek(q->raw, n, &id, &flags) == 0 && !(flags & DNS_F_QR)) {
		dns_error_reply(q, 1, "malformed DNS query"); /* FORMERR */
	} else {
		dns_query_free(q); /* not even a header: silence */
	}
}

static void dns_udp_query(void *arg, const union sockaddr_any *peer, uint8_t *pkt, size_t n)
{
	struct worker_listener *l = arg;
	struct dns_query *q;

	/* Refused sources and those over udp_reply_rate get nothing
	 * (each query takes one reply's token). */
	if (client_refused_udp(peer) || !udp_reply_allowed(peer) ||
	    dns_ninflight >= DNS_MAX_INFLIGHT)
		return;
	q = xcalloc(1, sizeof(*q));
	q->l = l;
	q->mode_index = l->mode_index;
	q->peer = *peer;
	q->local = l->addr;
	dns_query_start(q, pkt, n);
}

void dns_udp_readable(struct worker_listener *l)
{
	uint8_t pkt[DNS_MAX_MSG];

	udp_drain(l->fd, pkt, sizeof(pkt), 64, dns_udp_query, l);
}

/* 10.0.0.53:53, the resolver WireGuard clients are configured with. */
static bool dns_is_wg_resolver(const struct sockaddr_storage *dst)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)dst;

	return dst->ss_family == AF_INET && in->sin_addr.s_addr == htonl(0x0a000035) &&
	       ntohs(in->sin_port) == 53;
}

/* A UDP datagram to port 53 (or 5353) seen by a packet mode's network
 * stack: forwarded to the server the client addressed, recorded as DNS. */
void dns_ns_datagram(unsigned mode_index, struct ns_stack *ns, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, const uint8_t *d, size_t n)
{
	struct dns_query *q;

	if (dns_ninflight >= DNS_MAX_INFLIGHT)
		return;
	q = xcalloc(1, sizeof(*q));
	q->mode_index = mode_index;
	q->ns = ns;
	q->ns_src = *src;
	q->ns_dst = *dst;
	memcpy(&q->peer, src, sizeof(q->peer));
	memcpy(&q->local, dst, sizeof(q->local));
	memcpy(&q->upstream, dst, sizeof(q->upstream));
	q->local_resolve = wk->modes[mode_index].kind == MODE_WIREGUARD && dns_is_wg_resolver(dst);
	if (q->local_resolve)
		memset(&q->upstream, 0, sizeof(q->upstream));
	dns_query_start(q, d, n);
}

void dns_tcp_start(struct conn *c)
{
	conn_set_state(c, CS_DNS_TCP);
}

/* TCP: every complete length-prefixed message in the client's buffer. */
static void dns_tcp_step(struct conn *c, bool *progress)
{
	if (c->client.in.max < DNS_TCP_IN_MAX)
		c->client.in.max = DNS_TCP_IN_MAX;
	if (c->client.out.max < DNS_TCP_OUT_MAX)
		c->client.out.max = DNS_TCP_OUT_MAX;
	while (buf_len(&c->client.in) >= 2) {
		const uint8_t *p = buf_ptr(&c->client.in);
		size_t n = (size_t)p[0] << 8 | p[1];
		struct dns_query *q;

		if (buf_len(&c->client.in) < 2 + n) {
			if (2 + n > c->client.in.max)
				stream_fail(&c->client, "DNS message larger than the buffer");
			return;
		}
		*progress = true;
		if (dns_ninflight < DNS_MAX_INFLIGHT) {
			q = xcalloc(1, sizeof(*q));
			q->tcp = true;
			q->conn = c;
			c->dns->pending++;
			q->mode_index = c->mode_index;
			memcpy(&q->peer, &c->client.peer, sizeof(c->client.peer));
			memcpy(&q->local, &c->client.local, sizeof(c->client.local));
			dns_query_start(q, p + 2, n);
		}
		buf_consume(&c->client.in, 2 + n);
	}
	if (c->client.rd_eof && buf_len(&c->client.in) == 0 && c->dns->pending == 0 &&
	    stream_flushed(&c->client))
		conn_close(c);
}

/* The client connection is going away: its pending answers are dropped. */
static void dns_tcp_close(struct conn *c)
{
	struct dns_query *q;

	for (q = dns_inflight; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
}

const struct layer_ops layer_dns = {
    .name = "dns",
    .step = dns_tcp_step,
    .close = dns_tcp_close,
    LAYER_STATE(dns),
};

void dns_stop_all(void)
{
	while (dns_inflight)
		dns_query_free(dns_inflight);
}
