/* Runs in a worker: a pool of HTTP/1.1 server connections behind one client
 * connection that speaks HTTP/2 (h1_pool.h).  Each connection has its own
 * HTTP/1.1 framing (h1_client.c) and carries one request at a time, kept
 * alive for the next; a request waits (its body held back by the client's
 * flow control) until a connection is free.  Connections after the first go
 * to the address the first reached, with the same TLS name and ALPN
 * http/1.1.  Trusts the engine's submissions; the servers' bytes go to the
 * framings' parsers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "core/log.h"
#include "h2/h2.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/h1_client.h"
#include "worker/h1_pool.h"
#include "worker/h2_framing.h"
#include "worker/stream.h"
#include "worker/tls.h"
#include "worker/worker_ctx.h"

/* A request no connection has taken yet. */
struct h1p_wait {
	struct h1p_wait *next;
	int32_t gsid;
	struct h2_msg head, tr;
	bool end, ended, reset;
};

struct h1p_entry {
	struct http_framing *pool;
	struct stream own;
	struct stream *s; /* &own, or the connection's server stream */
	struct http_framing *f;
	int32_t gsid, lsid; /* the pool's stream it carries, and its id on f */
	bool ready;
	bool tunnel; /* carries a WebSocket (h1_client.c): not counted against max */
};

/* Slots for connections: max of them for requests, the rest for WebSocket
 * tunnels, which hold their connection for their whole life; as many as an
 * h2 client's streams (h2_proxy.c's max_streams), so tunnels never starve
 * the requests.  Allocated when used. */
#define H1POOL_SLOTS (H1POOL_MAX + 100)

struct http_framing {
	struct conn *c;
	struct hf_events ev;
	void *eng;
	struct hf_limits lim;
	struct h1p_entry *e[H1POOL_SLOTS]; /* NULL: free */
	size_t max;			   /* connections that are not tunnels, at most */
	union sockaddr_any addr;
	bool have_addr;
	struct h1p_wait *waiting;
	int32_t next_gsid;
	char failed[160]; /* why the last connection attempt failed, or "" */
};

/* ---- events of one connection's framing, for the pool's stream ---- */

static void e_on_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct h1p_entry *e = eng;

	(void)sid;
	e->pool->ev.on_head(e->pool->eng, e->gsid, h, end);
}

static void e_on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct h1p_entry *e = eng;

	(void)sid;
	e->pool->ev.on_data(e->pool->eng, e->gsid, p, n);
}

static void e_on_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct h1p_entry *e = eng;

	(void)sid;
	e->pool->ev.on_trailers(e->pool->eng, e->gsid, f, n);
}

static void e_on_end(void *eng, int32_t sid)
{
	struct h1p_entry *e = eng;

	(void)sid;
	e->pool->ev.on_end(e->pool->eng, e->gsid);
}

static void e_on_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct h1p_entry *e = eng;

	(void)sid;
	e->pool->ev.on_reset(e->pool->eng, e->gsid, code, by_peer);
}

static void e_on_close(void *eng, int32_t sid)
{
	struct h1p_entry *e = eng;
	int32_t gsid = e->gsid;

	(void)sid;
	e->gsid = e->lsid = 0;
	e->pool->ev.on_close(e->pool->eng, gsid);
}

static void e_on_send_space(void *eng, int32_t sid)
{
	struct h1p_entry *e = eng;

	(void)sid;
	if (e->gsid)
		e->pool->ev.on_send_space(e->pool->eng, e->gsid);
}

static void e_on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct h1p_entry *e = eng;

	(void)code;
	(void)status;
	conn_client_log(e->pool->c, LOG_LVL_INFO, "HTTP/1 server connection ended: %s", why);
}

static const struct hf_events entry_events = {
    .on_head = e_on_head,
    .on_data = e_on_data,
    .on_trailers = e_on_trailers,
    .on_end = e_on_end,
    .on_reset = e_on_reset,
    .on_close = e_on_close,
    .on_send_space = e_on_send_space,
    .on_conn_error = e_on_conn_error,
};

