/* Runs in a worker: the upstream pool (upstream_pool.h).  Idle server
 * connections wait in one list, newest first, each still watched by epoll: a
 * server that closes one or sends anything but TLS session tickets gets it
 * dropped at once, and every take checks the socket again (a peek) before the
 * connection carries a request.  The oldest go first when a cap is reached or
 * upstream_keepalive_timeout passes.  Bytes from a pooled server are
 * untrusted and never reach a client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "core/addr.h"
#include "core/log.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/h2_pool.h"
#include "worker/http.h"
#include "worker/idle_list.h"
#include "worker/layer.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

struct pool_entry {
	struct idle_entry ie; /* first: key, host and port as the client named them */
	bool tls;
	struct stream s;
};

static void pool_drop_ie(struct idle_entry *ie, const char *why);
static bool pool_key_same(const char *have, const char *want);

static struct idle_list pool = {.drop = pool_drop_ie, .same_key = pool_key_same};

static struct pool_entry *entry_of(struct idle_entry *ie)
{
	return (struct pool_entry *)ie;
}

/* Whose server connections may be shared between client connections: a
 * reverse proxy's (one fixed server) and a regular proxy's plain HTTP ones.
 * Not CONNECT tunnels, transparent or packet modes (each names its own
 * server), not upstream mode, not raw TCP. */
static bool pool_kind_ok(const struct conn *c)
{
	if (wk->opts.upstream_keepalive <= 0 || wk->stopping || c->via || c->force_raw)
		return false;
	return c->kind == MODE_REVERSE || (c->kind == MODE_REGULAR && !c->tunnel);
}

/* Whether an ALPN offer (wire format) names h2. */
static bool pool_offers_h2(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (p[i] == 2 && i + 3 <= n && memcmp(p + i + 1, "h2", 2) == 0)
			return true;
		i += 1 + (size_t)p[i];
	}
	return false;
}

/* The ALPN part is the last character: a pooled connection speaks HTTP/1
 * (h2 ones are not pooled), so what the offer changes is only whether the
 * server could have answered h2.  '2': h2 was offered (and declined), '1':
 * it was not.  A taker offering h2 needs a '2' (the server is known not to
 * take h2); any other takes either. */
void upstream_pool_key(const struct conn *c, char *out, size_t len)
{
	const uint8_t *alpn = NULL;
	size_t alen = 0;

	char from[ADDR_STRLEN] = "any";

	out[0] = '\0';
	if (!pool_kind_ok(c))
		return;
	/* A regular proxy's clients are strangers to each other: a server
	 * connection is shared only among the connections of one client
	 * address (servers that tie state or NTLM-style auth to a connection
	 * must not see another client's request on it).  A reverse proxy's
	 * server is the operator's, shared as nginx's upstream keep-alive. */
	if (c->kind == MODE_REGULAR)
		addr_format_host(&c->client.peer.sa, from, sizeof(from));
	if (!c->server_tls) {
		snprintf(out, len, "http|%s|%s|%u|1", from, c->host, c->port);
		return;
	}
	if (!next_layer_alpn(c, &alpn, &alen))
		alen = 0;
	/* verification: ssl_insecure and the trusted CAs are the worker's, the
	 * name checked is the SNI, else the host as an IP address */
	snprintf(out, len, "https|%s|%s|%u|%s|%c", from, c->host, c->port, c->tls_sni,
		 pool_offers_h2(alpn, alen) ? '2' : '1');
}

/* Whether a pooled connection filed under have serves a taker's want. */
static bool pool_key_fits(const char *have, const char *want)
{
	size_t n = strlen(want);

	if (n == 0 || strlen(have) != n || memcmp(have, want, n - 1) != 0)
		return false;
	return want[n - 1] != '2' || have[n - 1] == '2';
}

size_t upstream_pool_count(void)
{
	return pool.n;
}

static void pool_drop(struct pool_entry *e, const char *why)
{
	log_debug("upstream pool: connection to %s:%u closed (%s; %zu left)", e->ie.host,
		  e->ie.port, why, pool.n - 1);
	stream_close(&e->s);
	idle_list_unlink(&pool, &e->ie);
}

static void pool_drop_ie(struct idle_entry *ie, const char *why)
{
	pool_drop(entry_of(ie), why);
}

static bool pool_key_same(const char *have, const char *want)
{
	return strcmp(have, want) == 0;
}

/* A pooled TLS connection may get post-handshake messages (session
 * tickets): OpenSSL takes them.  Anything else (data, an alert, EOF, a
 * KeyUpdate that wants an answer) ends its use. */
static bool pool_tls_settle(struct stream *s)
{
	uint8_t tmp[4096];
	size_t got;
	ssize_t n;
	int r;

	for (;;) {
		size_t room = buf_room(&s->rxc);

		if (room == 0)
			return false;
		n = recv(s->fd, tmp, room < sizeof(tmp) ? room : sizeof(tmp), MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return false;
			break;
		}
		if (buf_append(&s->rxc, tmp, (size_t)n) < 0)
			return false;
	}
	if (SSL_read_ex(s->ssl, tmp, sizeof(tmp), &got) == 1)
		return false;
	r = SSL_get_error(s->ssl, 0);
	ERR_clear_error();
	if (r != SSL_ERROR_WANT_READ || buf_len(&s->txc) > 0 || buf_len(&s->rxc) > 0)
		return false;
	stream_trim(s);
	return true;
}

/* Whether a pooled connection can still carry a request: not closed by the
 * server, and nothing unasked for arrived. */
