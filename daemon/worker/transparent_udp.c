/* Runs in a worker (worker 0 only): transparent UDP.  snare-netfilter's
 * tproxy rule delivers a client's datagram, unchanged, to the transparent
 * mode's UDP socket; IP_RECVORIGDSTADDR names the server it was sent to.
 * Each (client, server) pair is a session with a connected socket towards
 * the server, ended after UDP_IDLE_MS of silence either way.  Answers go
 * back to the client from the server's address and port, written with
 * their IP and UDP headers to the coordinator's send-only raw sockets.
 * Port 53 is recorded as DNS flows (dns_flow_pair), the rest as UDP flows
 * (udp_flow.c); QUIC is intercepted (quic_intercept.c).  Datagrams are untrusted; the original
 * destination is the kernel's word. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/client_policy.h"
#include "worker/dns_mode.h"
#include "worker/quic_intercept.h"
#include "worker/transparent_udp.h"
#include "worker/tu_packet.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#ifndef IP_ORIGDSTADDR
#define IP_ORIGDSTADDR 20
#endif
#ifndef IPV6_ORIGDSTADDR
#define IPV6_ORIGDSTADDR 74
#endif

#define TU_DGRAM_MAX 65535
#define TU_SESSIONS_MAX 1024
#define TU_DNS_PENDING 16

struct tu_dns {
	uint8_t *req;
	size_t len;
};

struct tu_session {
	struct tu_session *next;
	unsigned mode_index;
	union sockaddr_any client, server; /* IPv4 as AF_INET, never v4-mapped */
	int fd;				   /* connected to server */
	struct loop_io io;
	struct loop_timer idle;
	uint64_t active_ms;  /* the last datagram either way */
	struct udp_rec *rec; /* not for DNS */
	struct qx *qx;	     /* QUIC interception, while it may apply */
	struct tu_dns dns[TU_DNS_PENDING];
	size_t dns_next;
};

static struct tu_session *tu_sessions;
static size_t tu_nsessions;
static int tu_raw4 = -1, tu_raw6 = -1;
static uint8_t tu_buf[TU_DGRAM_MAX];			       /* a datagram received */
static uint8_t tu_pkt[TU_IP6_HDR + TU_UDP_HDR + TU_DGRAM_MAX]; /* an answer to send */
static uint32_t tu_frag_id;

bool tu_take(struct worker_listener *l)
{
	int type = 0, domain = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(l->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_RAW)
		return false;
	len = sizeof(domain);
	if (getsockopt(l->fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET6)
		tu_raw6 = l->fd;
	else
		tu_raw4 = l->fd;
	return true;
}

/* ::ffff:a.b.c.d (a dual-stack socket's IPv4 peer) as a.b.c.d. */
static void tu_unmap(union sockaddr_any *a)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET};

	if (a->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr))
		return;
	in4.sin_port = a->in6.sin6_port;
	memcpy(&in4.sin_addr, &a->in6.sin6_addr.s6_addr[12], 4);
	memset(a, 0, sizeof(*a));
	a->in4 = in4;
}

/* ---- answers ---------------------------------------------------------------- */

static int tu_send(int fd, const uint8_t *p, size_t n, const union sockaddr_any *to)
{
	return sendto(fd, p, n, 0, &to->sa, addr_len(&to->sa)) < 0 ? -errno : 0;
}

/* Sends n bytes from s->server to s->client; in fragments when the link
 * refuses the whole packet (a raw socket with our headers does not
 * fragment), first for the usual MTU, then for IPv6's minimum. */
