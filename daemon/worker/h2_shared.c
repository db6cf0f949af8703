/* Runs in a worker: shared HTTP/2 server connections (h2_shared.h).  The
 * connections in use wait in one list; each routes its framing's events
 * by stream id to a slot (the events and pointer its stream was opened
 * with), watches its own socket and writes what its users submitted from a
 * zero-delay timer (h2_shared_kick), so that no client connection's pump
 * writes another's bytes.  Flow control stays per stream: a user consumes
 * what its client took, the stream's window bounds what waits for a slow
 * reader, and the connection's window (H2_SHARED_CONN_WINDOW) is every
 * stream's window at once, so slow streams cannot stall the others.  The
 * server's bytes are untrusted (the framing checks them) and reach only
 * the stream they name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h2_framing.h"
#include "worker/h2_pool.h"
#include "worker/h2_shared.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

/* One open stream: where its events go. */
struct h2_slot {
	int32_t sid;
	const struct hf_events *ev;
	void *eng;
};

struct h2_shared {
	struct h2_shared *prev, *next;
	char *key, *host;
	uint16_t port;
	char id[37];   /* the server connection's id in flow records */
	unsigned refs; /* client connections and streams using it */
	bool dead;     /* closed, failed or an error: no more streams, no events */
	bool gone;     /* unlinked; freed after the current events */
	struct stream s;
	struct http_framing *f;
	struct loop_timer kick;
	struct h2_slot *slots;
	size_t nslots, cap;
};

static struct {
	struct h2_shared *head;
	size_t n;
} shared;

static const struct http_framing_ops *const ops = &h2_framing_ops;

/* ---- slots ---- */

static struct h2_slot *slot_of(struct h2_shared *sh, int32_t sid)
{
	for (size_t i = 0; i < sh->nslots; i++)
		if (sh->slots[i].sid == sid)
			return &sh->slots[i];
	return NULL;
}

static int slot_add(struct h2_shared *sh, int32_t sid, const struct hf_events *ev, void *eng)
{
	if (sh->nslots == sh->cap) {
		size_t cap = sh->cap ? sh->cap * 2 : 8;
		struct h2_slot *n = realloc(sh->slots, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		sh->slots = n;
		sh->cap = cap;
	}
	sh->slots[sh->nslots++] = (struct h2_slot){sid, ev, eng};
	return 0;
}

/* Removes sid's slot, returning it in *out; false when there was none. */
static bool slot_take(struct h2_shared *sh, int32_t sid, struct h2_slot *out)
{
	struct h2_slot *s = slot_of(sh, sid);

	if (s == NULL)
		return false;
	*out = *s;
	*s = sh->slots[--sh->nslots];
	if (sh->nslots == 0) { /* an idle connection keeps no slot array */
		free(sh->slots);
		sh->slots = NULL;
		sh->cap = 0;
	}
	return true;
}

/* ---- the framing's events, routed by stream ---- */

static void sh_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_head(s->eng, sid, h, end);
}

static void sh_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_data(s->eng, sid, p, n);
}

static void sh_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_trailers(s->eng, sid, f, n);
}

static void sh_end(void *eng, int32_t sid)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_end(s->eng, sid);
}

static void sh_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_reset(s->eng, sid, code, by_peer);
}

static void sh_close(void *eng, int32_t sid)
{
	struct h2_slot s;

	if (slot_take(eng, sid, &s))
		s.ev->on_close(s.eng, sid);
}

static void sh_send_space(void *eng, int32_t sid)
{
	struct h2_slot *s = slot_of(eng, sid);

	if (s)
		s->ev->on_send_space(s->eng, sid);
}

/* The connection is over (or takes nothing more): every stream still open
 * gets the error and its close; other connections are not touched. */
static void sh_fail(struct h2_shared *sh, uint32_t code, int status, const char *why)
{
	struct h2_slot s;

	if (sh->dead)
		return;
	sh->dead = true;
	log_debug("HTTP/2 server connection to %s:%u ended (%s; %zu streams open)", sh->host,
		  sh->port, why, sh->nslots);
	for (size_t i = 0; i < sh->nslots; i++)
		sh->slots[i].ev->on_conn_error(sh->slots[i].eng, code, status, why);
	while (sh->nslots > 0 && slot_take(sh, sh->slots[sh->nslots - 1].sid, &s))
		s.ev->on_close(s.eng, s.sid);
	if (sh->s.io.added)
		loop_io_del(wk->loop, &sh->s.io);
}

static void sh_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	sh_fail(eng, code, status, why);
}

/* The server's GOAWAY, before sh_fail: each stream learns whether it was
 * processed. */
static void sh_goaway(void *eng, uint32_t code, int32_t last_sid)
{
	struct h2_shared *sh = eng;

	for (size_t i = 0; !sh->dead && i < sh->nslots; i++)
		if (sh->slots[i].ev->on_goaway)
			sh->slots[i].ev->on_goaway(sh->slots[i].eng, code, last_sid);
}