static bool pool_alive(struct pool_entry *e)
{
	uint8_t b;
	ssize_t n = recv(e->s.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK;
	return e->s.ssl != NULL && pool_tls_settle(&e->s);
}

static void pool_on_io(struct loop_io *io, uint32_t events)
{
	struct pool_entry *e = io->arg;

	(void)events;
	if (!e->ie.gone && !pool_alive(e))
		pool_drop(e, "closed or spoke while idle");
}

/* Whether c->server can go to the pool: open and quiet, keep-alive, TLS (if
 * any) done and not speaking h2, and the client between requests. */
static bool pool_stream_ok(struct conn *c)
{
	struct stream *s = &c->server;
	const unsigned char *alpn = NULL;
	unsigned alen = 0;

	if (s->fd < 0 || s->ns || s->failed || s->rd_eof || s->connecting || s->shut_req ||
	    !c->server_reusable || buf_len(&s->in) > 0 || buf_len(&s->out) > 0 ||
	    buf_len(&s->txc) > 0)
		return false;
	if (c->layer != &layer_http || c->state != CS_CLIENT_HEAD || c->http == NULL ||
	    c->http->req.raw != NULL)
		return false;
	if (s->ssl == NULL)
		return !c->server_tls && buf_len(&s->rxc) == 0;
	if (!s->tls_done || s->outer.ssl || SSL_pending(s->ssl) > 0 || c->server_key == NULL)
		return false;
	SSL_get0_alpn_selected(s->ssl, &alpn, &alen);
	if (alen == 2 && memcmp(alpn, "h2", 2) == 0)
		return false;
	return buf_len(&s->rxc) == 0 || pool_tls_settle(s);
}

/* Pooled sockets count in the accept budget (accepting.c): one is kept only
 * while the worker's descriptors stay out of the margin kept for new server
 * connections. */
static bool pool_fd_room(void)
{
	return accepting_fd_room(0);
}

bool upstream_pool_drop_oldest(const char *why)
{
	/* the HTTP/1 pool's oldest, else the h2 pool's */
	return idle_list_drop_oldest(&pool, why) || h2_pool_drop_oldest(why);
}

bool upstream_pool_put(struct conn *c)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	struct pool_entry *e;

	if (!pool_kind_ok(c) || wk->opts.upstream_keepalive_total <= 0 || !pool_stream_ok(c))
		return false;
	if (!pool_fd_room() && !idle_list_drop_oldest(&pool, "descriptor limit"))
		return false;
	if (c->server.ssl)
		snprintf(key, sizeof(key), "%s", c->server_key);
	else
		upstream_pool_key(c, key, sizeof(key));
	if (key[0] == '\0')
		return false;
	idle_list_make_room(&pool, key);
	e = xcalloc(1, sizeof(*e));
	e->tls = c->server.ssl != NULL;
	stream_move(&e->s, &c->server, NULL);
	e->s.io.fn = pool_on_io;
	e->s.io.arg = e;
	idle_list_link(&pool, &e->ie, key, c->host, c->port);
	c->server_up = c->server_reusable = c->server_kept = c->server_pooled = false;
	free(c->server_key);
	c->server_key = NULL;
	stream_trim(&e->s);
	if (loop_io_set(wk->loop, &e->s.io, EPOLLIN | EPOLLRDHUP) < 0) {
		pool_drop(e, "epoll");
		return true;
	}
	conn_client_log(c, LOG_LVL_DEBUG, "server connection to %s:%u kept for reuse (%zu pooled)",
			c->host, c->port, pool.n);
	return true;
}

bool upstream_pool_take(struct conn *c)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	struct idle_entry *ie, *next;
	struct pool_entry *e;

	if (pool.n == 0 || c->server.fd >= 0)
		return false;
	upstream_pool_key(c, key, sizeof(key));
	if (key[0] == '\0')
		return false;
	for (ie = pool.head; ie; ie = next) {
		next = ie->next;
		e = entry_of(ie);
		if (!pool_key_fits(ie->key, key))
			continue;
		if (!pool_alive(e)) {
			pool_drop(e, "closed while idle");
			continue;
		}
		stream_move(&c->server, &e->s, c);
		conn_set_str(&c->server_host, c->host);
		conn_set_str(&c->target_host, c->host);
		c->server_port = c->target_port = c->port;
		free(c->server_key);
		c->server_key = c->server.ssl ? xstrdup(ie->key) : NULL;
		c->server_up = c->server_reusable = c->server_kept = c->server_pooled = true;
		idle_list_unlink(&pool, ie);
		conn_client_log(c, LOG_LVL_DEBUG,
				"server connection to %s:%u taken from the pool (%zu left)",
				c->host, c->port, pool.n);
		if (pool.n == 0)
			idle_list_arm(&pool);
		return true;
	}
	return false;
}

void upstream_pool_release_soon(struct conn *c)
{
	/* the connection's idle timer fires early; conn.c's handler puts the
	 * server connection here and re-arms it for the rest of tcp_timeout */
	if (pool_kind_ok(c) && c->server.fd >= 0 && c->server_reusable)
		loop_timer_arm(wk->loop, &c->timer, UPSTREAM_RELEASE_MS);
}

bool upstream_pool_has(const char *host, uint16_t port, bool tls)
{
	for (struct idle_entry *ie = pool.head; ie; ie = ie->next)
		if (ie->port == port && entry_of(ie)->tls == tls && strcmp(ie->host, host) == 0)
			return true;
	return false;
}

void upstream_pool_close_all(void)
{
	h2_pool_close_all();
	idle_list_close_all(&pool);
}
