/* Runs in a worker (worker 0 only): reverse:quic://host[:port]. Each client address is a peer
 * with two QUIC connections (quic/quic.h): one served to the client with a leaf from the ca for
 * its server name (or the spec host), one to the target, verified like TLS upstreams (-k,
 * ssl_verify_upstream_trusted_ca, the system store). Every stream either peer opens is opened
 * on the other side and relayed both ways, and recorded as a TCP-like flow whose messages carry
 * their direction; DATAGRAM frames are relayed; a connection close is passed on with its code.
 * Nothing from either peer is trusted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "core/log.h"
#include "quic/initial.h"
#include "quic/quic.h"
#include "worker/accepting.h"
#include "worker/certcache.h"
#include "worker/h3_reverse.h"
#include "worker/quic_reverse.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#define QR_PEERS_MAX 256
/* Clients whose handshake with us is not done yet, above which a new client must first prove
 * its address with a Retry token (RFC 9000 section 8.1.2): a flood of Initials from spoofed
 * addresses then costs one stateless answer each, not a connection (and one to the server). */
#define QR_HALF_OPEN_MAX 16
#define QR_EARLY_MAX 8 /* client datagrams kept while the leaf is on its way */
#define QR_DGRAM_MAX 65535
#define QR_DATAGRAMS_HELD 16 /* DATAGRAM frames held per side until its handshake is done */
/* Socket buffers: a QUIC sender bursts a congestion window at once, more than the default
 * 208 KiB of a UDP socket holds on a fast path (capped by net.core.[rw]mem_max). */
#define QR_SOCKBUF (2 << 20)

enum { DOWN, UP }; /* the client side (we serve), the server side (we connect) */

struct qr_out {
	uint8_t *p;
	size_t n;
	bool fin, fin_sent;
};

struct qr_held {
	uint8_t *d[QR_DATAGRAMS_HELD];
	size_t len[QR_DATAGRAMS_HELD], n;
};

struct qr_stream {
	struct qr_stream *next;
	int64_t id[2];	      /* on each side; -1 while not open there */
	struct qr_out out[2]; /* bytes for side s, read from the other side */
	bool closed[2];
	struct udp_rec *rec;
};

struct qr_peer {
	struct qr_peer *next;
	struct worker_listener *l; /* reverse modes; NULL when intercepted (quic_intercept.c) */
	const struct quic_endpoint *ep; /* how datagrams reach the client */
	void *ep_arg;
	bool ep_told;	/* ep->gone is due when the peer ends */
	bool intercept; /* the target and names come from the client's packets */
	unsigned mode_index;
	union sockaddr_any down_local; /* the address the client sends to */
	union sockaddr_any client, target, local;
	int fd; /* towards the target */
	struct loop_io io;
	struct loop_timer timer;
	struct quic_conn *conn[2];
	struct quic_initial *qi; /* the client's hello, until it is read */
	SSL_CTX *ctx;		 /* intercepted: the leaf, until the client is served */
	uint8_t *early[QR_EARLY_MAX];
	size_t early_len[QR_EARLY_MAX], nearly;
	uint8_t state[QUIC_CHECK_STATE];
	uint64_t cert_seq;
	struct qr_stream *streams;
	struct qr_held held[2]; /* DATAGRAM frames for side s */
	char sni[256], version[8], alpn_list[256];
	char alpn[QUIC_MAX_ALPN][64];
	size_t nalpn;
	bool ending;
	bool http3;	  /* reverse:http3://: requests relayed by h3_reverse.c, not streams */
	bool reconnected; /* the server's connection is not the first (peer_reconnect) */
	struct h3r *h3;	  /* ... its state once both connections exist */
	double ts_start;  /* the client's first datagram */
	uint32_t pid;	  /* local mode: the client's process, named in the flows */
	char proc_name[16];
};

static struct qr_peer *peers;
static size_t npeers;
static struct quic_trust *trust;
static struct quic_retry_secret retry_secret;
/* Bad input is logged once a minute per kind (with the count of those not logged). */
enum qr_bad { QR_BAD_NOT_INITIAL, QR_BAD_MALFORMED, QR_BAD_TOKEN, QR_BAD_HELLO, QR_BAD_KINDS };
static const char *const bad_what[QR_BAD_KINDS] = {
    [QR_BAD_NOT_INITIAL] = "a datagram that is not a QUIC client Initial",
    [QR_BAD_MALFORMED] = "a malformed QUIC Initial (truncated, bogus lengths or too short)",
    [QR_BAD_TOKEN] = "a QUIC Initial with an invalid Retry token",
    [QR_BAD_HELLO] = "a QUIC Initial whose ClientHello does not parse",
};
static struct log_once bad_log[QR_BAD_KINDS], retry_log;

static struct qr_stream *stream_find(struct qr_peer *p, int s, int64_t id)
{
	for (struct qr_stream *st = p->streams; st; st = st->next)
		if (st->id[s] == id)
			return st;
	return NULL;
}