static void tu_answer(struct tu_session *s, const uint8_t *d, size_t n)
{
	static const size_t mtus[] = {1500, 1280};
	static uint8_t frag[2048];
	bool v6 = s->client.sa.sa_family == AF_INET6;
	int fd = v6 ? tu_raw6 : tu_raw4, rc;
	union sockaddr_any to = s->client;
	size_t len, flen, i, k;

	if (fd < 0)
		return;
	len = tu_packet_build(tu_pkt, sizeof(tu_pkt), &s->server, &s->client, d, n);
	if (len == 0)
		return;
	if (v6)
		to.in6.sin6_port = 0;
	else
		to.in4.sin_port = 0;
	rc = tu_send(fd, tu_pkt, len, &to);
	for (i = 0; rc == -EMSGSIZE && i < ARRAY_SIZE(mtus); i++) {
		if (++tu_frag_id == 0)
			tu_frag_id = 1;
		for (k = 0; (flen = tu_packet_fragment(tu_pkt, len, mtus[i], tu_frag_id, k, frag,
						       sizeof(frag))) > 0;
		     k++)
			if ((rc = tu_send(fd, frag, flen, &to)) < 0)
				break;
	}
	if (rc < 0)
		log_err(LOG_LVL_DEBUG, rc, "transparent UDP: cannot answer");
}

/* ---- sessions -------------------------------------------------------------- */

static void tu_session_end(struct tu_session *s)
{
	struct tu_session **pp;
	size_t i;

	for (pp = &tu_sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	tu_nsessions--;
	loop_timer_cancel(wk->loop, &s->idle);
	loop_io_del(wk->loop, &s->io);
	close(s->fd);
	qx_free(s->qx);
	udp_record_finish(s->rec, NULL);
	for (i = 0; i < TU_DNS_PENDING; i++)
		free(s->dns[i].req);
	loop_defer_free(wk->loop, free, s);
}

static void tu_on_idle(struct loop_timer *t)
{
	struct tu_session *s = t->arg;

	if (qx_intercepted(s->qx)) /* QUIC's own timers end it */
		loop_timer_arm(wk->loop, &s->idle, UDP_IDLE_MS);
	else if (!loop_timer_idle_rearm(wk->loop, &s->idle, s->active_ms, UDP_IDLE_MS))
		tu_session_end(s);
}

static bool tu_is_dns(const struct tu_session *s)
{
	return addr_port(&s->server.sa) == 53;
}

/* An answer from the server: recorded, then passed on. */
static void tu_from_server(struct tu_session *s, size_t n)
{
	const uint8_t *d = tu_buf;
	uint8_t *keep = NULL;
	size_t i;

	s->active_ms = loop_now(wk->loop);
	if (!tu_is_dns(s) && !udp_record_hooked(s->rec, false, &d, &n, &keep))
		return; /* dropped by a hook */
	for (i = 0; tu_is_dns(s) && i < TU_DNS_PENDING; i++) {
		struct tu_dns *q = &s->dns[i];

		if (q->req != NULL && q->len >= 2 && n >= 2 && q->req[0] == d[0] &&
		    q->req[1] == d[1]) {
			dns_flow_pair(s->mode_index, &s->client, &s->server, q->req, q->len, d, n);
			free(q->req);
			q->req = NULL;
			break;
		}
	}
	tu_answer(s, d, n);
	free(keep);
}

static void tu_on_server(struct loop_io *io, uint32_t events)
{
	struct tu_session *s = io->arg;
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(s->fd, tu_buf, TU_DGRAM_MAX, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("transparent UDP: %s",
					  strerror(errno)); /* e.g. refused */
			return;
		}
		tu_from_server(s, (size_t)n);
	}
}

static struct tu_session *tu_find(const union sockaddr_any *client,
				  const union sockaddr_any *server)
{
	struct tu_session *s;

	for (s = tu_sessions; s; s = s->next)
		if (addr_equal(&s->client.sa, &client->sa) &&
		    addr_equal(&s->server.sa, &server->sa))
			return s;
	return NULL;
}

/* A client's datagram relayed to the server, and recorded. */
static void tu_relay(void *arg, const uint8_t *d, size_t n)
{
	struct tu_session *s = arg;
	uint8_t *keep;

	if (!udp_record_hooked(s->rec, true, &d, &n, &keep))
		return; /* dropped by a hook */
	if (send(s->fd, d, n, 0) < 0)
		log_err(LOG_LVL_DEBUG, -errno, "transparent UDP");
	free(keep);
}

/* Intercepted QUIC: a datagram to the client from the server's address. */
static void tu_to_client(void *arg, const uint8_t *d, size_t n)
{
	struct tu_session *s = arg;

	s->active_ms = loop_now(wk->loop);
	tu_answer(s, d, n);
}