static const struct hf_events sh_events = {
    .on_head = sh_head,
    .on_data = sh_data,
    .on_trailers = sh_trailers,
    .on_end = sh_end,
    .on_reset = sh_reset,
    .on_close = sh_close,
    .on_send_space = sh_send_space,
    .on_conn_error = sh_conn_error,
    .on_goaway = sh_goaway,
};

/* ---- serving the socket ---- */

/* Reads, feeds the framing (events go to the streams' users), writes. */
static void sh_serve(struct h2_shared *sh)
{
	bool progress = false;

	if (sh->dead || sh->gone)
		return;
	h2_shared_ref(sh); /* a user may drop its references meanwhile */
	stream_io(&sh->s, &progress);
	if (buf_len(&sh->s.in) > 0 && ops->feed(sh->f, &sh->s.in) < 0)
		sh_fail(sh, HF_E_PROTOCOL, 502, "HTTP/2 error on the server connection");
	(void)ops->flush(sh->f, &sh->s.out);
	stream_io(&sh->s, &progress);
	if (sh->s.failed || sh->s.rd_eof || ops->done(sh->f))
		sh_fail(sh, HF_E_CANCEL, 502,
			sh->s.err[0] ? sh->s.err : "server closed the connection");
	else
		stream_interest(&sh->s);
	h2_shared_unref(sh, NULL);
}

static void sh_on_io(struct loop_io *io, uint32_t events)
{
	struct h2_shared *sh = io->arg;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sh->s.rd_ready = true;
	sh_serve(sh);
}

static void sh_on_kick(struct loop_timer *t)
{
	sh_serve(t->arg);
}

void h2_shared_kick(struct h2_shared *sh)
{
	if (!sh->dead && !sh->gone && !loop_timer_armed(&sh->kick))
		loop_timer_arm(wk->loop, &sh->kick, 0);
}

/* ---- the list ---- */

static void sh_free(void *p)
{
	struct h2_shared *sh = p;

	free(sh->slots);
	free(sh->key);
	free(sh->host);
	free(sh);
}

/* sh (its stream s in place, framing f) joins the list with one reference. */
static struct h2_shared *sh_link(struct h2_shared *sh, struct http_framing *f, const char *key,
				 const char *host, uint16_t port)
{
	sh->key = xstrdup(key);
	sh->host = xstrdup(host);
	sh->port = port;
	sh->f = f;
	sh->refs = 1;
	h2_framing_rebind(f, &sh_events, sh);
	loop_timer_init(&sh->kick, sh_on_kick, sh);
	sh->s.io.fn = sh_on_io;
	sh->s.io.arg = sh;
	sh->next = shared.head;
	if (shared.head)
		shared.head->prev = sh;
	shared.head = sh;
	shared.n++;
	sh->s.rd_ready = true; /* bytes may have come before the move */
	h2_shared_kick(sh);
	return sh;
}

static void sh_unlink(struct h2_shared *sh)
{
	if (sh->prev)
		sh->prev->next = sh->next;
	else
		shared.head = sh->next;
	if (sh->next)
		sh->next->prev = sh->prev;
	sh->prev = sh->next = NULL;
	shared.n--;
	sh->gone = true;
	loop_timer_cancel(wk->loop, &sh->kick);
	loop_defer_free(wk->loop, sh_free, sh); /* its events may still be queued */
}

struct h2_shared *h2_shared_adopt(struct conn *c, struct http_framing *f)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	struct h2_shared *sh;
	const struct stream *s = &c->server;

	h2_pool_key_of(c, key, sizeof(key));
	if (key[0] == '\0' || s->fd < 0 || s->ns || s->outer.ssl || s->failed || wk->stopping ||
	    wk->opts.upstream_keepalive <= 0) /* 0: no connection serves two clients */
		return NULL;
	sh = xcalloc(1, sizeof(*sh));
	if (c->id_server[0])
		memcpy(sh->id, c->id_server, sizeof(sh->id));
	else
		flow_new_id(sh->id);
	c->id_server[0] = '\0'; /* the client's next server connection is another */
	stream_move(&sh->s, &c->server, NULL);
	c->server_up = c->server_reusable = c->server_kept = c->server_pooled = false;
	free(c->server_key);
	c->server_key = NULL;
	sh_link(sh, f, key, c->host, c->port);
	conn_client_log(c, LOG_LVL_DEBUG, "HTTP/2 server connection to %s:%u shared (%zu shared)",
			sh->host, sh->port, shared.n);
	return sh;
}

