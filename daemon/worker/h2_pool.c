/* Runs in a worker: the HTTP/2 upstream pool (h2_pool.h).  Idle h2 server
 * connections wait in one list, newest first, each still served while it
 * waits: epoll watches its socket, its bytes are fed to its framing (a PING
 * or SETTINGS is answered, TLS session tickets are read), and a close, a
 * GOAWAY, an error or anything that opens a stream drops it.  A take serves
 * it once more before handing it out.  The oldest go first when a cap is
 * reached or upstream_keepalive_timeout passes.  Bytes from a pooled server
 * are untrusted and never reach a client (no stream is open to carry them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/h2_framing.h"
#include "worker/h2_pool.h"
#include "worker/idle_list.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

struct h2_pool_entry {
	struct idle_entry ie; /* first: key (as upstream_pool_key made it), host, port */
	bool dead;	      /* its framing reported a connection error */
	char id[37];	      /* the connection's id in flow records ("": none yet) */
	struct stream s;
	struct http_framing *f;
};

static void pool_drop_ie(struct idle_entry *ie, const char *why);

static struct idle_list pool = {.drop = pool_drop_ie, .same_key = h2_pool_key_fits};

static struct h2_pool_entry *entry_of(struct idle_entry *ie)
{
	return (struct h2_pool_entry *)ie;
}

/* ---- a pooled framing's events: no stream is open, so only its end ---- */

static void sink_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	(void)eng, (void)sid, (void)h, (void)end;
}

static void sink_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	(void)eng, (void)sid, (void)p, (void)n;
}

static void sink_fields(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	(void)eng, (void)sid, (void)f, (void)n;
}

static void sink_sid(void *eng, int32_t sid)
{
	(void)eng, (void)sid;
}

static void sink_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	(void)eng, (void)sid, (void)code, (void)by_peer;
}

static void sink_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct h2_pool_entry *e = eng;

	(void)code, (void)status;
	log_debug("h2 pool: connection to %s:%u ended while idle: %s", e->ie.host, e->ie.port, why);
	e->dead = true;
}

static const struct hf_events sink_events = {
    .on_head = sink_head,
    .on_data = sink_data,
    .on_trailers = sink_fields,
    .on_end = sink_sid,
    .on_reset = sink_reset,
    .on_close = sink_sid,
    .on_send_space = sink_sid,
    .on_conn_error = sink_conn_error,
};

/* ---- the list ---- */

size_t h2_pool_count(void)
{
	return pool.n;
}

static void pool_unlink(struct h2_pool_entry *e)
{
	e->f = NULL;
	idle_list_unlink(&pool, &e->ie);
}

static void pool_drop(struct h2_pool_entry *e, const char *why)
{
	log_debug("h2 pool: connection to %s:%u closed (%s; %zu left)", e->ie.host, e->ie.port, why,
		  pool.n - 1);
	h2_framing_ops.free(e->f);
	stream_close(&e->s);
	pool_unlink(e);
}

static void pool_drop_ie(struct idle_entry *ie, const char *why)
{
	pool_drop(entry_of(ie), why);
}

/* Reads what the server sent, answers it, writes: false when the
 * connection can carry no more streams (closed, GOAWAY, an error, a stream
 * or bytes it could not send at once). */
static bool pool_serve(struct h2_pool_entry *e)
{
	bool progress = false;

	stream_io(&e->s, &progress);
	if (buf_len(&e->s.in) > 0 && h2_framing_ops.feed(e->f, &e->s.in) < 0)
		e->dead = true;
	(void)h2_framing_ops.flush(e->f, &e->s.out);
	stream_io(&e->s, &progress);
	if (e->dead || e->s.failed || e->s.rd_eof || !h2_framing_ops.can_open(e->f) ||
	    !h2_framing_idle(e->f) || !stream_flushed(&e->s))
		return false;
	stream_trim(&e->s);
	stream_interest(&e->s);
	return !e->s.failed;
}

static void pool_on_io(struct loop_io *io, uint32_t events)
{
	struct h2_pool_entry *e = io->arg;

	(void)events;
	if (e->ie.gone)
		return;
	e->s.rd_ready = true;
	if (!pool_serve(e))
		pool_drop(e, "closed, GOAWAY or an error while idle");
}

/* Keys name the same server when they differ at most in the ALPN part
 * (their last character). */
bool h2_pool_key_fits(const char *have, const char *want)
{
	size_t n = strlen(want);

	return n > 0 && strlen(have) == n && memcmp(have, want, n - 1) == 0;
}

/* Whether s can go: open, quiet, TLS (if any) done (`tls`: it must be TLS)
 * and nothing buffered either way. */
static bool pool_stream_ok(const struct stream *s, bool tls)
{
	if (s->fd < 0 || s->ns || s->failed || s->rd_eof || s->connecting || s->shut_req ||
	    buf_len(&s->in) > 0 || !stream_flushed(s) || buf_len(&s->rxc) > 0)
		return false;
	if (s->ssl == NULL)
		return !tls;
	return s->tls_done && s->outer.ssl == NULL && SSL_pending(s->ssl) == 0;
}

void h2_pool_key_of(const struct conn *c, char *key, size_t len)
{
	if (c->server.ssl && c->server_key)
		snprintf(key, len, "%s", c->server_key);
	else if (c->server.ssl)
		key[0] = '\0';
	else
		upstream_pool_key(c, key, len);
}

