/* Runs in a worker: SOCKS5 UDP ASSOCIATE (RFC 1928 §7), beyond mitmproxy.
 * A relay socket bound next to the client's control connection; datagrams
 * (untrusted, parsed by socks5_wire.c) name their destination, replies get
 * a header naming their source: the domain name when the client used one.
 * Names are resolved with the worker's resolver into a small per-association
 * cache; datagrams wait (bounded) while theirs resolves.  The association
 * lives as long as the TCP connection.  Port 53 is recorded as DNS flows,
 * the rest as UDP flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/client_policy.h"
#include "worker/conn.h"
#include "worker/dns_mode.h"
#include "worker/socks5.h"
#include "worker/socks5_wire.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#define SU_DGRAM_MAX 65535
#define SU_DESTS_MAX 64
#define SU_DNS_PENDING 16
#define SU_NAMES_MAX 16		   /* destination names cached per association */
#define SU_NAME_TTL_MS 60000	   /* an answer is reused this long */
#define SU_NAME_FAIL_MS 5000	   /* a failure likewise: no resolver storm */
#define SU_WAIT_MAX 16		   /* datagrams queued while their name resolves */
#define SU_WAIT_BYTES (128 * 1024) /* ... and their payload bytes */

struct su_dest {
	union sockaddr_any addr;
	struct udp_rec *rec; /* made on first use (not for DNS) */
	char name[256];	     /* the name the client last used for addr, or "" */
};

struct su_dns {
	uint8_t *req;
	size_t len;
	union sockaddr_any server;
};

/* A destination name: being resolved (req), resolved (status 0, addr with
 * port 0) or failed (status < 0) until `until`. */
struct su_name {
	struct socks_udp *u;
	char host[256]; /* "" = free slot; compared exactly as the client wrote it */
	struct resolve_req *req;
	int status;
	union sockaddr_any addr;
	uint64_t until, used;
};

/* A datagram waiting for its name; name->req is set while any waits. */
struct su_wait {
	struct su_name *name;
	uint16_t port;
	uint8_t *d;
	size_t n;
};

struct socks_udp {
	struct conn *c;
	int fd;	      /* relay socket facing the client */
	int up4, up6; /* unconnected sockets towards destinations */
	struct loop_io io, up4io, up6io;
	union sockaddr_any bound;  /* the relay's own address */
	union sockaddr_any client; /* learned from the first datagram */
	bool have_client;
	struct su_dest dests[SU_DESTS_MAX];
	size_t ndests;
	struct su_dns dns[SU_DNS_PENDING];
	size_t dns_next;
	struct su_name names[SU_NAMES_MAX];
	struct su_wait waits[SU_WAIT_MAX];
	size_t nwaits, wait_bytes;
};

static struct su_dest *su_dest(struct socks_udp *u, const union sockaddr_any *a)
{
	struct su_dest *d;
	size_t i;

	for (i = 0; i < u->ndests; i++)
		if (addr_equal(&u->dests[i].addr.sa, &a->sa))
			return &u->dests[i];
	if (u->ndests == SU_DESTS_MAX)
		return NULL;
	d = &u->dests[u->ndests++];
	memset(d, 0, sizeof(*d));
	d->addr = *a;
	return d;
}

static void su_record(struct socks_udp *u, struct su_dest *d, bool from_client, const uint8_t *p,
		      size_t n)
{
	if (d == NULL)
		return;
	if (d->rec == NULL)
		d->rec = udp_record_start(u->c->mode_index, &u->client.ss, &d->addr.ss);
	udp_record(d->rec, from_client, p, n);
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

/* Relays one payload to dst; name is what the client called it ("" for an
 * IP), remembered so replies from dst carry the same name. */
static void su_send(struct socks_udp *u, const union sockaddr_any *dst, const char *name,
		    const uint8_t *d, size_t n)
{
	int fd = dst->sa.sa_family == AF_INET6 ? u->up6 : u->up4;
	struct su_dest *dd;

	if (addr_equal(&dst->sa, &u->bound.sa) || fd < 0)
		return; /* to the relay itself (a loop), or no socket for the family */
	dd = su_dest(u, dst);
	if (dd != NULL)
		snprintf(dd->name, sizeof(dd->name), "%s", name);
	if (addr_port(&dst->sa) == 53)
		su_dns_request(u, dst, d, n);
	else
		su_record(u, dd, true, d, n);
	if (sendto(fd, d, n, 0, &dst->sa, addr_len(&dst->sa)) < 0)
		log_err(LOG_LVL_DEBUG, -errno, "SOCKS5 UDP");
}

/* IPv4 first: unlike a TCP connect there is no failure to fall back on, and
 * UDP services (and "localhost" in most hosts files) are mostly IPv4. */
static int su_pick(const struct socks_udp *u, const struct sockaddr_storage *addrs, size_t n,
		   union sockaddr_any *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addrs[i].ss_family == AF_INET) {
			memcpy(&out->in4, &addrs[i], sizeof(out->in4));
			return 0;
		}
	for (i = 0; i < n && u->up6 >= 0; i++)
		if (addrs[i].ss_family == AF_INET6) {
			memcpy(&out->in6, &addrs[i], sizeof(out->in6));
			return 0;
		}
	return -ENODATA;
}

