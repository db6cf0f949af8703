/* Runs in a worker: forwards a DNS message unchanged to a name server (the
 * first of dns_name_servers or /etc/resolv.conf, or the reverse:dns target)
 * over the client's transport, and relays the reply.  One socket per query,
 * a timeout, and replies checked only for their ID. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/dns_int.h"
#include "worker/dns_mode.h"
#include "worker/worker_ctx.h"

static union sockaddr_any resolv_first; /* from /etc/resolv.conf, read at start-up */
static bool have_resolv_first;

/* Reads the first "nameserver" line; called before the sandbox. */
int dns_read_resolv_conf(void)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256], ip[128];

	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " nameserver %127s", ip) == 1 &&
		    addr_parse_ip(ip, 53, &resolv_first) == 0) {
			have_resolv_first = true;
			break;
		}
	fclose(f);
	return have_resolv_first ? 0 : -ENOENT;
}

static int parse_server(const char *s, union sockaddr_any *out)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	long port = 53;

	snprintf(host, sizeof(host), "%s", s);
	if (colon && strchr(s, '.') && colon == strchr(s, ':')) { /* a.b.c.d:port */
		host[colon - s] = '\0';
		port = strtol(colon + 1, NULL, 10);
	}
	return addr_parse_ip(host, (uint16_t)port, out);
}

int dns_upstream_for(unsigned mode_index, union sockaddr_any *out)
{
	const struct mode_spec *m = &wk->modes[mode_index];

	if (m->kind == MODE_REVERSE)
		return addr_parse_ip(m->server.host, m->server.port, out);
	if (wk->opts.dns_name_servers.n > 0)
		return parse_server(wk->opts.dns_name_servers.v[0], out);
	if (!have_resolv_first)
		return -ENOENT;
	*out = resolv_first;
	return 0;
}

void dns_forward_stop(struct dns_query *q)
{
	if (q->fd >= 0) {
		loop_io_del(wk->loop, &q->io);
		close(q->fd);
		q->fd = -1;
	}
	loop_timer_cancel(wk->loop, &q->timer);
	buf_free(&q->in);
	buf_free(&q->out);
}

static void dns_forward_fail(struct dns_query *q, const char *why)
{
	struct dns_builder b;

	dns_builder_init(&b, DNS_UDP_MIN);
	if (dns_build_error(q->raw, q->rawlen, 2, &b) == 0)
		dns_reply(q, b.buf, b.len, why);
	dns_builder_free(&b);
	dns_query_free(q);
}

/* The reply with its HTTPS records stripped (strip_ech, http3) into b; false to relay it as is. */
static bool dns_forward_strip(const uint8_t *resp, size_t len, struct dns_builder *b)
{
	unsigned what =
	    (wk->opts.strip_ech ? DNS_STRIP_ECH : 0) | (wk->opts.http3 ? 0 : DNS_STRIP_H3);
	struct dns_msg m;
	int r;

	if (dns_parse(resp, len, &m) < 0)
		return false;
	r = dns_https_strip(&m, what, b);
	dns_msg_free(&m);
	return r == 1 && b->len <= len;
}

static void dns_forward_done(struct dns_query *q, const uint8_t *resp, size_t len)
{
	struct dns_builder b;

	dns_builder_init(&b, len);
	if (dns_forward_strip(resp, len, &b)) {
		resp = b.buf;
		len = b.len;
	}
	dns_reply(q, resp, len, NULL);
	dns_builder_free(&b);
	dns_query_free(q);
}

/* 1 when a whole reply was handled, 0 to wait, -1 on error. */
static int dns_forward_read(struct dns_query *q)
{
	uint8_t tmp[DNS_MAX_MSG];
	ssize_t n;

	if (!q->tcp) {
		n = recv(q->fd, tmp, sizeof(tmp), 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n < 2 || tmp[0] != q->raw[0] || tmp[1] != q->raw[1])
			return 0; /* not our answer */
		dns_forward_done(q, tmp, (size_t)n);
		return 1;
	}
	while ((n = recv(q->fd, tmp, sizeof(tmp), 0)) > 0)
		if (buf_append(&q->in, tmp, (size_t)n) < 0)
			return -1;
	if (buf_len(&q->in) >= 2) {
		const uint8_t *p = buf_ptr(&q->in);
		size_t len = (size_t)p[0] << 8 | p[1];

		if (buf_len(&q->in) >= 2 + len) {
			dns_forward_done(q, p + 2, len);
			return 1;
		}
	}
	return n == 0 ? -1 : (errno == EAGAIN ? 0 : -1);
}

static void dns_forward_io(struct loop_io *io, uint32_t events)
{
	struct dns_query *q = io->arg;
	int r;

	if (buf_len(&q->out) > 0) {
		ssize_t n = send(q->fd, buf_ptr(&q->out), buf_len(&q->out), MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN) {
			dns_forward_fail(q, strerror(errno));
			return;
		}
		if (n > 0)
			buf_consume(&q->out, (size_t)n);
		if (buf_len(&q->out) == 0 && loop_io_set(wk->loop, &q->io, EPOLLIN) < 0) {
			dns_forward_fail(q, "epoll");
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	r = dns_forward_read(q);
	if (r < 0)
		dns_forward_fail(q, "the name server closed the connection or failed");
}

static void dns_forward_timeout(struct loop_timer *t)
{
	dns_forward_fail(t->arg, "the name server did not answer");
}

int dns_forward(struct dns_query *q)
{
	int type = q->tcp ? SOCK_STREAM : SOCK_DGRAM;
	uint8_t pfx[2] = {(uint8_t)(q->rawlen >> 8), (uint8_t)q->rawlen};

	q->fd = socket(q->upstream.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	loop_io_init(&q->io, q->fd, dns_forward_io, q);
	q->timer.fn = dns_forward_timeout;
	buf_init(&q->in, DNS_MAX_MSG + 2);
	buf_init(&q->out, DNS_MAX_MSG + 2);
	if (connect(q->fd, &q->upstream.sa, addr_len(&q->upstream.sa)) < 0 && errno != EINPROGRESS)
		return -errno;
	if ((q->tcp && buf_append(&q->out, pfx, 2) < 0) ||
	    buf_append(&q->out, q->raw, q->rawlen) < 0)
		return -ENOBUFS;
	loop_timer_arm(wk->loop, &q->timer, DNS_FORWARD_TIMEOUT_MS);
	return loop_io_set(wk->loop, &q->io, EPOLLOUT | EPOLLIN);
}