bool h2_pool_put_stream(struct conn *logc, struct stream *s, struct http_framing *f,
			const char *key, const char *host, uint16_t port, const char id[37])
{
	struct h2_pool_entry *e;

	if (key[0] == '\0' || wk->stopping || wk->opts.upstream_keepalive_total <= 0 ||
	    !pool_stream_ok(s, s->ssl != NULL) || !h2_framing_ops.can_open(f) ||
	    !h2_framing_idle(f))
		return false;
	if (!accepting_fd_room(0) && !idle_list_drop_oldest(&pool, "descriptor limit"))
		return false;
	idle_list_make_room(&pool, key);
	e = xcalloc(1, sizeof(*e));
	e->f = f;
	memcpy(e->id, id, sizeof(e->id));
	h2_framing_rebind(f, &sink_events, e);
	(void)h2_framing_trim(f);
	stream_move(&e->s, s, NULL);
	e->s.io.fn = pool_on_io;
	e->s.io.arg = e;
	idle_list_link(&pool, &e->ie, key, host, port);
	stream_trim(&e->s);
	if (loop_io_set(wk->loop, &e->s.io, EPOLLIN | EPOLLRDHUP) < 0) {
		pool_drop(e, "epoll");
		return true;
	}
	if (logc)
		conn_client_log(logc, LOG_LVL_DEBUG,
				"HTTP/2 server connection to %s:%u kept for reuse (%zu pooled)",
				host, port, pool.n);
	else
		log_debug("HTTP/2 server connection to %s:%u kept for reuse (%zu pooled)", host,
			  port, pool.n);
	return true;
}

bool h2_pool_put(struct conn *c, struct http_framing *f)
{
	char key[UPSTREAM_POOL_KEY_MAX];

	h2_pool_key_of(c, key, sizeof(key));
	if (!pool_stream_ok(&c->server, c->server_tls) ||
	    !h2_pool_put_stream(c, &c->server, f, key, c->host, c->port, c->id_server))
		return false;
	c->server_up = c->server_reusable = c->server_kept = c->server_pooled = false;
	free(c->server_key);
	c->server_key = NULL;
	return true;
}

struct http_framing *h2_pool_take_key(struct conn *logc, const char *key, struct stream *dst,
				      struct conn *owner, char id[37])
{
	struct idle_entry *ie, *next;
	struct h2_pool_entry *e;
	struct http_framing *f;

	if (pool.n == 0 || key[0] == '\0')
		return NULL;
	for (ie = pool.head; ie; ie = next) {
		next = ie->next;
		e = entry_of(ie);
		if (!h2_pool_key_fits(ie->key, key))
			continue;
		e->s.rd_ready = true; /* anything the server sent meanwhile */
		if (!pool_serve(e)) {
			pool_drop(e, "closed, GOAWAY or an error while idle");
			continue;
		}
		f = e->f;
		memcpy(id, e->id, sizeof(e->id));
		stream_move(dst, &e->s, owner);
		pool_unlink(e);
		conn_client_log(logc, LOG_LVL_DEBUG,
				"HTTP/2 server connection to %s:%u taken from the pool (%zu left)",
				logc->host, logc->port, pool.n);
		if (pool.n == 0)
			idle_list_arm(&pool);
		return f;
	}
	return NULL;
}

struct http_framing *h2_pool_take(struct conn *c, const struct hf_events *ev)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	struct http_framing *f;

	if (pool.n == 0 || c->server.fd >= 0)
		return NULL;
	upstream_pool_key(c, key, sizeof(key));
	if ((f = h2_pool_take_key(c, key, &c->server, c, c->id_server)) == NULL)
		return NULL;
	h2_framing_rebind(f, ev, c);
	conn_set_str(&c->server_host, c->host);
	conn_set_str(&c->target_host, c->host);
	c->server_port = c->target_port = c->port;
	free(c->server_key);
	c->server_key = c->server.ssl ? xstrdup(key) : NULL;
	c->server_up = c->server_reusable = c->server_kept = c->server_pooled = true;
	c->server_tls = c->server.ssl != NULL;
	snprintf(c->alpn, sizeof(c->alpn), "%s", c->server.ssl ? "h2" : "");
	return f;
}

bool h2_pool_has(const char *host, uint16_t port, bool tls)
{
	for (struct idle_entry *ie = pool.head; ie; ie = ie->next)
		if (ie->port == port && (entry_of(ie)->s.ssl != NULL) == tls &&
		    strcmp(ie->host, host) == 0)
			return true;
	return false;
}

bool h2_pool_peek(const struct conn *c, X509 **cert)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	const struct h2_pool_entry *e;

	*cert = NULL;
	if (pool.n == 0 || c->server.fd >= 0)
		return false;
	upstream_pool_key(c, key, sizeof(key));
	if (key[0] == '\0')
		return false;
	for (struct idle_entry *ie = pool.head; ie; ie = ie->next) {
		e = entry_of(ie);
		if (h2_pool_key_fits(ie->key, key) && !e->dead && !e->s.failed && !e->s.rd_eof) {
			*cert = e->s.ssl ? SSL_get0_peer_certificate(e->s.ssl) : NULL;
			return true;
		}
	}
	return false;
}

bool h2_pool_drop_oldest(const char *why)
{
	return idle_list_drop_oldest(&pool, why);
}

void h2_pool_close_all(void)
{
	idle_list_close_all(&pool);
}
