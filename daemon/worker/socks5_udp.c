/* Runs in a worker: SOCKS5 UDP ASSOCIATE (RFC 1928 §7), beyond mitmproxy.
 * A relay socket bound next to the client's control connection; datagrams
 * carry a SOCKS header naming their destination; replies get one naming
 * their source.  The association lives as long as the TCP connection.
 * Traffic to port 53 is recorded as DNS flows, the rest as UDP flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/wk.h"

#define SU_DGRAM_MAX 65535
#define SU_DESTS_MAX 64
#define SU_DNS_PENDING 16

struct su_dest {
	union sockaddr_any addr;
	struct udp_rec *rec;
};

struct su_dns {
	uint8_t *req;
	size_t len;
	union sockaddr_any server;
};

struct socks_udp {
	struct conn *c;
	int fd;	      /* relay socket facing the client */
	int up4, up6; /* unconnected sockets towards destinations */
	struct loop_io io, up4io, up6io;
	union sockaddr_any client; /* learned from the first datagram */
	bool have_client;
	struct su_dest dests[SU_DESTS_MAX];
	size_t ndests;
	struct su_dns dns[SU_DNS_PENDING];
	size_t dns_next;
};

static struct udp_rec *su_rec(struct socks_udp *u, const union sockaddr_any *dst)
{
	size_t i;

	for (i = 0; i < u->ndests; i++)
		if (addr_equal(&u->dests[i].addr.sa, &dst->sa))
			return u->dests[i].rec;
	if (u->ndests == SU_DESTS_MAX)
		return NULL;
	u->dests[u->ndests].addr = *dst;
	u->dests[u->ndests].rec = udp_record_start(u->c->mode_index, &u->client.ss, &dst->ss);
	return u->dests[u->ndests++].rec;
}

/* RSV RSV FRAG ATYP ADDR PORT: header length, or 0 when unusable. */
static size_t su_parse(const uint8_t *p, size_t n, union sockaddr_any *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (n < 10 || p[0] || p[1] || p[2]) /* fragments are not supported: dropped */
		return 0;
	if (p[3] == 1) {
		dst->in4.sin_family = AF_INET;
		memcpy(&dst->in4.sin_addr, p + 4, 4);
		memcpy(&dst->in4.sin_port, p + 8, 2);
		return 10;
	}
	if (p[3] == 4 && n >= 22) {
		dst->in6.sin6_family = AF_INET6;
		memcpy(&dst->in6.sin6_addr, p + 4, 16);
		memcpy(&dst->in6.sin6_port, p + 20, 2);
		return 22;
	}
	return 0; /* domain names over UDP: not supported (use an IP) */
}

static size_t su_header(uint8_t *out, const union sockaddr_any *src)
{
	memset(out, 0, 4);
	if (src->sa.sa_family == AF_INET6) {
		out[3] = 4;
		memcpy(out + 4, &src->in6.sin6_addr, 16);
		memcpy(out + 20, &src->in6.sin6_port, 2);
		return 22;
	}
	out[3] = 1;
	memcpy(out + 4, &src->in4.sin_addr, 4);
	memcpy(out + 8, &src->in4.sin_port, 2);
	return 10;
}

static void su_dns_request(struct socks_udp *u, const union sockaddr_any *dst, const uint8_t *d,
			   size_t n)
{
	struct su_dns *q = &u->dns[u->dns_next];

	free(q->req);
	q->req = xmalloc(n ? n : 1);
	memcpy(q->req, d, n);
	q->len = n;
	q->server = *dst;
	u->dns_next = (u->dns_next + 1) % SU_DNS_PENDING;
}

static void su_dns_reply(struct socks_udp *u, const union sockaddr_any *src, const uint8_t *d,
			 size_t n)
{
	size_t i;

	for (i = 0; i < SU_DNS_PENDING; i++) {
		struct su_dns *q = &u->dns[i];

		if (q->req && q->len >= 2 && n >= 2 && q->req[0] == d[0] && q->req[1] == d[1] &&
		    addr_equal(&q->server.sa, &src->sa)) {
			dns_flow_pair(u->c->mode_index, &u->client, src, q->req, q->len, d, n);
			free(q->req);
			q->req = NULL;
			return;
		}
	}
}