static void stream_free(struct qr_peer *p, struct qr_stream *st, const char *error)
{
	struct qr_stream **pp;

	for (pp = &p->streams; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	udp_record_finish(st->rec, error);
	free(st->out[DOWN].p);
	free(st->out[UP].p);
	free(st);
}

/* Follows both connections' expiry. While intercept holds one of the peer's HTTP/3 exchanges,
 * both connections are kept alive (PINGs), whatever their peers do: a client that sends nothing
 * while it waits for a held request (ngtcp2's example client) keeps it, and so does the server's
 * connection; the idle timeout applies again once nothing is held. Every event on the peer
 * (a datagram, a timer, a resume's kick) ends here, so the holds' changes are seen. */
static void peer_arm(struct qr_peer *p)
{
	uint64_t next = UINT64_MAX, now = clock_ms();
	bool hold = h3r_holding(p->h3);

	for (int s = DOWN; s <= UP; s++)
		if (p->conn[s])
			quic_conn_keep_alive(p->conn[s], hold);
	for (int s = DOWN; s <= UP; s++)
		if (p->conn[s] && quic_conn_expiry(p->conn[s]) < next)
			next = quic_conn_expiry(p->conn[s]);
	if (next == UINT64_MAX)
		loop_timer_cancel(wk->loop, &p->timer);
	else
		loop_timer_arm(wk->loop, &p->timer, next > now ? next - now : 0);
}

static void peer_log(struct qr_peer *p, const char *why)
{
	char client[ADDR_STRLEN];

	addr_format(&p->client.sa, client, sizeof(client));
	log_msg(LOG_LVL_INFO, client, "%s %s: %s", p->intercept ? "intercepted" : "reverse",
		p->http3 ? "http3" : "quic", why);
}

static void peer_close_server(struct qr_peer *p)
{
	if (p->fd >= 0) {
		loop_io_del(wk->loop, &p->io);
		close(p->fd);
		p->fd = -1;
	}
	quic_conn_free(p->conn[UP]);
	p->conn[UP] = NULL;
}

static void peer_free(struct qr_peer *p, const char *error)
{
	struct qr_peer **pp;

	p->ending = true;
	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			npeers--;
			break;
		}
	while (p->streams)
		stream_free(p, p->streams, error);
	h3r_free(p->h3, error);
	loop_timer_cancel(wk->loop, &p->timer);
	peer_close_server(p);
	quic_conn_free(p->conn[DOWN]);
	SSL_CTX_free(p->ctx);
	quic_initial_free(p->qi);
	for (size_t i = 0; i < p->nearly; i++)
		free(p->early[i]);
	for (int s = DOWN; s <= UP; s++)
		for (size_t i = 0; i < p->held[s].n; i++)
			free(p->held[s].d[i]);
	if (p->ep_told && p->ep->gone)
		p->ep->gone(p->ep_arg);
	loop_defer_free(wk->loop, free, p);
}

/* reverse:http3://: the server's connection is over (ci NULL: refused) but the client's is not;
 * h3_reverse.c answers what it can (502 where no response began), the client's stays. */
static void peer_server_gone(struct qr_peer *p, const struct quic_close_info *ci)
{
	char why[200];

	if (ci == NULL)
		snprintf(why, sizeof(why), "the server refused the connection (ICMP)");
	else if (!quic_conn_handshake_done(p->conn[UP]))
		snprintf(why, sizeof(why),
			 "the QUIC handshake with the server failed (%s code 0x%llx)",
			 ci->app ? "application" : "transport", (unsigned long long)ci->code);
	else if (ci->local) /* ours: idle (no keep-alive), or a protocol error */
		snprintf(why, sizeof(why), "the QUIC connection to the server ended (%s)",
			 ci->reason[0] ? ci->reason : "closed by snare");
	else
		snprintf(why, sizeof(why), "the server closed the QUIC connection (%s code 0x%llx)",
			 ci->app ? "application" : "transport", (unsigned long long)ci->code);
	peer_log(p, why);
	h3r_server_gone(p->h3, why);
	peer_close_server(p);
	peer_arm(p);
}

static int peer_serve(struct qr_peer *p, SSL_CTX *ctx);

/* Closes the client's connection; intercepted before it was served, it is served first so that
 * the close reaches it. */
static void peer_close_client(struct qr_peer *p, bool app, uint64_t code, const char *reason)
{
	if (p->conn[DOWN] == NULL && p->ctx && peer_serve(p, p->ctx) < 0)
		return;
	if (p->conn[DOWN] && !quic_conn_closed(p->conn[DOWN]))
		quic_conn_close(p->conn[DOWN], app, code, reason);
}

/* Side s's connection is over: the other side is closed with the same code, then the peer goes. */
static void peer_end(struct qr_peer *p, int s)
{
	const struct quic_close_info *ci = quic_conn_close_info(p->conn[s]);
	char why[200];

	if (p->ending)
		return;
	/* Intercepted, a server that never finished its handshake closes the client's connection
	 * too: the client then falls back to TCP (not so for a reconnection). */
	if (s == UP && p->h3 && p->conn[DOWN] && !quic_conn_closed(p->conn[DOWN]) &&
	    !(p->intercept && !p->reconnected && !quic_conn_handshake_done(p->conn[UP]))) {
		peer_server_gone(p, ci);
		return;
	}
	p->ending = true;
	/* local: ngtcp2 closed it for a protocol violation (e.g. STREAM_LIMIT_ERROR 0x4 for too
	 * many streams, FLOW_CONTROL_ERROR 0x3 for data beyond the window), or we did */
	snprintf(why, sizeof(why), "%s QUIC connection (%s code 0x%llx%s%s)",
		 s == UP     ? "the server closed the"
		 : ci->local ? "snare closed the client's"
			     : "the client closed the",
		 ci->app ? "application" : "transport", (unsigned long long)ci->code,
		 ci->reason[0] ? ": " : "", ci->reason);
	if (s == UP)
		peer_close_client(p, ci->app, ci->code, ci->reason);
	else if (p->conn[UP] && !quic_conn_closed(p->conn[UP]))
		quic_conn_close(p->conn[UP], ci->app, ci->code, ci->reason);
	if (s == DOWN && ci->idle)
		snprintf(why, sizeof(why),
			 "the client's QUIC connection was quiet for the idle timeout "
			 "(quic_idle_timeout); closed");
	if (!(ci->code == 0 || (p->http3 && ci->app && ci->code == 0x100)) || s == UP || ci->idle)
		peer_log(p, why); /* not for NO_ERROR (H3_NO_ERROR) from the client */
	peer_free(p, ci->code != 0 ? why : NULL);
}