static void su_set_port(union sockaddr_any *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in4.sin_port = htons(port);
}

/* Sends (or drops, when it failed) what waited for nm, keeping the rest in
 * order. */
static void su_wait_flush(struct socks_udp *u, struct su_name *nm)
{
	size_t i, keep = 0;

	for (i = 0; i < u->nwaits; i++) {
		struct su_wait *w = &u->waits[i];
		union sockaddr_any dst = nm->addr;

		if (w->name != nm) {
			u->waits[keep++] = *w;
			continue;
		}
		if (nm->status == 0) {
			su_set_port(&dst, w->port);
			su_send(u, &dst, nm->host, w->d, w->n);
		}
		u->wait_bytes -= w->n;
		free(w->d);
	}
	u->nwaits = keep;
}

static void su_on_resolved(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct su_name *nm = arg;
	struct socks_udp *u = nm->u;

	nm->req = NULL;
	nm->status = status < 0 ? status : su_pick(u, addrs, n, &nm->addr);
	nm->until = clock_ms() + (nm->status == 0 ? SU_NAME_TTL_MS : SU_NAME_FAIL_MS);
	if (nm->status < 0)
		conn_client_log(u->c, LOG_LVL_INFO, "SOCKS5 UDP: cannot resolve %s: %s", nm->host,
				strerror(-nm->status));
	su_wait_flush(u, nm);
}

static void su_resolve(struct socks_udp *u, struct su_name *nm, uint64_t now)
{
	nm->req = resolve_start(wk->resolver, nm->host, 0, AF_UNSPEC, su_on_resolved, nm);
	if (nm->req == NULL) {
		nm->status = -EAGAIN;
		nm->until = now + SU_NAME_FAIL_MS;
	}
}

/* The cache entry for host: found, or a new one in a free slot or in place
 * of the least recently used entry that is not resolving; NULL when every
 * entry is resolving. */
static struct su_name *su_name(struct socks_udp *u, const char *host)
{
	struct su_name *nm = NULL;
	size_t i;

	for (i = 0; i < SU_NAMES_MAX; i++)
		if (u->names[i].host[0] != '\0' && strcmp(u->names[i].host, host) == 0)
			return &u->names[i];
	for (i = 0; i < SU_NAMES_MAX; i++) {
		struct su_name *e = &u->names[i];

		if (e->req != NULL)
			continue;
		if (e->host[0] == '\0') {
			nm = e;
			break;
		}
		if (nm == NULL || e->used < nm->used)
			nm = e;
	}
	if (nm == NULL)
		return NULL;
	memset(nm, 0, sizeof(*nm));
	nm->u = u;
	snprintf(nm->host, sizeof(nm->host), "%s", host);
	return nm;
}

static void su_wait_add(struct socks_udp *u, struct su_name *nm, uint16_t port, const uint8_t *d,
			size_t n)
{
	struct su_wait *w;

	if (u->nwaits == SU_WAIT_MAX || u->wait_bytes + n > SU_WAIT_BYTES)
		return; /* dropped: UDP may lose datagrams anyway */
	w = &u->waits[u->nwaits++];
	w->name = nm;
	w->port = port;
	w->d = xmalloc(n ? n : 1);
	memcpy(w->d, d, n);
	w->n = n;
	u->wait_bytes += n;
}

