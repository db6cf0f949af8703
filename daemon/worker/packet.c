/* Runs in a worker: a packet source (a TUN fd handed over by the
 * coordinator) feeding snare's userspace network stack.  TCP connections it
 * accepts enter the same layers as kernel sockets; UDP to port 53/5353 goes
 * through the DNS layer; QUIC is intercepted (quic_intercept.c); other UDP
 * is relayed from a kernel socket per flow and recorded, until UDP_IDLE_MS
 * pass without a datagram either way.
 * Packets are untrusted; the stack validates them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "wireguard/wg.h"
#include "netstack/netstack.h"
#include "worker/conn.h"
#include "worker/dns_mode.h"
#include "worker/packet.h"
#include "worker/procmap.h"
#include "worker/quic_intercept.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#define PKT_MAX 65535
#define UDP_FLOWS_MAX 1024

struct udp_flow {
	struct udp_flow *next;
	struct packet_source *src;
	struct sockaddr_storage client, dst;
	int fd;
	struct loop_io io;
	struct udp_rec *rec; /* the UDP flow being recorded */
	struct qx *qx;	     /* QUIC interception, while it may apply */
	struct loop_timer idle;
	uint64_t active_ms; /* the last datagram either way */
};

struct packet_source {
	struct packet_source *next;
	int fd;		      /* the TUN fd, or the WireGuard UDP socket */
	struct wg_server *wg; /* WireGuard: packets are tunnelled through it */
	struct loop_io io;
	unsigned mode_index;
	struct ns_stack *ns;
	struct udp_flow *flows;
	size_t nflows;
	uint64_t tx_dropped;
};

static struct packet_source *sources;

static void pkt_output(void *arg, const uint8_t *pkt, size_t len)
{
	struct packet_source *ps = arg;

	if (ps->wg) {
		if (wg_server_send_packet(ps->wg, pkt, len) < 0)
			ps->tx_dropped++;
		return;
	}
	if (write(ps->fd, pkt, len) < 0)
		ps->tx_dropped++;
}

static void pkt_tcp_accept(void *arg, struct ns_tcp *t, const struct sockaddr_storage *src,
			   const struct sockaddr_storage *dst)
{
	struct packet_source *ps = arg;

	conn_accept_ns(ps->mode_index, t, src, dst);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return addr_equal((const struct sockaddr *)a, (const struct sockaddr *)b);
}

static struct udp_flow *udp_find(struct packet_source *ps, const struct sockaddr_storage *src,
				 const struct sockaddr_storage *dst)
{
	struct udp_flow *f;

	for (f = ps->flows; f; f = f->next)
		if (same_addr(&f->client, src) && same_addr(&f->dst, dst))
			return f;
	return NULL;
}

static void udp_flow_free(struct packet_source *ps, struct udp_flow *f, const char *error)
{
	struct udp_flow **pp;

	for (pp = &ps->flows; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	ps->nflows--;
	loop_timer_cancel(wk->loop, &f->idle);
	if (f->fd >= 0) {
		loop_io_del(wk->loop, &f->io);
		close(f->fd);
	}
	qx_free(f->qx);
	udp_record_finish(f->rec, error);
	loop_defer_free(wk->loop, free, f);
}

static void udp_on_reply(struct loop_io *io, uint32_t events)
{
	struct udp_flow *f = io->arg;
	uint8_t buf[PKT_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno != EAGAIN)
				udp_flow_free(f->src, f, strerror(errno));
			return;
		}
		const uint8_t *d = buf;
		size_t len = (size_t)n;
		uint8_t *keep;

		f->active_ms = loop_now(wk->loop);
		if (!udp_record_hooked(f->rec, false, &d, &len, &keep))
			continue; /* dropped by a hook */
		(void)ns_udp_send(f->src->ns, &f->dst, &f->client, d, len);
		free(keep);
	}
}

/* Local mode: one line naming the process behind a new UDP flow, and the
 * flow record names it too. */
static void udp_log_process(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
			    struct udp_rec *rec)
{
	char client[ADDR_STRLEN], to[ADDR_STRLEN], name[16];
	uint32_t pid;

	if (procmap_lookup_udp(src, &pid, name) < 0)
		return;
	udp_record_set_process(rec, pid, name);
	addr_format((const struct sockaddr *)src, client, sizeof(client));
	addr_format((const struct sockaddr *)dst, to, sizeof(to));
	log_msg(LOG_LVL_INFO, client, "UDP flow from %s (pid %u) to %s", name, pid, to);
}

static void udp_on_idle(struct loop_timer *t)
{
	struct udp_flow *f = t->arg;

	if (qx_intercepted(f->qx)) /* QUIC's own timers end it */
		loop_timer_arm(wk->loop, &f->idle, UDP_IDLE_MS);
	else if (!loop_timer_idle_rearm(wk->loop, &f->idle, f->active_ms, UDP_IDLE_MS))
		udp_flow_free(f->src, f, NULL);
}

/* A client's datagram relayed to the server, and recorded. */
static void udp_relay(void *arg, const uint8_t *d, size_t n)
{
	struct udp_flow *f = arg;
	uint8_t *keep;

	if (!udp_record_hooked(f->rec, true, &d, &n, &keep))
		return; /* dropped by a hook */
	if (send(f->fd, d, n, 0) < 0)
		log_err(LOG_LVL_DEBUG, -errno, "UDP relay");
	free(keep);
}

/* Intercepted QUIC: a datagram to the client from the server's address. */
static void udp_to_client(void *arg, const uint8_t *d, size_t n)
{
	struct udp_flow *f = arg;

	f->active_ms = loop_now(wk->loop);
	(void)ns_udp_send(f->src->ns, &f->dst, &f->client, d, n);
}

