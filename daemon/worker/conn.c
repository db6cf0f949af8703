/* Runs in a worker: the connection framework.  Accepts a client connection,
 * pumps bytes through its two streams and the current layer (layer.h) until
 * nothing moves, keeps its timers, and closes it with the event-log lines
 * mitmdump prints, letting every layer report and free its own state.  It
 * knows no protocol; next_layer() decides which layer runs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/accepting.h"
#include "worker/client_policy.h"
#include "worker/conn.h"
#include "worker/conn_trim.h"
#include "worker/conn_wait.h"
#include "worker/layer.h"
#include "worker/procmap.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

void conn_client_log(struct conn *c, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, c->client_str, fmt, ap);
	va_end(ap);
}

static uint64_t conn_idle_limit_ms(void)
{
	return (uint64_t)wk->opts.tcp_timeout * 1000;
}

/* The idle timer is not moved on every read and write (that would be a heap
 * operation per byte batch): I/O only stamps active_ms, and a timer that
 * fires early re-arms itself for the rest of the idle time. */
static void conn_on_timer(struct loop_timer *t)
{
	struct conn *c = t->arg;

	if (c->state == CS_CONNECTING) {
		stream_fail(&c->server, "connection timed out");
		conn_pump(c);
		return;
	}
	if (c->state == CS_HELD) { /* held by intercept: waits for the user, not for bytes */
		loop_timer_arm(wk->loop, &c->timer, conn_idle_limit_ms());
		return;
	}
	if (c->state == CS_CLIENT_HEAD && c->server.fd >= 0 && buf_len(&c->client.in) == 0)
		upstream_pool_put(c); /* between requests: the server waits in the pool */
	if (conn_trim_due(c))
		return;
	if (loop_timer_idle_rearm(wk->loop, &c->timer, c->active_ms, conn_idle_limit_ms()))
		return;
	conn_client_log(c, LOG_LVL_INFO, "Closing connection due to inactivity");
	conn_close(c);
}

static void conn_on_kick(struct loop_timer *t)
{
	conn_pump(t->arg);
}

void conn_pump_later(struct conn *c)
{
	if (!c->freed && !loop_timer_armed(&c->kick))
		loop_timer_arm(wk->loop, &c->kick, 0);
}

void conn_set_str(const char **dst, const char *src)
{
	const char *old = *dst;

	*dst = src && src[0] ? xstrndup(src, 255) : "";
	if (old && old[0])
		free(unconst(old));
}

static struct conn *conn_new(unsigned mode_index)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->mode_index = mode_index;
	c->host = c->target_host = c->server_host = c->tls_sni = "";
	return c;
}

/* The part of a new connection common to sockets and netstack streams. */
static void conn_start(struct conn *c, const union sockaddr_any *peer)
{
	stream_addr_set(&c->client.peer, &peer->sa);
	c->client.ts_start = clock_wall();
	addr_format(&peer->sa, c->client_str, sizeof(c->client_str));
	loop_timer_init(&c->timer, conn_on_timer, c);
	loop_timer_init(&c->kick, conn_on_kick, c);
	conn_wait_init(c);
	c->next = wk->conns;
	if (wk->conns)
		wk->conns->prev = c;
	wk->conns = c;
	wk->nconns++;
	if (c->kind_hint == MODE_LOCAL)
		procmap_lookup(c);
	if (c->proc_pid)
		conn_client_log(c, LOG_LVL_INFO, "client connect (%s, pid %u)", c->proc_name,
				c->proc_pid);
	else
		conn_client_log(c, LOG_LVL_INFO, "client connect");
	next_layer(c, NL_START);
	if (!c->freed)
		conn_pump(c);
}

/* Whether an accepted socket's own address is the listener's: not for a
 * wildcard listener (the address the client reached), nor in transparent
 * mode (a TPROXY socket's is the original destination). */
static bool conn_local_is_listener(const struct worker_listener *l)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (wk->modes[l->mode_index].kind == MODE_TRANSPARENT)
		return false;
	if (l->addr.sa.sa_family == AF_INET)
		return l->addr.in4.sin_addr.s_addr != htonl(INADDR_ANY);
	return l->addr.sa.sa_family == AF_INET6 &&
	       memcmp(&l->addr.in6.sin6_addr, &any6, sizeof(any6)) != 0;
}

void conn_accept(struct worker_listener *l, int fd, const union sockaddr_any *peer,
		 struct src_slot *slot)
{
	struct conn *c;
	socklen_t len = sizeof(c->client.local);

	if (client_blocked(peer)) {
		char a[ADDR_STRLEN];

		log_info("Client connection from %s killed by %s option.",
			 addr_format_host(&peer->sa, a, sizeof(a)), client_blocked_by(peer));
		close(fd);
		srclimit_put(slot);
		return;
	}
	c = conn_new(l->mode_index);
	c->src = slot;
	stream_init(&c->client, c, fd);
	stream_init(&c->server, c, -1);
	if (conn_local_is_listener(l))
		stream_addr_set(&c->client.local, &l->addr.sa);
	else
		getsockname(fd, &c->client.local.sa, &len);
	conn_start(c, peer);
}

