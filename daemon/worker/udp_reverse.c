/* Runs in a worker (worker 0 only): reverse:udp://host:port.  Each client
 * address gets its own connected socket to the target; replies go back from
 * the listening socket; the conversation is recorded as a UDP flow and ends
 * after UDP_IDLE_MS without a datagram.  Datagrams are relayed unchanged. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/wk.h"

#define UDP_IDLE_MS 20000 /* mitmproxy's UDP "connection" timeout */
#define UDP_PEERS_MAX 1024
#define UDP_DGRAM_MAX 65535

struct udp_peer {
	struct udp_peer *next;
	struct worker_listener *l;
	union sockaddr_any client;
	union sockaddr_any target;
	int fd;
	struct loop_io io;
	struct loop_timer idle;
	struct udp_rec *rec;
};

static struct udp_peer *peers;
static size_t npeers;
static union sockaddr_any *targets; /* per mode index, resolved at start-up */

static int udp_resolve(const struct mode_spec *m, union sockaddr_any *out)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res;
	char port[8];

	if (addr_parse_ip(m->server.host, m->server.port, out) == 0)
		return 0;
	snprintf(port, sizeof(port), "%u", m->server.port);
	if (getaddrinfo(m->server.host, port, &hints, &res) != 0 || res == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Resolves every reverse udp:// target; called before the sandbox (names
 * may need files).  0, or -ENOENT naming nothing resolvable. */
int udp_reverse_prepare(void)
{
	size_t i;

	targets = xcalloc(wk->nmodes ? wk->nmodes : 1, sizeof(*targets));
	for (i = 0; i < wk->nmodes; i++) {
		const struct mode_spec *m = &wk->modes[i];

		if (m->kind != MODE_REVERSE ||
		    (strcmp(m->server.scheme, "udp") != 0 && strcmp(m->server.scheme, "dtls") != 0))
			continue;
		if (udp_resolve(m, &targets[i]) < 0) {
			log_error("reverse %s: cannot resolve %s", m->server.scheme,
				  m->server.host);
			return -ENOENT;
		}
	}
	return 0;
}

/* The resolved target of a reverse udp:// or dtls:// mode. */
int udp_reverse_target(unsigned mode_index, union sockaddr_any *out)
{
	if (targets == NULL || mode_index >= wk->nmodes || targets[mode_index].sa.sa_family == 0)
		return -ENOENT;
	*out = targets[mode_index];
	return 0;
}

static void udp_peer_free(struct udp_peer *p)
{
	struct udp_peer **pp;

	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	npeers--;
	loop_timer_cancel(wk->loop, &p->idle);
	loop_io_del(wk->loop, &p->io);
	close(p->fd);
	udp_record_finish(p->rec, NULL);
	loop_defer_free(wk->loop, free, p);
}

static void udp_peer_idle(struct loop_timer *t)
{
	udp_peer_free(t->arg);
}

static void udp_peer_reply(struct loop_io *io, uint32_t events)
{
	struct udp_peer *p = io->arg;
	uint8_t d[UDP_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(p->fd, d, sizeof(d), 0);

		if (n < 0)
			return;
		udp_record(p->rec, false, d, (size_t)n);
		(void)sendto(p->l->fd, d, (size_t)n, 0, &p->client.sa, addr_len(&p->client.sa));
		loop_timer_arm(wk->loop, &p->idle, UDP_IDLE_MS);
	}
}

static struct udp_peer *udp_peer_get(struct worker_listener *l, const union sockaddr_any *from)
{
	struct udp_peer *p;

	for (p = peers; p; p = p->next)
		if (p->l == l && addr_equal(&p->client.sa, &from->sa))
			return p;
	if (npeers >= UDP_PEERS_MAX)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->l = l;
	p->client = *from;
	p->target = targets[l->mode_index];
	if (p->target.sa.sa_family == 0 ||
	    (p->fd = socket(p->target.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) <
		0) {
		free(p);
		return NULL;
	}
	if (connect(p->fd, &p->target.sa, addr_len(&p->target.sa)) < 0) {
		close(p->fd);
		free(p);
		return NULL;
	}
	loop_io_init(&p->io, p->fd, udp_peer_reply, p);
	loop_timer_init(&p->idle, udp_peer_idle, p);
	if (loop_io_set(wk->loop, &p->io, EPOLLIN) < 0) {
		close(p->fd);
		free(p);
		return NULL;
	}
	p->rec = udp_record_start(l->mode_index, &from->ss, &p->target.ss);
	p->next = peers;
	peers = p;
	npeers++;
	return p;
}

void udp_reverse_readable(struct worker_listener *l)
{
	uint8_t d[UDP_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		union sockaddr_any from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(l->fd, d, sizeof(d), 0, &from.sa, &len);
		struct udp_peer *p;

		if (n < 0)
			return;
		if ((p = udp_peer_get(l, &from)) == NULL)
			continue;
		udp_record(p->rec, true, d, (size_t)n);
		if (send(p->fd, d, (size_t)n, 0) < 0)
			log_debug("reverse udp: %s", strerror(errno));
		loop_timer_arm(wk->loop, &p->idle, UDP_IDLE_MS);
	}
}

void udp_reverse_stop(void)
{
	while (peers)
		udp_peer_free(peers);
}