static const struct qx_ops udp_qx_ops = {udp_to_client, udp_relay};

static struct udp_flow *udp_open(struct packet_source *ps, const struct sockaddr_storage *src,
				 const struct sockaddr_storage *dst)
{
	struct udp_flow *f;

	if (ps->nflows >= UDP_FLOWS_MAX)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->src = ps;
	f->client = *src;
	f->dst = *dst;
	f->fd = udp_relay_open((const struct sockaddr *)dst, &f->io, udp_on_reply, &f->idle,
			       udp_on_idle, f);
	if (f->fd < 0) {
		free(f);
		return NULL;
	}
	f->rec = udp_record_start(ps->mode_index, src, dst);
	udp_record_peek_quic(f->rec);
	f->qx = qx_new(ps->mode_index, (const union sockaddr_any *)src,
		       (const union sockaddr_any *)dst, &udp_qx_ops, f);
	if (wk->modes[ps->mode_index].kind == MODE_LOCAL)
		udp_log_process(src, dst, f->rec);
	qx_set_record(f->qx, f->rec);
	f->next = ps->flows;
	ps->flows = f;
	ps->nflows++;
	return f;
}

static void pkt_udp(void *arg, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, const uint8_t *d, size_t n)
{
	struct packet_source *ps = arg;
	uint16_t port = addr_port((const struct sockaddr *)dst);
	struct udp_flow *f;

	if (port == 53 || port == 5353) {
		dns_ns_datagram(ps->mode_index, ps->ns, src, dst, d, n);
		return;
	}
	f = udp_find(ps, src, dst);
	if (f == NULL && (f = udp_open(ps, src, dst)) == NULL)
		return;
	f->active_ms = loop_now(wk->loop);
	if (f->qx == NULL || !qx_client(f->qx, d, n))
		udp_relay(f, d, n);
}

static void pkt_udp_closed(void *arg, const struct sockaddr_storage *src,
			   const struct sockaddr_storage *dst)
{
	struct packet_source *ps = arg;
	struct udp_flow *f = udp_find(ps, src, dst);

	if (f)
		udp_flow_free(ps, f, NULL);
}

static void pkt_on_readable(struct loop_io *io, uint32_t events)
{
	struct packet_source *ps = io->arg;
	uint8_t pkt[PKT_MAX];
	int i;

	for (i = 0; i < 256; i++) {
		ssize_t n = read(ps->fd, pkt, sizeof(pkt));

		if (n <= 0)
			return;
		ns_input(ps->ns, pkt, (size_t)n);
	}
}

/* WireGuard: outer datagrams in, decrypted packets to the stack. */
static void wg_datagram(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n)
{
	struct packet_source *ps = arg;

	wg_server_input(ps->wg, &from->ss, d, n);
}

static void wg_on_datagram(struct loop_io *io, uint32_t events)
{
	struct packet_source *ps = io->arg;
	uint8_t d[PKT_MAX];

	udp_drain(ps->fd, d, sizeof(d), 256, wg_datagram, ps);
}

static void wg_send_datagram(void *arg, const struct sockaddr_storage *to, const uint8_t *d,
			     size_t n)
{
	struct packet_source *ps = arg;

	if (sendto(ps->fd, d, n, 0, (const struct sockaddr *)to,
		   addr_len((const struct sockaddr *)to)) < 0)
		ps->tx_dropped++;
}

static void wg_inner_packet(void *arg, const uint8_t *ip, size_t n)
{
	struct packet_source *ps = arg;

	ns_input(ps->ns, ip, n);
}

static int packet_source_new(int fd, unsigned mode_index, struct packet_source **out)
{
	static const struct ns_callbacks cb = {pkt_output, pkt_tcp_accept, pkt_udp, pkt_udp_closed};
	struct packet_source *ps = xcalloc(1, sizeof(*ps));
	int err;

	ps->fd = fd;
	ps->mode_index = mode_index;
	if ((err = fd_set_nonblock(fd)) < 0 || (err = ns_new(wk->loop, &cb, ps, &ps->ns)) < 0) {
		free(ps);
		return err;
	}
	*out = ps;
	return 0;
}

int packet_source_start_wg(int fd, unsigned mode_index, const struct wg_keys *keys)
{
	static const struct wg_callbacks wcb = {wg_send_datagram, wg_inner_packet};
	struct packet_source *ps;
	int err = packet_source_new(fd, mode_index, &ps);

	if (err < 0)
		return err;
	if ((err = wg_server_new(wk->loop, keys, &wcb, ps, &ps->wg)) < 0) {
		ns_free(ps->ns);
		free(ps);
		return err;
	}
	loop_io_init(&ps->io, fd, wg_on_datagram, ps);
	if ((err = loop_io_set(wk->loop, &ps->io, EPOLLIN)) < 0)
		return err;
	ps->next = sources;
	sources = ps;
	return 0;
}

int packet_source_start(int fd, unsigned mode_index)
{
	struct packet_source *ps;
	int err = packet_source_new(fd, mode_index, &ps);

	if (err < 0)
		return err;
	loop_io_init(&ps->io, fd, pkt_on_readable, ps);
	if ((err = loop_io_set(wk->loop, &ps->io, EPOLLIN)) < 0) {
		ns_free(ps->ns);
		free(ps);
		return err;
	}
	ps->next = sources;
	sources = ps;
	return 0;
}

void packet_sources_stop(void)
{
	while (sources) {
		struct packet_source *ps = sources;

		sources = ps->next;
		while (ps->flows)
			udp_flow_free(ps, ps->flows, NULL);
		loop_io_del(wk->loop, &ps->io);
		if (ps->wg)
			wg_server_free(ps->wg);
		ns_free(ps->ns);
		free(ps);
	}
}