/* A TCP connection accepted by the userspace network stack of a packet mode
 * (tun, wireguard, local): dst is where the client wanted to go. */
void conn_accept_ns(unsigned mode_index, struct ns_tcp *t, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst)
{
	struct conn *c = conn_new(mode_index);

	c->kind_hint = wk->modes[mode_index].kind;
	stream_init_ns(&c->client, c, t);
	stream_init(&c->server, c, -1);
	stream_addr_set(&c->client.local, (const struct sockaddr *)dst);
	conn_start(c, (const union sockaddr_any *)src);
}

/* An armed idle timer stays where it is: it fires no later than the new idle
 * limit and re-arms itself for the rest (conn_on_timer).  Only the connect
 * timeout, which is not an idle time, is replaced either way. */
void conn_set_state(struct conn *c, enum conn_state st)
{
	enum conn_state from = c->state;
	bool was_connecting = from == CS_CONNECTING;

	c->state = st;
	conn_touch(c);
	conn_wait_state(c, from, st);
	if (st == CS_CONNECTING)
		loop_timer_arm(wk->loop, &c->timer, CONNECT_TIMEOUT_MS);
	else if (was_connecting || !loop_timer_armed(&c->timer))
		loop_timer_arm(wk->loop, &c->timer, conn_idle_limit_ms());
}

static void conn_free(void *p)
{
	struct conn *c = p;

	conn_set_str(&c->host, NULL);
	conn_set_str(&c->target_host, NULL);
	conn_set_str(&c->server_host, NULL);
	conn_set_str(&c->tls_sni, NULL);
	free(c->server_key);
	free(c->addrs);
	free(c);
}

void conn_server_disconnect(struct conn *c)
{
	free(c->server_key);
	c->server_key = NULL;
	if (c->server.fd < 0)
		return;
	if (c->server_up)
		conn_client_log(c, LOG_LVL_INFO, "server disconnect %s:%u", c->server_host,
				c->server_port);
	c->server_up = false;
	stream_close(&c->server);
	stream_init(&c->server, c, -1);
}

void conn_close(struct conn *c)
{
	if (c->freed)
		return;
	c->freed = true;
	if (c->resolving)
		resolve_cancel(c->resolving);
	c->resolving = NULL;
	loop_timer_cancel(wk->loop, &c->timer);
	loop_timer_cancel(wk->loop, &c->kick);
	conn_wait_close(c);
	upstream_pool_put(c); /* a server connection the client no longer needs */
	layers_close(c);      /* each reports what it collected and frees its state */
	conn_server_disconnect(c);
	stream_close(&c->server);
	stream_close(&c->client);
	conn_client_log(c, LOG_LVL_INFO, "client disconnect");
	if (c->prev)
		c->prev->next = c->next;
	else
		wk->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	wk->nconns--;
	accepting_conn_gone(c->src);
	c->src = NULL;
	loop_defer_free(wk->loop, conn_free, c);
	if (wk->stopping)
		worker_conn_gone();
}

/* The framework's own states (connecting, waiting for the ca, closing),
 * else the current layer's step. */
static void conn_step(struct conn *c, bool *progress)
{
	if (c->state == CS_CONNECTING)
		connect_step(c, progress);
	else if (c->state != CS_CERT_WAIT && c->state != CS_CLOSING && c->layer && c->layer->step)
		c->layer->step(c, progress);
}

/* Finishes a connection once both sides are done or one has failed. */
static bool conn_check_done(struct conn *c)
{
	if (c->state == CS_CLOSING) {
		if (c->client.failed || stream_flushed(&c->client) || c->client.fd < 0) {
			conn_close(c);
			return true;
		}
		return false;
	}
	if (c->client.failed) {
		if (c->client.ssl && !c->client.tls_done)
			conn_client_log(
			    c, LOG_LVL_WARN,
			    "Client TLS handshake failed. The client does not trust the "
			    "proxy's certificate for %s (%s)",
			    c->host, c->client.err);
		conn_close(c);
		return true;
	}
	if (c->client.rd_eof && buf_len(&c->client.in) == 0 && c->state == CS_CLIENT_HEAD) {
		conn_close(c);
		return true;
	}
	return false;
}

/* After a pump: every layer gives back what it no longer needs, the
 * resolved addresses go once connected, empty buffers are freed (a busy
 * connection's once it is quiet). */
static void conn_trim(struct conn *c)
{
	layers_trim(c);
	if (c->addrs && c->on_connected == NULL && c->resolving == NULL) {
		free(c->addrs);
		c->addrs = NULL;
		c->naddrs = c->addr_i = 0;
	}
	conn_trim_streams(c); /* now, or once quiet when busy (conn_trim.c) */
}

void conn_pump(struct conn *c)
{
	bool progress;
	int rounds = 0;

	if (c->freed)
		return;
	do {
		progress = false;
		stream_io(&c->client, &progress);
		stream_io(&c->server, &progress);
		conn_step(c, &progress);
		if (c->freed || conn_check_done(c))
			return;
	} while (progress && ++rounds < 64);
	stream_interest(&c->client);
	stream_interest(&c->server);
	conn_trim(c);
	if (c->client.failed || c->server.failed || rounds >= 64)
		conn_pump_later(c);
}