struct h2_shared *h2_shared_get(struct conn *c)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	struct h2_shared *sh;
	struct http_framing *f;

	upstream_pool_key(c, key, sizeof(key));
	if (key[0] == '\0')
		return NULL;
	for (sh = shared.head; sh; sh = sh->next)
		if (h2_pool_key_fits(sh->key, key) && h2_shared_can_open(sh)) {
			sh->refs++;
			conn_client_log(
			    c, LOG_LVL_DEBUG,
			    "HTTP/2 server connection to %s:%u joined (%zu streams open)", sh->host,
			    sh->port, sh->nslots);
			return sh;
		}
	sh = xcalloc(1, sizeof(*sh));
	if ((f = h2_pool_take_key(c, key, &sh->s, NULL, sh->id)) == NULL) {
		free(sh);
		return NULL;
	}
	if (sh->id[0] == '\0')
		flow_new_id(sh->id);
	return sh_link(sh, f, key, c->host, c->port);
}

bool h2_shared_can_open(const struct h2_shared *sh)
{
	return !sh->dead && !sh->gone && sh->nslots < H2_SHARED_STREAMS && ops->can_open(sh->f);
}

bool h2_shared_ended(const struct h2_shared *sh)
{
	return sh->dead || sh->gone || !ops->can_open(sh->f);
}

int32_t h2_shared_open(struct h2_shared *sh, const struct hf_head *h, bool end,
		       const struct hf_events *ev, void *eng)
{
	int32_t sid;

	if (!h2_shared_can_open(sh))
		return -EBUSY;
	sid = ops->submit_head(sh->f, 0, h, end);
	if (sid <= 0)
		return sid < 0 ? sid : -EPROTO;
	if (slot_add(sh, sid, ev, eng) < 0) {
		(void)ops->submit_reset(sh->f, sid, HF_E_CANCEL);
		h2_shared_kick(sh);
		return -ENOMEM;
	}
	h2_shared_kick(sh);
	return sid;
}

int h2_shared_bind(struct h2_shared *sh, int32_t sid, const struct hf_events *ev, void *eng)
{
	return sh->dead ? -EPIPE : slot_add(sh, sid, ev, eng);
}

void h2_shared_unbind(struct h2_shared *sh, int32_t sid)
{
	struct h2_slot s;

	if (!slot_take(sh, sid, &s) || sh->dead)
		return;
	(void)ops->submit_reset(sh->f, sid, HF_E_CANCEL);
	h2_shared_kick(sh);
}

void h2_shared_drop(struct h2_shared *sh, int32_t sid)
{
	struct h2_slot s;

	(void)slot_take(sh, sid, &s);
}

struct http_framing *h2_shared_framing(const struct h2_shared *sh)
{
	return sh->f;
}

const struct stream *h2_shared_stream(const struct h2_shared *sh)
{
	return &sh->s;
}

char *h2_shared_id(struct h2_shared *sh)
{
	return sh->id;
}

size_t h2_shared_streams(const struct h2_shared *sh)
{
	return sh->nslots;
}

void h2_shared_ref(struct h2_shared *sh)
{
	sh->refs++;
}

void h2_shared_unref(struct h2_shared *sh, struct conn *logc)
{
	bool progress = false;

	if (--sh->refs > 0 || sh->gone)
		return;
	if (!sh->dead) { /* what its last users submitted (a reset) goes first */
		(void)ops->flush(sh->f, &sh->s.out);
		stream_io(&sh->s, &progress);
	}
	if (sh->dead || sh->nslots > 0 ||
	    !h2_pool_put_stream(logc, &sh->s, sh->f, sh->key, sh->host, sh->port, sh->id)) {
		log_debug("HTTP/2 server connection to %s:%u closed (no user left)", sh->host,
			  sh->port);
		ops->free(sh->f);
		stream_close(&sh->s);
	}
	sh->f = NULL;
	sh_unlink(sh);
}

bool h2_shared_has(const char *host, uint16_t port, bool tls)
{
	const struct h2_shared *sh;

	for (sh = shared.head; sh; sh = sh->next)
		if (sh->port == port && (sh->s.ssl != NULL) == tls && !sh->dead &&
		    strcmp(sh->host, host) == 0)
			return true;
	return h2_pool_has(host, port, tls);
}

bool h2_shared_peek(const struct conn *c, X509 **cert)
{
	char key[UPSTREAM_POOL_KEY_MAX];
	const struct h2_shared *sh;

	*cert = NULL;
	if (c->server.fd >= 0)
		return false;
	upstream_pool_key(c, key, sizeof(key));
	for (sh = shared.head; key[0] && sh; sh = sh->next)
		if (h2_pool_key_fits(sh->key, key) && h2_shared_can_open(sh)) {
			*cert = sh->s.ssl ? SSL_get0_peer_certificate(sh->s.ssl) : NULL;
			return true;
		}
	return h2_pool_peek(c, cert);
}

size_t h2_shared_count(void)
{
	return shared.n;
}