/* Intercepted: the server refused QUIC (ICMP). The client's connection is closed with
 * CONNECTION_REFUSED, so that it falls back to TCP. */
static void peer_refused(struct qr_peer *p)
{
	peer_close_client(p, false, 0x2, "the server refused QUIC");
	p->ending = true;
	peer_log(p, "the server refused the connection (ICMP); the client's connection is closed");
	peer_free(p, "the server refused QUIC");
}

/* ---- streams ---- */

static void stream_open_on(struct qr_peer *p, struct qr_stream *st, int s)
{
	int64_t id;
	int other = st->id[DOWN] >= 0 ? DOWN : UP;

	if (st->id[s] >= 0 || p->conn[s] == NULL || !quic_conn_handshake_done(p->conn[s]))
		return;
	if (quic_stream_open(p->conn[s], (st->id[other] & 0x2) == 0, &id) == 0)
		st->id[s] = id;
}

/* Passes the bytes waiting for side s on, crediting what it took to the other side. */
static void stream_flush(struct qr_peer *p, struct qr_stream *st, int s)
{
	struct qr_out *o = &st->out[s];
	long w;

	stream_open_on(p, st, s);
	if (st->id[s] < 0 || (o->n == 0 && (!o->fin || o->fin_sent)))
		return;
	w = quic_stream_write(p->conn[s], st->id[s], o->p, o->n, o->fin);
	if (w < 0) {
		o->n = 0; /* the write side is gone: nothing more goes there */
		o->fin_sent = true;
		return;
	}
	if (st->id[!s] >= 0 && w > 0)
		(void)quic_stream_consumed(p->conn[!s], st->id[!s], (size_t)w);
	memmove(o->p, o->p + w, o->n - (size_t)w);
	o->n -= (size_t)w;
	if (o->n == 0 && o->fin)
		o->fin_sent = true;
}

static void streams_flush(struct qr_peer *p, int s)
{
	for (struct qr_stream *st = p->streams; st; st = st->next)
		stream_flush(p, st, s);
}

static struct qr_stream *stream_new(struct qr_peer *p, int s, int64_t id)
{
	struct qr_stream *st = xcalloc(1, sizeof(*st));

	st->id[s] = id;
	st->id[!s] = -1;
	st->rec = udp_record_start(p->mode_index, &p->client.ss, &p->target.ss);
	udp_record_set_quic(st->rec, p->version, p->sni, p->alpn_list);
	udp_record_set_stream(st->rec);
	if (p->pid)
		udp_record_set_process(st->rec, p->pid, p->proc_name);
	st->next = p->streams;
	p->streams = st;
	return st;
}

static void on_stream_open(struct qr_peer *p, int s, int64_t id)
{
	if (stream_find(p, s, id) == NULL)
		stream_flush(p, stream_new(p, s, id), !s);
}

static void on_stream_data(struct qr_peer *p, int s, int64_t id, const uint8_t *d, size_t n,
			   bool fin)
{
	struct qr_stream *st = stream_find(p, s, id);
	struct qr_out *o;

	if (st == NULL)
		st = stream_new(p, s, id);
	o = &st->out[!s];
	if (n > 0) {
		udp_record(st->rec, s == DOWN, d, n);
		o->p = xrealloc(o->p, o->n + n);
		memcpy(o->p + o->n, d, n);
		o->n += n;
	}
	o->fin |= fin;
	stream_flush(p, st, !s);
}

static void on_stream_reset(struct qr_peer *p, int s, int64_t id, uint64_t code)
{
	struct qr_stream *st = stream_find(p, s, id);

	if (st && st->id[!s] >= 0)
		(void)quic_stream_reset(p->conn[!s], st->id[!s], code);
}

static void on_stream_close(struct qr_peer *p, int s, int64_t id, uint64_t code)
{
	struct qr_stream *st = stream_find(p, s, id);

	if (st == NULL)
		return;
	st->closed[s] = true;
	if (st->closed[!s] || (st->id[!s] < 0 && st->out[!s].n == 0))
		stream_free(p, st, NULL);
	else if (st->id[!s] >= 0 && st->out[!s].n == 0 && !st->out[!s].fin_sent)
		(void)quic_stream_reset(p->conn[!s], st->id[!s], code);
}

/* ---- the callbacks of both connections (side s) ---- */

static void cb_send(struct qr_peer *p, int s, const uint8_t *d, size_t n)
{
	if (s == DOWN)
		p->ep->send(p->ep_arg, d, n);
	else
		(void)send(p->fd, d, n, 0);
}