/* ---- the connections ---- */

/* The connections that are not tunnels (ready ones only, or all). */
static size_t entries_alive(const struct http_framing *p, bool ready_only)
{
	size_t n = 0;

	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		n += p->e[i] && !p->e[i]->tunnel && (p->e[i]->ready || !ready_only);
	return n;
}

static void entry_log_connect(struct http_framing *p, struct h1p_entry *e)
{
	char a[ADDR_STRLEN];

	addr_format(&e->s->peer.sa, a, sizeof(a));
	conn_client_log(p->c, LOG_LVL_INFO, "server connect %s:%u (%s)", p->c->server_host,
			p->c->server_port, a);
}

static void entry_close(struct http_framing *p, struct h1p_entry *e)
{
	if (e->gsid) { /* never left with a stream: the framing resets it on eof */
		p->ev.on_reset(p->eng, e->gsid, HF_E_INTERNAL, true);
		e_on_close(e, 0);
	}
	h1c_framing_ops.free(e->f);
	if (e->s == &e->own) {
		if (e->ready)
			conn_client_log(p->c, LOG_LVL_INFO, "server disconnect %s:%u",
					p->c->server_host, p->c->server_port);
		stream_close(&e->own);
	} else {
		conn_server_disconnect(p->c);
	}
	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		if (p->e[i] == e)
			p->e[i] = NULL;
	free(e);
}

static struct h1p_entry *entry_new(struct http_framing *p)
{
	struct h1p_entry *e;

	if (entries_alive(p, false) >= p->max)
		return NULL;
	for (size_t i = 0; i < H1POOL_SLOTS; i++) {
		if (p->e[i])
			continue;
		e = p->e[i] = xcalloc(1, sizeof(*e));
		e->pool = p;
		e->f = h1c_framing_ops.open(HF_CLIENT, &p->lim, &entry_events, e);
		return e;
	}
	return NULL;
}