static const struct qx_ops tu_qx_ops = {tu_to_client, tu_relay};

static struct tu_session *tu_open(unsigned mode_index, const union sockaddr_any *client,
				  const union sockaddr_any *server)
{
	struct tu_session *s;

	if (tu_nsessions >= TU_SESSIONS_MAX)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->mode_index = mode_index;
	s->client = *client;
	s->server = *server;
	s->fd = udp_relay_open(&server->sa, &s->io, tu_on_server, &s->idle, tu_on_idle, s);
	if (s->fd < 0) {
		log_err(LOG_LVL_DEBUG, s->fd, "transparent UDP: cannot reach the server");
		free(s);
		return NULL;
	}
	if (!tu_is_dns(s)) {
		s->rec = udp_record_start(mode_index, &client->ss, &server->ss);
		udp_record_peek_quic(s->rec);
		s->qx = qx_new(mode_index, client, server, &tu_qx_ops, s);
		qx_set_record(s->qx, s->rec);
	}
	s->next = tu_sessions;
	tu_sessions = s;
	tu_nsessions++;
	return s;
}

/* A client's datagram: recorded, then sent on to the server. */
static void tu_from_client(unsigned mode_index, const union sockaddr_any *client,
			   const union sockaddr_any *server, const uint8_t *d, size_t n)
{
	struct tu_session *s = tu_find(client, server);

	if (s == NULL && (s = tu_open(mode_index, client, server)) == NULL)
		return;
	s->active_ms = loop_now(wk->loop);
	if (tu_is_dns(s)) {
		struct tu_dns *q = &s->dns[s->dns_next];

		free(q->req);
		q->req = xmalloc(n ? n : 1);
		memcpy(q->req, d, n);
		q->len = n;
		s->dns_next = (s->dns_next + 1) % TU_DNS_PENDING;
		if (send(s->fd, d, n, 0) < 0)
			log_err(LOG_LVL_DEBUG, -errno, "transparent UDP");
	} else if (s->qx == NULL || !qx_client(s->qx, d, n)) {
		tu_relay(s, d, n);
	}
}

/* The destination the client used, from the kernel's control message. */
static bool tu_orig_dst(struct msghdr *mh, union sockaddr_any *out)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
			memset(out, 0, sizeof(*out));
			memcpy(&out->in4, CMSG_DATA(c), sizeof(out->in4));
			return out->in4.sin_family == AF_INET;
		}
		if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
			memset(out, 0, sizeof(*out));
			memcpy(&out->in6, CMSG_DATA(c), sizeof(out->in6));
			tu_unmap(out);
			return out->sa.sa_family == AF_INET || out->sa.sa_family == AF_INET6;
		}
	}
	return false;
}

void tu_readable(struct worker_listener *l)
{
	char ctl[CMSG_SPACE(sizeof(struct sockaddr_in6)) * 2];
	int i;

	for (i = 0; i < 64; i++) {
		union sockaddr_any client, server;
		struct iovec iov = {tu_buf, TU_DGRAM_MAX};
		struct msghdr mh = {.msg_name = &client,
				    .msg_namelen = sizeof(client),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		ssize_t n = recvmsg(l->fd, &mh, 0);

		if (n < 0)
			return;
		tu_unmap(&client);
		if (client_refused_udp(&client))
			continue;
		/* Sent to snare's own port: not redirected (and relaying it
		 * would loop back here). */
		if (!tu_orig_dst(&mh, &server) || addr_port(&server.sa) == addr_port(&l->addr.sa)) {
			char from[ADDR_STRLEN];

			log_msg(LOG_LVL_INFO, addr_format(&client.sa, from, sizeof(from)),
				"Transparent mode failure: a UDP datagram was not redirected here "
				"by the snare-netfilter helper; dropped");
			continue;
		}
		tu_from_client(l->mode_index, &client, &server, tu_buf, (size_t)n);
	}
}

void tu_stop(void)
{
	while (tu_sessions)
		tu_session_end(tu_sessions);
}