/* A datagram for a domain name (ATYP 3): from the cache, or queued while
 * the name resolves. */
static void su_to_name(struct socks_udp *u, const struct socks5_addr *a, const uint8_t *d, size_t n)
{
	uint64_t now = clock_ms();
	struct su_name *nm = su_name(u, a->host);
	union sockaddr_any dst;

	if (nm == NULL)
		return; /* every entry is resolving: dropped */
	nm->used = now;
	if (nm->req == NULL && now >= nm->until)
		su_resolve(u, nm, now); /* new or expired */
	if (nm->req != NULL) {
		su_wait_add(u, nm, a->port, d, n);
		return;
	}
	if (nm->status < 0)
		return; /* failed recently: dropped */
	dst = nm->addr;
	su_set_port(&dst, a->port);
	su_send(u, &dst, nm->host, d, n);
}

static void su_datagram(struct socks_udp *u, const uint8_t *d, size_t n)
{
	struct socks5_addr a;
	ssize_t h = socks5_parse_udp_header(d, n, &a);

	if (h < 0)
		return; /* malformed, or a fragment: dropped */
	if (a.atyp == SOCKS5_ATYP_DOMAIN)
		su_to_name(u, &a, d + h, n - (size_t)h);
	else
		su_send(u, &a.ip, "", d + h, n - (size_t)h);
}

static void su_client_datagram(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n)
{
	struct socks_udp *u = arg;

	/* Only the control connection's client may use the relay. */
	if (!addr_equal_host(&from->sa, &u->c->client.peer.sa) || client_refused_udp(from))
		return;
	u->client = *from;
	u->have_client = true;
	conn_touch(u->c); /* the association is in use: not idle */
	su_datagram(u, d, n);
}

static void su_from_client(struct loop_io *io, uint32_t events)
{
	struct socks_udp *u = io->arg;
	uint8_t d[SU_DGRAM_MAX];

	udp_drain(u->fd, d, sizeof(d), 64, su_client_datagram, u);
}

/* The SOCKS header for a reply from src: the name the client used for it,
 * else its IP. */
static size_t su_reply_header(const union sockaddr_any *src, const struct su_dest *dd, uint8_t *out)
{
	struct socks5_addr a;

	if (dd == NULL || socks5_addr_from_name(&a, dd->name, addr_port(&src->sa)) < 0)
		(void)socks5_addr_from_sockaddr(&a, src);
	return socks5_build_udp_header(out, SOCKS5_UDP_HEADER_MAX, &a);
}

static void su_from_server(struct loop_io *io, uint32_t events)
{
	struct socks_udp *u = io->arg;
	int fd = io->fd;
	uint8_t d[SOCKS5_UDP_HEADER_MAX + SU_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		union sockaddr_any from;
		socklen_t len = sizeof(from);
		uint8_t *payload = d + SOCKS5_UDP_HEADER_MAX;
		ssize_t n = recvfrom(fd, payload, SU_DGRAM_MAX, 0, &from.sa, &len);
		uint8_t hdr[SOCKS5_UDP_HEADER_MAX];
		struct su_dest *dd;
		size_t h;

		if (n < 0)
			return;
		if (!u->have_client)
			continue;
		conn_touch(u->c);
		dd = su_dest(u, &from);
		if (addr_port(&from.sa) == 53)
			su_dns_reply(u, &from, payload, (size_t)n);
		else
			su_record(u, dd, false, payload, (size_t)n);
		h = su_reply_header(&from, dd, hdr);
		if (h == 0)
			continue;
		memcpy(payload - h, hdr, h);
		(void)sendto(u->fd, payload - h, h + (size_t)n, 0, &u->client.sa,
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
int socks5_udp_start(struct conn *c, union sockaddr_any *bound, struct socks_udp **out)
{
	struct socks_udp *u = xcalloc(1, sizeof(*u));
	union sockaddr_any local = {0};
	socklen_t len = sizeof(*bound);

	memcpy(&local, &c->client.local, sizeof(c->client.local));
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
	u->bound = *bound;
	*out = u;
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
	for (i = 0; i < SU_NAMES_MAX; i++)
		resolve_cancel(u->names[i].req);
	for (i = 0; i < u->nwaits; i++)
		free(u->waits[i].d);
	loop_defer_free(wk->loop, free, u);
}