/* A new connection to the first one's address; false when none can start. */
static bool entry_connect(struct http_framing *p)
{
	int fd, one = 1;
	struct h1p_entry *e;

	if (!p->have_addr || p->c->via)
		return false;
	fd = socket(p->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && accepting_no_server_fd(errno))
		fd = socket(p->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	e = entry_new(p);
	if (e == NULL) {
		close(fd);
		return false;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	stream_init(&e->own, p->c, fd);
	e->s = &e->own;
	stream_addr_set(&e->own.peer, &p->addr.sa);
	e->own.ts_start = clock_wall();
	if (connect(fd, &p->addr.sa, addr_len(&p->addr.sa)) < 0 && errno != EINPROGRESS)
		stream_fail(&e->own, "%s", strerror(errno));
	else
		e->own.connecting = true;
	return true;
}

/* TLS as the first connection has it (name, verification), ALPN http/1.1. */
static int entry_tls(struct http_framing *p, struct h1p_entry *e)
{
	static const unsigned char h11[] = "\x08http/1.1";
	struct conn *c = p->c;
	union sockaddr_any ip;

	if (stream_tls_start(e->s, wk->upstream_ctx, true, c->tls_sni) < 0)
		return -ENOMEM;
	if (!wk->opts.ssl_insecure && c->tls_sni[0])
		SSL_set1_host(e->s->ssl, c->tls_sni);
	else if (!wk->opts.ssl_insecure && addr_parse_ip(c->host, 0, &ip) == 0)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(e->s->ssl), c->host);
	SSL_set_alpn_protos(e->s->ssl, h11, sizeof(h11) - 1);
	tls_sessions_attach(e->s->ssl, c->server_host, c->server_port, c->tls_sni);
	return 0;
}

/* A connection being made: false when it failed (the reason kept). */
static bool entry_setup(struct http_framing *p, struct h1p_entry *e, bool *progress)
{
	struct stream *s = e->s;

	if (s->failed || s->rd_eof) {
		snprintf(p->failed, sizeof(p->failed), "%s",
			 s->err && s->err[0] ? s->err : "server closed the connection");
		conn_client_log(p->c, LOG_LVL_INFO, "error establishing server connection: %s",
				p->failed);
		return false;
	}
	if (s->connecting)
		return true;
	if (p->c->server_tls && s->ssl == NULL) {
		*progress = true;
		if (entry_tls(p, e) < 0)
			return false;
	}
	if (s->ssl && !s->tls_done)
		return true;
	e->ready = true;
	p->failed[0] = '\0';
	*progress = true;
	entry_log_connect(p, e);
	return true;
}

/* Moves one connection's bytes; false when it is finished. */
static bool entry_step(struct http_framing *p, struct h1p_entry *e, bool *progress)
{
	struct stream *s = e->s;
	size_t before = buf_len(&s->in), out = buf_len(&s->out);

	if (s == &e->own)
		stream_io(s, progress);
	if (!e->ready)
		return entry_setup(p, e, progress);
	if (buf_len(&s->in) > 0) {
		int r = h1c_framing_ops.feed(e->f, &s->in);

		if (buf_len(&s->in) != before)
			*progress = true;
		if (r < 0)
			return false;
	}
	if (s->failed || (s->rd_eof && buf_len(&s->in) == 0)) {
		h1c_eof(e->f);
		return false;
	}
	(void)h1c_framing_ops.flush(e->f, &s->out);
	if (buf_len(&s->out) != out)
		*progress = true;
	if (h1c_write_shut(e->f) && buf_len(&s->out) == 0 && !s->shut_req) {
		s->shut_req = true; /* a WebSocket tunnel's client ended (h1_client.c) */
		*progress = true;
	}
	return !h1c_framing_ops.done(e->f);
}

/* ---- requests waiting for a connection ---- */

static struct h1p_wait *wait_find(struct http_framing *p, int32_t gsid)
{
	for (struct h1p_wait *w = p->waiting; w; w = w->next)
		if (w->gsid == gsid)
			return w;
	return NULL;
}

static void wait_unlink(struct http_framing *p, struct h1p_wait *w)
{
	for (struct h1p_wait **pp = &p->waiting; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	h2_msg_free(&w->head);
	h2_msg_free(&w->tr);
	free(w);
}

static struct hf_head head_of(const struct h2_msg *m)
{
	return (struct hf_head){
	    .method = m->method,
	    .scheme = m->scheme,
	    .authority = m->authority,
	    .path = m->path,
	    .protocol = m->protocol,
	    .fields = (const struct hf_field *)(const void *)m->fields,
	    .nfields = m->nfields,
	    .content_length = -1,
	};
}

/* The answer to a request no server connection can take. */
static void answer_502(struct http_framing *p, int32_t gsid, const char *why)
{
	char body[256], len[16];
	struct hf_field f[2] = {
	    {"content-type", 12, "text/plain", 10},
	    {"content-length", 14, len, 0},
	};
	struct hf_head h = {.status = 502, .version = 11, .fields = f, .nfields = 2};
	int n = snprintf(body, sizeof(body), "Bad Gateway: %s\n",
			 why		? why
			 : p->failed[0] ? p->failed
					: "cannot connect to the server");

	f[1].value_len = (size_t)snprintf(len, sizeof(len), "%d", n);
	h.content_length = n;
	p->ev.on_head(p->eng, gsid, &h, false);
	p->ev.on_data(p->eng, gsid, (const uint8_t *)body, (size_t)n);
	p->ev.on_end(p->eng, gsid);
	p->ev.on_close(p->eng, gsid);
}

/* w goes out on e: its head, its end when the engine gave it, then the
 * engine may send the body. */
static void wait_start(struct http_framing *p, struct h1p_wait *w, struct h1p_entry *e)
{
	struct hf_head h = head_of(&w->head);
	int32_t gsid = w->gsid, lsid = h1c_framing_ops.submit_head(e->f, 0, &h, w->end);

	e->tunnel = lsid > 0 && w->head.protocol != NULL; /* its connection is its own now */

	if (lsid <= 0) {
		wait_unlink(p, w);
		p->ev.on_reset(p->eng, gsid, HF_E_INTERNAL, false);
		p->ev.on_close(p->eng, gsid);
		return;
	}
	e->gsid = gsid;
	e->lsid = lsid;
	if (w->ended && !w->end)
		(void)h1c_framing_ops.submit_end(
		    e->f, lsid, (const struct hf_field *)(const void *)w->tr.fields, w->tr.nfields);
	wait_unlink(p, w);
	if (e->gsid == gsid)
		p->ev.on_send_space(p->eng, gsid);
}

static bool entry_any(const struct http_framing *p)
{
	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		if (p->e[i])
			return true;
	return false;
}

static struct h1p_entry *entry_idle(struct http_framing *p)
{
	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		if (p->e[i] && p->e[i]->ready && h1c_framing_ops.can_open(p->e[i]->f))
			return p->e[i];
	return NULL;
}

/* Starts waiting requests on idle connections, connects more for the rest,
 * answers them 502 when no connection is left to wait for (tunnels carry
 * nothing else: through an upstream proxy, whose one connection may be one,
 * a request then gets 502 rather than waiting for the WebSocket's end). */
static void dispatch(struct http_framing *p, bool *progress)
{
	struct h1p_wait *w;
	struct h1p_entry *e;
	size_t nwait = 0, connecting;

	while ((w = p->waiting) && w->reset) {
		int32_t gsid = w->gsid;

		wait_unlink(p, w);
		p->ev.on_close(p->eng, gsid);
		*progress = true;
	}
	while ((w = p->waiting) && (e = entry_idle(p))) {
		wait_start(p, w, e);
		*progress = true;
	}
	for (w = p->waiting; w; w = w->next)
		nwait++;
	connecting = entries_alive(p, false) - entries_alive(p, true);
	/* After a failed connect, no more while a ready connection can serve
	 * the queue (no retry loop against a server that refuses). */
	while (nwait > connecting && !(p->failed[0] && entries_alive(p, true) > 0) &&
	       entry_connect(p)) {
		connecting++;
		*progress = true;
	}
	if (p->waiting && entries_alive(p, false) == 0) {
		bool tunnels = entry_any(p);

		while ((w = p->waiting)) {
			int32_t gsid = w->gsid;

			wait_unlink(p, w);
			answer_502(p, gsid,
				   tunnels ? "every server connection carries a WebSocket" : NULL);
		}
		*progress = true;
	}
}

void h1pool_pump(struct http_framing *p, bool *progress)
{
	for (size_t i = 0; i < H1POOL_SLOTS; i++) {
		struct h1p_entry *e = p->e[i];

		if (e && !entry_step(p, e, progress)) {
			entry_close(p, e);
			*progress = true;
		}
	}
	dispatch(p, progress);
	for (size_t i = 0; i < H1POOL_SLOTS; i++) {
		struct h1p_entry *e = p->e[i];

		if (e == NULL || e->s != &e->own)
			continue;
		stream_interest(&e->own);
		if (e->gsid == 0) /* idle: its buffers go back */
			stream_trim(&e->own);
	}
}

struct http_framing *h1pool_new(struct conn *c, const struct hf_limits *lim,
				const struct hf_events *ev, void *eng, const char *failed,
				const union sockaddr_any *addr)
{
	struct http_framing *p = xcalloc(1, sizeof(*p));

	p->c = c;
	p->ev = *ev;
	p->eng = eng;
	p->lim = *lim;
	p->max = c->via ? 1 : H1POOL_MAX;
	p->next_gsid = 1;
	snprintf(p->failed, sizeof(p->failed), "%s", failed ? failed : "");
	if (c->server.fd >= 0 && !c->server.failed && !failed) {
		struct h1p_entry *e = entry_new(p);

		e->s = &c->server;
		e->ready = true;
		memset(&p->addr, 0, sizeof(p->addr));
		memcpy(&p->addr, &c->server.peer, sizeof(c->server.peer));
		p->have_addr = true;
	} else if (addr && !failed) {
		p->addr = *addr;
		p->have_addr = true;
	}
	return p;
}

/* ---- the framing ops, by the pool's stream ids ---- */

static struct h1p_entry *by_gsid(struct http_framing *p, int32_t gsid)
{
	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		if (p->e[i] && p->e[i]->gsid == gsid && gsid > 0)
			return p->e[i];
	return NULL;
}

static void h1p_free(struct http_framing *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < H1POOL_SLOTS; i++)
		if (p->e[i]) {
			p->e[i]->gsid = 0; /* the engine is closing: nothing more to tell it */
			entry_close(p, p->e[i]);
		}
	while (p->waiting)
		wait_unlink(p, p->waiting);
	free(p);
}

static int32_t h1p_submit_head(struct http_framing *p, int32_t sid, const struct hf_head *h,
			       bool end)
{
	struct h1p_wait *w, **tail;

	if (sid != 0 || p->next_gsid > INT32_MAX - 2)
		return -EINVAL;
	w = xcalloc(1, sizeof(*w));
	h2_msg_init(&w->tr);
	if (h2_framing_msg_copy(&w->head, h) < 0) {
		h2_msg_free(&w->head);
		free(w);
		return -ENOMEM;
	}
	w->gsid = p->next_gsid;
	p->next_gsid += 2;
	w->end = w->ended = end;
	for (tail = &p->waiting; *tail; tail = &(*tail)->next)
		;
	*tail = w;
	return w->gsid;
}

static ssize_t h1p_submit_data(struct http_framing *p, int32_t sid, const uint8_t *d, size_t n)
{
	struct h1p_entry *e = by_gsid(p, sid);

	if (e)
		return h1c_framing_ops.submit_data(e->f, e->lsid, d, n);
	return wait_find(p, sid) ? 0 : (ssize_t)n;
}

static int h1p_submit_end(struct http_framing *p, int32_t sid, const struct hf_field *t, size_t n)
{
	struct h1p_entry *e = by_gsid(p, sid);
	struct h1p_wait *w = e ? NULL : wait_find(p, sid);

	if (e)
		return h1c_framing_ops.submit_end(e->f, e->lsid, t, n);
	if (w == NULL || w->ended)
		return 0;
	w->ended = true;
	for (size_t i = 0; i < n; i++)
		if (h2_msg_add(&w->tr, t[i].name, t[i].name_len, t[i].value, t[i].value_len) < 0)
			return -ENOMEM;
	return 0;
}

static int h1p_submit_reset(struct http_framing *p, int32_t sid, uint32_t code)
{
	struct h1p_entry *e = by_gsid(p, sid);
	struct h1p_wait *w = e ? NULL : wait_find(p, sid);

	if (e)
		return h1c_framing_ops.submit_reset(e->f, e->lsid, code);
	if (w) {
		w->reset = true; /* closed at the next pump, not inside a submit */
		if (w != p->waiting) {
			struct h1p_wait **pp = &p->waiting;

			while (*pp != w)
				pp = &(*pp)->next;
			*pp = w->next;
			w->next = p->waiting;
			p->waiting = w;
		}
	}
	return 0;
}

static int h1p_consume(struct http_framing *p, int32_t sid, size_t n)
{
	struct h1p_entry *e = by_gsid(p, sid);

	return e ? h1c_framing_ops.consume(e->f, e->lsid, n) : 0;
}

static int h1p_nothing(struct http_framing *p, struct buf *b)
{
	(void)p;
	(void)b;
	return 0;
}

static bool h1p_done(const struct http_framing *p)
{
	(void)p;
	return false;
}

static bool h1p_can_open(const struct http_framing *p)
{
	(void)p;
	return true; /* a request waits for a connection */
}

const struct http_framing_ops h1pool_ops = {
    .name = "HTTP/1.1",
    .alpn = "http/1.1",
    .free = h1p_free,
    .feed = h1p_nothing,
    .flush = h1p_nothing,
    .done = h1p_done,
    .submit_head = h1p_submit_head,
    .submit_data = h1p_submit_data,
    .submit_end = h1p_submit_end,
    .submit_reset = h1p_submit_reset,
    .consume = h1p_consume,
    .can_open = h1p_can_open,
};