static void su_from_client(struct loop_io *io, uint32_t events)
{
	struct socks_udp *u = io->arg;
	uint8_t d[SU_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		union sockaddr_any from, dst;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(u->fd, d, sizeof(d), 0, &from.sa, &len);
		size_t h;

		if (n < 0)
			return;
		/* Only the control connection's client may use the relay. */
		if (!addr_equal_host(&from.sa, &u->c->client.peer.sa))
			continue;
		u->client = from;
		u->have_client = true;
		if ((h = su_parse(d, (size_t)n, &dst)) == 0)
			continue;
		if (addr_port(&dst.sa) == 53)
			su_dns_request(u, &dst, d + h, (size_t)n - h);
		else
			udp_record(su_rec(u, &dst), true, d + h, (size_t)n - h);
		if (sendto(dst.sa.sa_family == AF_INET6 ? u->up6 : u->up4, d + h, (size_t)n - h, 0,
			   &dst.sa, addr_len(&dst.sa)) < 0)
			log_debug("SOCKS5 UDP: %s", strerror(errno));
	}
}

static void su_from_server(struct loop_io *io, uint32_t events)
{
	struct socks_udp *u = io->arg;
	int fd = io->fd;
	uint8_t d[SU_DGRAM_MAX + 22];
	int i;

	for (i = 0; i < 64; i++) {
		union sockaddr_any from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, d + 22, SU_DGRAM_MAX, 0, &from.sa, &len);
		uint8_t hdr[22];
		size_t h;

		if (n < 0)
			return;
		if (!u->have_client)
			continue;
		if (addr_port(&from.sa) == 53)
			su_dns_reply(u, &from, d + 22, (size_t)n);
		else
			udp_record(su_rec(u, &from), false, d + 22, (size_t)n);
		h = su_header(hdr, &from);
		memcpy(d + 22 - h, hdr, h);
		(void)sendto(u->fd, d + 22 - h, h + (size_t)n, 0, &u->client.sa,
			     addr_len(&u->client.sa));
	}
}

static int su_socket(int family, const union sockaddr_any *bind_to, int *out)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind_to && bind(fd, &bind_to->sa, addr_len(&bind_to->sa)) < 0) {
		close(fd);
		return -errno;
	}
	*out = fd;
	return 0;
}

/* Starts the relay; *bound is the address to tell the client. */
int socks5_udp_start(struct conn *c, union sockaddr_any *bound)
{
	struct socks_udp *u = xcalloc(1, sizeof(*u));
	union sockaddr_any local = c->client.local;
	socklen_t len = sizeof(*bound);

	if (local.sa.sa_family == AF_INET6)
		local.in6.sin6_port = 0;
	else
		local.in4.sin_port = 0;
	u->c = c;
	u->fd = u->up4 = u->up6 = -1;
	if (su_socket(local.sa.sa_family, &local, &u->fd) < 0 ||
	    su_socket(AF_INET, NULL, &u->up4) < 0 || getsockname(u->fd, &bound->sa, &len) < 0) {
		socks5_udp_free(u);
		return -EIO;
	}
	(void)su_socket(AF_INET6, NULL, &u->up6); /* no IPv6: IPv6 destinations fail */
	loop_io_init(&u->io, u->fd, su_from_client, u);
	loop_io_init(&u->up4io, u->up4, su_from_server, u);
	loop_io_init(&u->up6io, u->up6, su_from_server, u);
	if (loop_io_set(wk->loop, &u->io, EPOLLIN) < 0 ||
	    loop_io_set(wk->loop, &u->up4io, EPOLLIN) < 0 ||
	    (u->up6 >= 0 && loop_io_set(wk->loop, &u->up6io, EPOLLIN) < 0)) {
		socks5_udp_free(u);
		return -EIO;
	}
	c->socks_udp = u;
	return 0;
}

void socks5_udp_free(struct socks_udp *u)
{
	size_t i;

	if (u == NULL)
		return;
	if (u->fd >= 0) {
		loop_io_del(wk->loop, &u->io);
		close(u->fd);
	}
	if (u->up4 >= 0) {
		loop_io_del(wk->loop, &u->up4io);
		close(u->up4);
	}
	if (u->up6 >= 0) {
		loop_io_del(wk->loop, &u->up6io);
		close(u->up6);
	}
	for (i = 0; i < u->ndests; i++)
		udp_record_finish(u->dests[i].rec, NULL);
	for (i = 0; i < SU_DNS_PENDING; i++)
		free(u->dns[i].req);
	loop_defer_free(wk->loop, free, u);
}