static void cb_keylog(void *arg, const char *line)
{
	if (wk->keylog_fd >= 0 &&
	    (write(wk->keylog_fd, line, strlen(line)) < 0 || write(wk->keylog_fd, "\n", 1) < 0))
		wk->keylog_fd = -1;
}

/* A DATAGRAM frame from side s: sent on, or held until the other side's handshake is done. */
static void cb_datagram(struct qr_peer *p, int s, const uint8_t *d, size_t n)
{
	struct qr_held *h = &p->held[!s];

	if (p->conn[!s] && quic_conn_handshake_done(p->conn[!s])) {
		(void)quic_datagram_send(p->conn[!s], d, n);
	} else if (h->n < QR_DATAGRAMS_HELD) {
		h->d[h->n] = xmalloc(n ? n : 1);
		memcpy(h->d[h->n], d, n);
		h->len[h->n++] = n;
	}
}

static void cb_handshake(struct qr_peer *p, int s)
{
	struct qr_held *h = &p->held[s];

	if (p->h3)
		h3r_handshake(p->h3, s == DOWN ? H3R_CLIENT : H3R_SERVER);
	streams_flush(p, s);
	for (size_t i = 0; i < h->n; i++) {
		(void)quic_datagram_send(p->conn[s], h->d[i], h->len[i]);
		free(h->d[i]);
	}
	h->n = 0;
}

static void on_writable(struct qr_peer *p, int s, int64_t id)
{
	struct qr_stream *st;

	if (p->h3)
		h3r_writable(p->h3, s == DOWN ? H3R_CLIENT : H3R_SERVER, id);
	else if ((st = stream_find(p, s, id)) != NULL)
		stream_flush(p, st, s);
}

static void on_available(struct qr_peer *p, int s)
{
	if (p->h3)
		h3r_available(p->h3, s == DOWN ? H3R_CLIENT : H3R_SERVER);
	else
		streams_flush(p, s);
}

/* Thin wrappers: the quic module's callbacks take one argument, the side is in the name. */
#define QR_SIDE_CALLBACKS(name, S)                                                                 \
	static void name##_send(void *a, const uint8_t *d, size_t n)                               \
	{                                                                                          \
		cb_send(a, S, d, n);                                                               \
	}                                                                                          \
	static void name##_handshake(void *a)                                                      \
	{                                                                                          \
		cb_handshake(a, S);                                                                \
	}                                                                                          \
	static void name##_open(void *a, int64_t id)                                               \
	{                                                                                          \
		on_stream_open(a, S, id);                                                          \
	}                                                                                          \
	static void name##_data(void *a, int64_t id, const uint8_t *d, size_t n, bool fin)         \
	{                                                                                          \
		on_stream_data(a, S, id, d, n, fin);                                               \
	}                                                                                          \
	static void name##_reset(void *a, int64_t id, uint64_t code)                               \
	{                                                                                          \
		on_stream_reset(a, S, id, code);                                                   \
	}                                                                                          \
	static void name##_close(void *a, int64_t id, uint64_t code)                               \
	{                                                                                          \
		on_stream_close(a, S, id, code);                                                   \
	}                                                                                          \
	static void name##_writable(void *a, int64_t id)                                           \
	{                                                                                          \
		on_writable(a, S, id);                                                             \
	}                                                                                          \
	static void name##_available(void *a)                                                      \
	{                                                                                          \
		on_available(a, S);                                                                \
	}                                                                                          \
	static void name##_datagram(void *a, const uint8_t *d, size_t n)                           \
	{                                                                                          \
		cb_datagram(a, S, d, n);                                                           \
	}                                                                                          \
	static const struct quic_callbacks name##_cb = {                                           \
	    name##_send,  name##_handshake, name##_open,      name##_data,     name##_reset,       \
	    name##_close, name##_writable,  name##_available, name##_datagram, cb_keylog,          \
	}

QR_SIDE_CALLBACKS(down, DOWN);
QR_SIDE_CALLBACKS(up, UP);

/* After a call on side s: the peer ends when that connection did, else its timer follows. */
static void peer_serve_later(struct qr_peer *p);

static void peer_after(struct qr_peer *p, int s, int rc)
{
	if (rc < 0 || quic_conn_closed(p->conn[s])) {
		peer_end(p, s);
		return;
	}
	if (s == UP) {
		peer_serve_later(p);
		if (p->ending)
			return;
	}
	peer_arm(p);
}

static void peer_on_timer(struct loop_timer *t)
{
	struct qr_peer *p = t->arg;
	uint64_t now = clock_ms();

	for (int s = DOWN; s <= UP; s++)
		if (p->conn[s] &&
		    (quic_conn_closed(p->conn[s]) || /* by a send (peer_kick) */
		     (quic_conn_expiry(p->conn[s]) <= now && quic_conn_timeout(p->conn[s]) < 0))) {
			peer_end(p, s);
			return;
		}
	peer_arm(p);
}

static void peer_server_readable(struct loop_io *io, uint32_t events)
{
	struct qr_peer *p = io->arg;
	uint8_t d[QR_DGRAM_MAX];

	for (int i = 0; i < 64 && !p->ending; i++) {
		ssize_t n = recv(p->fd, d, sizeof(d), 0);

		if (n < 0 && errno == ECONNREFUSED && !quic_conn_handshake_done(p->conn[UP])) {
			if (p->intercept && !p->reconnected) {
				peer_refused(p);
				return;
			}
			if (p->h3)
				peer_server_gone(p, NULL);
		}
		if (n < 0)
			return;
		peer_after(p, UP, quic_conn_recv(p->conn[UP], d, (size_t)n));
	}
}

