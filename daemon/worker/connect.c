/* Runs in a worker: connects a connection's server stream to host:port.
 * Names are resolved asynchronously (resolve/), every address is tried in
 * turn, and snare's own listen addresses are refused (no proxy loops). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/wk.h"

bool conn_is_self(const char *host, uint16_t port)
{
	size_t i;
	char lh[INET6_ADDRSTRLEN];

	for (i = 0; i < wk->nlisteners; i++) {
		const struct worker_listener *l = &wk->listeners[i];

		if (l->udp || addr_port(&l->addr.sa) != port)
			continue;
		addr_format_host(&l->addr.sa, lh, sizeof(lh));
		if (!strcasecmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
		    !strcmp(host, "::1") || !strcmp(host, lh) ||
		    (!strcmp(lh, "::") && !strcmp(host, "0.0.0.0")))
			return true;
	}
	return false;
}

static void connect_done(struct conn *c, int err)
{
	void (*fn)(struct conn *, int) = c->on_connected;

	c->on_connected = NULL;
	if (err == 0) {
		char a[ADDR_STRLEN];
		socklen_t len = sizeof(c->server.local);

		getsockname(c->server.fd, &c->server.local.sa, &len);
		c->server_up = true;
		c->server_reusable = true; /* fresh: usable for the request waiting on it */
		addr_format(&c->server.peer.sa, a, sizeof(a));
		if (addr_parse_ip(c->server_host, 0, &(union sockaddr_any){0}) == 0)
			conn_client_log(c, LOG_LVL_INFO, "server connect %s", a);
		else
			conn_client_log(c, LOG_LVL_INFO, "server connect %s:%u (%s)",
					c->server_host, c->server_port, a);
	}
	if (fn)
		fn(c, err);
}

/* Starts a non-blocking connect to addrs[addr_i]; false when none is left. */
static bool connect_next(struct conn *c)
{
	while (c->addr_i < c->naddrs) {
		union sockaddr_any *a = &c->addrs[c->addr_i++];
		int fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int one = 1;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		stream_close(&c->server);
		stream_init(&c->server, c, fd);
		c->server.peer = *a;
		c->server.ts_start = clock_wall();
		if (connect(fd, &a->sa, addr_len(&a->sa)) < 0 && errno != EINPROGRESS) {
			stream_fail(&c->server, "%s", strerror(errno));
			continue;
		}
		c->server.connecting = true;
		return true;
	}
	return false;
}

void connect_step(struct conn *c, bool *progress)
{
	if (c->resolving || c->server.connecting || c->on_connected == NULL)
		return;
	if (c->server.fd >= 0 && !c->server.failed) {
		*progress = true;
		connect_done(c, 0);
		return;
	}
	if (connect_next(c))
		return;
	*progress = true;
	connect_done(c, -ECONNREFUSED);
}

static void on_resolved(void *arg, int status, const struct sockaddr_storage *addrs, size_t n)
{
	struct conn *c = arg;

	c->resolving = NULL;
	if (status < 0 || n == 0) {
		snprintf(c->server.err, sizeof(c->server.err), "%s",
			 status == -ENOENT ? "Name or service not known"
			 : status == -ETIMEDOUT ? "name resolution timed out"
						: "name resolution failed");
		c->server.failed = true;
		connect_done(c, status < 0 ? status : -ENOENT);
		conn_pump(c);
		return;
	}
	free(c->addrs);
	c->addrs = xcalloc(n, sizeof(*c->addrs));
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	c->naddrs = n;
	c->addr_i = 0;
	conn_pump(c);
}

void conn_connect(struct conn *c, const char *host, uint16_t port,
		  void (*done)(struct conn *c, int err))
{
	stream_close(&c->server);
	stream_init(&c->server, c, -1);
	snprintf(c->server_host, sizeof(c->server_host), "%s", host);
	c->server_port = port;
	c->on_connected = done;
	c->naddrs = c->addr_i = 0;
	conn_set_state(c, CS_CONNECTING);
	if (conn_is_self(host, port)) {
		snprintf(c->server.err, sizeof(c->server.err),
			 "Request destination unknown. Unable to figure out where this request "
			 "should be forwarded to.");
		c->server.failed = true;
		connect_done(c, -ELOOP);
		return;
	}
	c->resolving = resolve_start(wk->resolver, host, port, AF_UNSPEC, on_resolved, c);
	if (c->resolving == NULL) {
		snprintf(c->server.err, sizeof(c->server.err), "name resolution failed");
		c->server.failed = true;
		connect_done(c, -EAGAIN);
	}
}