/* ---- starting a peer: the client's hello, a leaf, both connections ---- */

static void path_of(struct quic_path *path, const union sockaddr_any *local,
		    const union sockaddr_any *remote)
{
	path->local = &local->sa;
	path->local_len = addr_len(&local->sa);
	path->remote = &remote->sa;
	path->remote_len = addr_len(&remote->sa);
}

/* The leaf of ctx and snare's CA after it (as TLS serves them: clients that trust the CA by its
 * key, like Chromium's --ignore-certificate-errors-spki-list, need it in the chain) and the
 * worker's key, as PEM for the QUIC server. */
static int leaf_pem(SSL_CTX *ctx, BIO *cert, BIO *key)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);

	if (leaf == NULL || !PEM_write_bio_X509(cert, leaf) ||
	    (wk->ca_cert && !PEM_write_bio_X509(cert, wk->ca_cert)) ||
	    !PEM_write_bio_PrivateKey(key, wk->leaf_key, NULL, NULL, 0, NULL, NULL))
		return -1;
	return 0;
}

static int peer_start_down(struct qr_peer *p, SSL_CTX *ctx)
{
	struct quic_server_opts o = {.datagrams = !p->http3,
				     .idle_timeout_s = (unsigned)wk->opts.quic_idle_timeout};
	struct quic_path path;
	BIO *cert = BIO_new(BIO_s_mem()), *key = BIO_new(BIO_s_mem());
	const char *err = "";
	char *cp, *kp;
	int rc = -1;

	for (size_t i = 0; i < p->nalpn; i++)
		o.alpn[i] = p->alpn[i];
	path_of(&path, &p->down_local, &p->client);
	if (cert && key && leaf_pem(ctx, cert, key) == 0) {
		o.cert_len = (size_t)BIO_get_mem_data(cert, &cp);
		o.key_len = (size_t)BIO_get_mem_data(key, &kp);
		o.cert = (const uint8_t *)cp;
		o.key = (const uint8_t *)kp;
		p->conn[DOWN] = quic_server_new(&o, p->early[0], p->early_len[0], &path, p->state,
						&down_cb, p, &err);
		rc = p->conn[DOWN] ? 0 : -1;
	}
	BIO_free(cert);
	BIO_free(key);
	if (rc < 0)
		log_warn("reverse quic: cannot serve the client: %s", err);
	return rc;
}

static void sockbufs(int fd)
{
	int n = QR_SOCKBUF;

	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	}
}

static int peer_start_up(struct qr_peer *p)
{
	const struct mode_spec *m = &wk->modes[p->mode_index];
	struct quic_client_opts o = {.trust = trust,
				     .datagrams = !p->http3,
				     .idle_timeout_s = (unsigned)wk->opts.quic_idle_timeout};
	struct quic_path path;
	socklen_t len = sizeof(p->local);
	const char *err = "";

	o.sni = (wk->opts.keep_host_header || p->intercept) && p->sni[0] ? p->sni : m->server.host;
	if (p->intercept && !p->sni[0])
		o.sni = NULL; /* the client named no server: none is checked */
	for (size_t i = 0; i < p->nalpn; i++)
		o.alpn[i] = p->alpn[i];
	p->fd = socket(p->target.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sockbufs(p->fd);
	if (p->fd < 0 || connect(p->fd, &p->target.sa, addr_len(&p->target.sa)) < 0 ||
	    getsockname(p->fd, &p->local.sa, &len) < 0)
		return -1;
	loop_io_init(&p->io, p->fd, peer_server_readable, p);
	if (loop_io_set(wk->loop, &p->io, EPOLLIN) < 0)
		return -1;
	path_of(&path, &p->local, &p->target);
	p->conn[UP] = quic_client_new(&o, &path, &up_cb, p, &err);
	if (p->conn[UP] == NULL) {
		log_warn("reverse quic: cannot connect to the server: %s", err);
		return -1;
	}
	quic_conn_manual_credit(p->conn[UP]);
	return 0;
}

/* h3_reverse.c sent outside our callbacks: the timer sees to the connections at once. */
static void peer_kick(void *arg)
{
	struct qr_peer *p = arg;

	if (!p->ending)
		loop_timer_arm(wk->loop, &p->timer, 0);
}

static int peer_start_up(struct qr_peer *p);

/* h3_reverse.c wants the server again (its last connection, which had answered, is gone). */
static int peer_reconnect(void *arg)
{
	struct qr_peer *p = arg;

	if (p->ending || p->conn[UP])
		return -1;
	if (peer_start_up(p) < 0) {
		peer_close_server(p);
		return -1;
	}
	p->reconnected = true;
	peer_log(p, "a new QUIC connection to the server");
	h3r_server_back(p->h3, p->conn[UP]);
	loop_timer_arm(wk->loop, &p->timer, 0);
	return 0;
}

/* Both connections once the leaf is there; then the client's other early datagrams. */
static void peer_h3_new(struct qr_peer *p)
{
	struct h3r_info info = {.mode_index = p->mode_index,
				.client = p->client,
				.local = p->down_local,
				.target = p->target,
				.ts_start = p->ts_start,
				.intercept = p->intercept,
				.pid = p->pid,
				.kick = peer_kick,
				.kick_arg = p,
				.reconnect = peer_reconnect};
	const struct mode_spec *m = &wk->modes[p->mode_index];

	snprintf(info.host, sizeof(info.host), "%s", m->server.host);
	snprintf(info.proc_name, sizeof(info.proc_name), "%s", p->proc_name);
	info.port = m->server.port;
	if (p->intercept) {
		snprintf(info.host, sizeof(info.host), "%s", p->sni);
		if (!p->sni[0])
			addr_format_host(&p->target.sa, info.host, sizeof(info.host));
		info.port = addr_port(&p->target.sa);
	}
	p->h3 = h3r_new(p->conn[DOWN], p->conn[UP], &info);
}

/* The client's connection, then its other early datagrams. */
static int peer_serve(struct qr_peer *p, SSL_CTX *ctx)
{
	if (peer_start_down(p, ctx) < 0)
		return -1;
	quic_conn_manual_credit(p->conn[DOWN]);
	if (p->h3 && p->intercept)
		h3r_client(p->h3, p->conn[DOWN]);
	for (size_t i = 1; i < p->nearly; i++)
		if (quic_conn_recv(p->conn[DOWN], p->early[i], p->early_len[i]) < 0)
			break;
	return 0;
}

/* Intercepted, the client is served once the server's handshake is done, with the ALPN the
 * server chose: a server that cannot be reached leaves the client's handshake unanswered, as it
 * would without snare (or closed, see peer_close_client). */
static void peer_serve_later(struct qr_peer *p)
{
	const char *alpn;

	if (!p->intercept || p->conn[DOWN] || p->ctx == NULL || p->conn[UP] == NULL ||
	    !quic_conn_handshake_done(p->conn[UP]))
		return;
	alpn = quic_conn_alpn(p->conn[UP]);
	if (alpn[0] && !p->http3) {
		snprintf(p->alpn[0], sizeof(p->alpn[0]), "%s", alpn);
		p->nalpn = 1;
	}
	if (peer_serve(p, p->ctx) < 0) {
		peer_free(p, "cannot serve the client");
		return;
	}
	SSL_CTX_free(p->ctx);
	p->ctx = NULL;
	peer_arm(p);
}

/* Both connections once the leaf is there (intercepted: the server's first, see above). */
static int peer_start(struct qr_peer *p, SSL_CTX *ctx)
{
	if (p->intercept) {
		if (peer_start_up(p) < 0)
			return -1;
		SSL_CTX_up_ref(ctx);
		p->ctx = ctx;
		if (p->http3)
			peer_h3_new(p);
		peer_arm(p);
		return 0;
	}
	if (peer_start_down(p, ctx) < 0 || peer_start_up(p) < 0)
		return -1;
	quic_conn_manual_credit(p->conn[DOWN]);
	if (p->http3)
		peer_h3_new(p);
	for (size_t i = 1; i < p->nearly; i++)
		if (quic_conn_recv(p->conn[DOWN], p->early[i], p->early_len[i]) < 0)
			break;
	peer_arm(p);
	return 0;
}

/* 0 started or waiting for the ca, -1 failed. */
static int peer_want_cert(struct qr_peer *p)
{
	const char *sans[2], *spec = wk->modes[p->mode_index].server.host;
	char ip[INET6_ADDRSTRLEN] = "";
	size_t n = 0;
	SSL_CTX *ctx;

	if (p->sni[0])
		sans[n++] = p->sni;
	if (p->intercept && n == 0 && addr_format_host(&p->target.sa, ip, sizeof(ip))[0])
		sans[n++] = ip; /* no name: the leaf is for the address the client sent to */
	else if (!p->intercept && (n == 0 || strcasecmp(p->sni, spec) != 0))
		sans[n++] = spec;
	if (n == 0)
		return -1;
	ctx = certcache_get(sans, n, NULL, &p->cert_seq);
	if (ctx) {
		p->cert_seq = 0;
		return peer_start(p, ctx);
	}
	return p->cert_seq ? 0 : -1;
}

/* The hello is read: keep its name, version and ALPNs (the list both sides are offered). */
static void peer_take_hello(struct qr_peer *p)
{
	const struct quic_initial_info *in = quic_initial_info(p->qi);
	size_t off = 0;

	snprintf(p->sni, sizeof(p->sni), "%s", in->hello.sni);
	snprintf(p->version, sizeof(p->version), "QUICv%u",
		 in->version == QUIC_VERSION_2 ? 2u : 1u);
	if (p->http3) { /* HTTP/3 both ways, whatever else the client offers */
		snprintf(p->alpn[p->nalpn++], sizeof(p->alpn[0]), "h3");
		snprintf(p->alpn_list, sizeof(p->alpn_list), "h3");
		return;
	}
	for (size_t i = 0; i < in->hello.nalpn && p->nalpn < QUIC_MAX_ALPN - 1; i++) {
		snprintf(p->alpn[p->nalpn++], sizeof(p->alpn[0]), "%s", in->hello.alpn[i]);
		if (off < sizeof(p->alpn_list))
			off += (size_t)snprintf(p->alpn_list + off, sizeof(p->alpn_list) - off,
						"%s%s", i ? "," : "", in->hello.alpn[i]);
	}
}

static void log_bad(const union sockaddr_any *from, enum qr_bad kind, const char *detail);

/* A datagram before the client's connection exists: kept, and read for the hello. */
static int peer_early(struct qr_peer *p, const uint8_t *d, size_t n)
{
	enum quic_initial_result r;

	if (p->nearly >= QR_EARLY_MAX)
		return p->qi ? -1 : 0;
	p->early[p->nearly] = xmalloc(n ? n : 1);
	memcpy(p->early[p->nearly], d, n);
	p->early_len[p->nearly++] = n;
	if (p->qi == NULL)
		return 0;
	r = quic_initial_feed(p->qi, d, n);
	if (r == QUIC_INITIAL_NEED_MORE)
		return 0;
	if (r == QUIC_INITIAL_ERROR)
		log_bad(&p->client, QR_BAD_HELLO, quic_initial_error(p->qi));
	if (r != QUIC_INITIAL_DONE)
		return -1;
	peer_take_hello(p);
	quic_initial_free(p->qi);
	p->qi = NULL;
	return peer_want_cert(p);
}

/* A peer reading the client's hello, linked in; the caller says how it reaches the client. */
static struct qr_peer *peer_alloc(unsigned mode_index, const union sockaddr_any *client,
				  const union sockaddr_any *local,
				  const uint8_t state[QUIC_CHECK_STATE])
{
	struct qr_peer *p = xcalloc(1, sizeof(*p));

	p->mode_index = mode_index;
	p->client = *client;
	p->down_local = *local;
	p->fd = -1;
	p->ts_start = clock_wall();
	memcpy(p->state, state, QUIC_CHECK_STATE);
	loop_timer_init(&p->timer, peer_on_timer, p);
	p->qi = quic_initial_new();
	p->next = peers;
	peers = p;
	npeers++;
	return p;
}

static void listener_send(void *arg, const uint8_t *d, size_t n)
{
	struct qr_peer *p = arg;

	(void)sendto(p->l->fd, d, n, 0, &p->client.sa, addr_len(&p->client.sa));
}

static const struct quic_endpoint listener_ep = {listener_send, NULL};

static void peer_new(struct worker_listener *l, const union sockaddr_any *from, const uint8_t *d,
		     size_t n, const uint8_t state[QUIC_CHECK_STATE])
{
	struct qr_peer *p;

	if (npeers >= QR_PEERS_MAX)
		return;
	p = peer_alloc(l->mode_index, from, &l->addr, state);
	p->l = l;
	p->ep = &listener_ep;
	p->ep_arg = p;
	p->http3 = modespec_scheme_of(&wk->modes[l->mode_index])->dgram == SCHEME_DGRAM_HTTP3;
	if (udp_reverse_target(l->mode_index, &p->target) < 0 || peer_early(p, d, n) < 0)
		peer_free(p, NULL);
}

/* A datagram from the client, before or after its connection exists. */
static void peer_client_datagram(struct qr_peer *p, const uint8_t *d, size_t n)
{
	if (p->conn[DOWN])
		peer_after(p, DOWN, quic_conn_recv(p->conn[DOWN], d, n));
	else if (peer_early(p, d, n) < 0)
		peer_free(p, NULL);
}

static void log_bad(const union sockaddr_any *from, enum qr_bad kind, const char *detail)
{
	char client[ADDR_STRLEN];
	unsigned skipped;

	if (!log_once_due(&bad_log[kind], loop_now(wk->loop), &skipped))
		return;
	addr_format(&from->sa, client, sizeof(client));
	log_msg(LOG_LVL_INFO, client, "reverse quic: dropped %s%s%s (%u more not logged)",
		bad_what[kind], detail[0] ? ": " : "", detail, skipped);
}

/* Clients not yet past their handshake with us. */
static size_t half_open(void)
{
	size_t n = 0;

	for (struct qr_peer *p = peers; p; p = p->next)
		n += p->conn[DOWN] == NULL || !quic_conn_handshake_done(p->conn[DOWN]);
	return n;
}

/* Whether new clients must prove their address first. */
static bool retry_wanted(void)
{
	size_t n = half_open();
	unsigned skipped;

	if (n < QR_HALF_OPEN_MAX && npeers < QR_PEERS_MAX / 2)
		return false;
	if (log_once_due(&retry_log, loop_now(wk->loop), &skipped))
		log_info("quic: %zu handshakes pending, %zu connections: new clients are sent a "
			 "Retry to prove their address (%u more such moments not logged)",
			 n, npeers, skipped);
	return true;
}

static void client_datagram(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n)
{
	struct worker_listener *l = arg;
	uint8_t out[1500], state[QUIC_CHECK_STATE];
	size_t out_len = 0;
	struct quic_path path;
	struct qr_peer *p;

	for (p = peers; p; p = p->next)
		if (p->l == l && addr_equal(&p->client.sa, &from->sa))
			break;
	if (p) {
		peer_client_datagram(p, d, n);
		return;
	}
	path_of(&path, &l->addr, from);
	/* Under load a new client first proves its address with a Retry token. */
	switch (quic_server_check(d, n, &path, &retry_secret, retry_wanted(), out, sizeof(out),
				  &out_len, state)) {
	case QUIC_ACCEPT:
		peer_new(l, from, d, n, state);
		break;
	case QUIC_ACCEPT_VERSION:
	case QUIC_ACCEPT_RETRY:
		(void)sendto(l->fd, out, out_len, 0, &from->sa, addr_len(&from->sa));
		break;
	case QUIC_ACCEPT_MALFORMED:
		log_bad(from, QR_BAD_MALFORMED, "");
		break;
	case QUIC_ACCEPT_BAD_TOKEN:
		log_bad(from, QR_BAD_TOKEN, "");
		break;
	default:
		log_bad(from, QR_BAD_NOT_INITIAL, "");
		break;
	}
}

void quic_reverse_readable(struct worker_listener *l)
{
	uint8_t d[QR_DGRAM_MAX];

	udp_drain(l->fd, d, sizeof(d), 64, client_datagram, l);
}

void quic_reverse_on_cert(uint64_t seq)
{
	struct qr_peer *p, *next;

	for (p = peers; p; p = next) {
		next = p->next;
		if (seq == 0 || p->cert_seq != seq)
			continue;
		p->cert_seq = 0;
		if (peer_want_cert(p) < 0 || p->conn[UP] == NULL)
			peer_free(p, "no certificate for the client side");
	}
}

/* ---- intercepted QUIC (quic_intercept.c): the client's datagrams come from its owner ---- */

struct qr_peer *quic_reverse_intercept(struct quic_intercept_start *in,
				       const struct quic_endpoint *ep, void *arg)
{
	uint8_t out[1500], state[QUIC_CHECK_STATE];
	size_t out_len = 0;
	struct quic_path path;
	struct qr_peer *p;

	if (trust == NULL || in->n == 0 || npeers >= QR_PEERS_MAX)
		return NULL;
	path_of(&path, in->server, in->client); /* the client's own address, from its packets */
	switch (quic_server_check(in->d[0], in->len[0], &path, &retry_secret, retry_wanted(), out,
				  sizeof(out), &out_len, state)) {
	case QUIC_ACCEPT:
		break;
	case QUIC_ACCEPT_RETRY:
		ep->send(arg, out, out_len);
		in->retried = true;
		return NULL;
	case QUIC_ACCEPT_BAD_TOKEN:
		log_bad(in->client, QR_BAD_TOKEN, "");
		return NULL;
	default:
		return NULL;
	}
	p = peer_alloc(in->mode_index, in->client, in->server, state);
	p->ep = ep;
	p->ep_arg = arg;
	p->intercept = true;
	p->target = *in->server;
	p->http3 = in->http3;
	p->pid = in->pid;
	snprintf(p->proc_name, sizeof(p->proc_name), "%s", in->pid ? in->proc_name : "");
	for (size_t i = 0; i < in->n && !p->ending; i++)
		peer_client_datagram(p, in->d[i], in->len[i]);
	if (p->ending)
		return NULL; /* freed (deferred), without telling the owner */
	p->ep_told = true;
	return p;
}

void quic_reverse_datagram(struct qr_peer *p, const uint8_t *d, size_t n)
{
	if (!p->ending)
		peer_client_datagram(p, d, n);
}

void quic_reverse_drop(struct qr_peer *p)
{
	p->ep_told = false;
	if (p->ending)
		return;
	for (int s = DOWN; s <= UP; s++)
		if (p->conn[s] && !quic_conn_closed(p->conn[s]))
			quic_conn_close(p->conn[s], true, 0, "snare ends the flow");
	peer_free(p, NULL);
}

/* Intercepting needs the trust setting too: packet modes and transparent mode, unless http3 is
 * off. */
static bool quic_wanted(const struct mode_spec *m)
{
	enum scheme_dgram d = modespec_scheme_of(m)->dgram;

	if (d == SCHEME_DGRAM_QUIC || d == SCHEME_DGRAM_HTTP3)
		return true;
	return wk->opts.http3 && (m->kind == MODE_TUN || m->kind == MODE_WIREGUARD ||
				  m->kind == MODE_LOCAL || m->kind == MODE_TRANSPARENT);
}

int quic_reverse_prepare(void)
{
	enum quic_verify v = QUIC_VERIFY_SYSTEM;
	const char *err = "";
	size_t i;

	for (i = 0; i < wk->nmodes; i++)
		if (quic_wanted(&wk->modes[i]))
			break;
	if (i == wk->nmodes)
		return 0;
	for (i = 0; i < wk->nlisteners; i++)
		if (modespec_scheme_of(&wk->modes[wk->listeners[i].mode_index])->dgram ==
			SCHEME_DGRAM_QUIC ||
		    modespec_scheme_of(&wk->modes[wk->listeners[i].mode_index])->dgram ==
			SCHEME_DGRAM_HTTP3)
			sockbufs(wk->listeners[i].fd);
	if (wk->opts.ssl_insecure)
		v = QUIC_VERIFY_INSECURE;
	else if (wk->opts.ssl_verify_upstream_trusted_ca)
		v = QUIC_VERIFY_CA_FILE;
	quic_retry_secret_init(&retry_secret);
	trust = quic_trust_new(v, wk->opts.ssl_verify_upstream_trusted_ca, &err);
	if (trust == NULL) {
		log_error("reverse quic: cannot load the trust setting: %s", err);
		return -1;
	}
	return 0;
}

void quic_reverse_stop(void)
{
	while (peers) {
		for (int s = DOWN; s <= UP; s++)
			if (peers->conn[s] && !quic_conn_closed(peers->conn[s]))
				quic_conn_close(peers->conn[s], true, 0, "snare stops");
		peer_free(peers, NULL);
	}
	quic_trust_free(trust);
	trust = NULL;
}
