/* Runs in a worker (worker 0 only): reverse:udp:// and reverse:dtls://.  Each
 * client address is a peer with a connected socket to the target, speaking
 * DTLS for dtls:// and raw UDP for udp://.  The client side is DTLS or raw
 * UDP, autodetected from the first datagram: snare serves DTLS with a leaf
 * from the ca through an in-process BIO, after a stateless cookie exchange.
 * Plaintext is relayed and recorded as a UDP flow; no peer is trusted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/log.h"
#include "core/unconst.h"
#include "worker/certcache.h"
#include "worker/client_policy.h"
#include "worker/dtls_int.h"
#include "worker/dtls_reverse.h"
#include "worker/tls.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

#define DTLS_PEERS_MAX 1024
#define DTLS_QUEUE_MAX 32
#define DTLS_DGRAM_MAX 65535
#define DTLS_MTU 1400

struct dgram {
	struct dgram *next;
	size_t n;
	uint8_t d[];
};

struct dgram_queue {
	struct dgram *head, *tail;
	size_t n;
};

struct dtls_peer {
	struct dtls_peer *next;
	struct worker_listener *l;
	union sockaddr_any client, target;
	int fd;
	struct loop_io io;
	struct loop_timer idle, retx;
	uint64_t active_ms; /* the last datagram either way (UDP_IDLE_MS from here) */
	struct udp_rec *rec;
	bool raw;     /* the client speaks plain UDP */
	SSL *hello;   /* the client side past its cookie, until its leaf is known */
	SSL *cs, *ss; /* client side (we serve), server side (we connect); NULL: raw */
	bool cs_done, ss_done;
	uint64_t cert_seq;
	struct dgram_queue cq; /* client ciphertext for cs's BIO */
	struct dgram_queue pq; /* plaintext for the server, before its handshake ends */
};

static struct dtls_peer *peers;
static size_t npeers;
static BIO_METHOD *dgram_meth;
static SSL_CTX *client_ctx; /* DTLS towards targets */
static SSL_CTX **leaf_ctx;  /* per mode index: DTLS server context for the spec host */
static SSL_CTX *hello_ctx;  /* the cookie exchange: no certificate */
static SSL *hello_ssl;	    /* waits for the next ClientHello with a valid cookie */

static void dq_push(struct dgram_queue *q, const uint8_t *d, size_t n)
{
	struct dgram *g;

	if (q->n >= DTLS_QUEUE_MAX)
		return;
	g = xmalloc(sizeof(*g) + n);
	g->next = NULL;
	g->n = n;
	memcpy(g->d, d, n);
	if (q->tail)
		q->tail->next = g;
	else
		q->head = g;
	q->tail = g;
	q->n++;
}

static struct dgram *dq_pop(struct dgram_queue *q)
{
	struct dgram *g = q->head;

	if (g == NULL)
		return NULL;
	q->head = g->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	return g;
}

static void dq_clear(struct dgram_queue *q)
{
	struct dgram *g;

	while ((g = dq_pop(q)) != NULL)
		free(g);
}

/* ---- the client-side BIO: one queued datagram per read, sendto per write ---- */

static int dgram_read(BIO *b, char *out, int len)
{
	struct dtls_peer *p = BIO_get_data(b);
	struct dgram *g;
	int n;

	BIO_clear_retry_flags(b);
	if ((g = dq_pop(&p->cq)) == NULL) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = g->n < (size_t)len ? (int)g->n : len;
	memcpy(out, g->d, (size_t)n);
	free(g);
	return n;
}

static int dgram_write(BIO *b, const char *in, int len)
{
	struct dtls_peer *p = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	/* A datagram lost here is one lost on the wire: DTLS retransmits. */
	(void)sendto(p->l->fd, in, (size_t)len, 0, &p->client.sa, addr_len(&p->client.sa));
	return len;
}

static long dgram_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_peer *p = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_MTU;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return p && p->client.sa.sa_family == AF_INET6 ? 48 : 28;
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return p && p->cq.head ? (long)p->cq.head->n : 0;
	default:
		return 0;
	}
}

static int dgram_meth_init(void)
{
	if (dgram_meth)
		return 0;
	dgram_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "snare-dgram");
	if (dgram_meth == NULL || BIO_meth_set_read(dgram_meth, dgram_read) != 1 ||
	    BIO_meth_set_write(dgram_meth, dgram_write) != 1 ||
	    BIO_meth_set_ctrl(dgram_meth, dgram_ctrl) != 1)
		return -ENOMEM;
	return 0;
}

/* ---- contexts ---- */

static int client_ctx_init(void)
{
	if (client_ctx)
		return 0;
	client_ctx = SSL_CTX_new(DTLS_client_method());
	if (client_ctx == NULL)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(client_ctx, DTLS1_2_VERSION);
	tls_keylog_install(client_ctx);
	SSL_CTX_set_verify(client_ctx, SSL_CTX_get_verify_mode(wk->upstream_ctx), NULL);
	if (X509_STORE_up_ref(SSL_CTX_get_cert_store(wk->upstream_ctx)) == 1)
		SSL_CTX_set_cert_store(client_ctx, SSL_CTX_get_cert_store(wk->upstream_ctx));
	return 0;
}

/* A DTLS server context: the TLS side's suites, cookies, key log, no
 * session cache. */
static SSL_CTX *server_ctx_new(void)
{
	SSL_CTX *ctx = tls_server_ctx_new(DTLS_server_method(), DTLS1_2_VERSION);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	dtls_cookie_install(ctx);
	tls_keylog_install(ctx);
	return ctx;
}

/* The DTLS twin of a leaf's TLS context, kept per mode. */
static SSL_CTX *leaf_dtls_ctx(unsigned mode_index, SSL_CTX *tls)
{
	X509 *leaf = SSL_CTX_get0_certificate(tls);
	SSL_CTX *ctx;

	if (leaf_ctx[mode_index])
		return leaf_ctx[mode_index];
	if (leaf == NULL || (ctx = server_ctx_new()) == NULL)
		return NULL;
	if (tls_ctx_use_leaf(ctx, leaf) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	leaf_ctx[mode_index] = ctx;
	return ctx;
}

int dtls_reverse_prepare(void)
{
	leaf_ctx = xcalloc(wk->nmodes ? wk->nmodes : 1, sizeof(*leaf_ctx));
	return dtls_cookie_prepare();
}

/* ---- peers ---- */

/* Releases what p holds but p itself; its timers must be initialised. */
static void peer_release(struct dtls_peer *p)
{
	loop_timer_cancel(wk->loop, &p->idle);
	loop_timer_cancel(wk->loop, &p->retx);
	loop_io_del(wk->loop, &p->io);
	SSL_free(p->hello);
	SSL_free(p->cs);
	SSL_free(p->ss);
	ERR_clear_error();
	if (p->fd >= 0)
		close(p->fd);
	dq_clear(&p->cq);
	dq_clear(&p->pq);
}

static void peer_free(struct dtls_peer *p, const char *error)
{
	struct dtls_peer **pp;

	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	npeers--;
	peer_release(p);
	udp_record_finish(p->rec, error);
	loop_defer_free(wk->loop, free, p);
}

static void peer_idle(struct loop_timer *t)
{
	struct dtls_peer *p = t->arg;

	if (!loop_timer_idle_rearm(wk->loop, &p->idle, p->active_ms, UDP_IDLE_MS))
		peer_free(p, NULL);
}

/* A datagram moved: the idle timer is armed once and re-arms itself. */
static void peer_touch(struct dtls_peer *p)
{
	p->active_ms = loop_now(wk->loop);
	if (!loop_timer_armed(&p->idle))
		loop_timer_arm(wk->loop, &p->idle, UDP_IDLE_MS);
}

/* Re-arms the retransmission timer for whichever handshake still runs. */
static void peer_retx_arm(struct dtls_peer *p)
{
	struct timeval tv;
	uint64_t ms = UINT64_MAX;

	if (p->ss && !p->ss_done && DTLSv1_get_timeout(p->ss, &tv) == 1)
		ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	if (p->cs && !p->cs_done && DTLSv1_get_timeout(p->cs, &tv) == 1) {
		uint64_t c = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;

		ms = c < ms ? c : ms;
	}
	if (ms == UINT64_MAX)
		loop_timer_cancel(wk->loop, &p->retx);
	else
		loop_timer_arm(wk->loop, &p->retx, ms + 1);
}

/* Runs ssl's handshake; 1 when done, 0 while it runs, -1 on failure. */
static int peer_handshake(SSL *ssl, bool *done)
{
	int r, e;

	if (*done)
		return 1;
	r = SSL_do_handshake(ssl);
	if (r == 1) {
		*done = true;
		return 1;
	}
	e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static void peer_to_server(struct dtls_peer *p, const uint8_t *d, size_t n)
{
	uint8_t *keep;

	if (!udp_record_hooked(p->rec, true, &d, &n, &keep))
		return; /* dropped by a hook */
	if (p->ss == NULL) {
		if (send(p->fd, d, n, 0) < 0)
			log_err(LOG_LVL_DEBUG, -errno, "reverse udp");
	} else if (!p->ss_done)
		dq_push(&p->pq, d, n);
	else if (SSL_write(p->ss, d, (int)n) <= 0)
		ERR_clear_error();
	free(keep);
}

static void peer_to_client(struct dtls_peer *p, const uint8_t *d, size_t n)
{
	/* A raw client's address is not proven (a DTLS one passed the
	 * cookie exchange): its replies are rate-limited. */
	uint8_t *keep;

	if (p->raw && !udp_reply_allowed(&p->client))
		return;
	if (!udp_record_hooked(p->rec, false, &d, &n, &keep))
		return; /* dropped by a hook */
	if (p->raw)
		(void)sendto(p->l->fd, d, n, 0, &p->client.sa, addr_len(&p->client.sa));
	else if (p->cs_done && SSL_write(p->cs, d, (int)n) <= 0)
		ERR_clear_error();
	free(keep);
}

/* Reads every plaintext record ssl has; false when the session ended. */
static bool peer_drain(struct dtls_peer *p, SSL *ssl, bool from_client)
{
	uint8_t d[DTLS_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		int n = SSL_read(ssl, d, sizeof(d)), e;

		if (n > 0) {
			if (from_client)
				peer_to_server(p, d, (size_t)n);
			else
				peer_to_client(p, d, (size_t)n);
			continue;
		}
		e = SSL_get_error(ssl, n);
		ERR_clear_error();
		return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
	}
	return true;
}

static void peer_server_failed(struct dtls_peer *p)
{
	long v = SSL_get_verify_result(p->ss);
	char why[256];

	ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
	log_warn("reverse dtls: server handshake failed: %s",
		 v != X509_V_OK ? X509_verify_cert_error_string(v) : why);
	peer_free(p, "server DTLS handshake failed");
}

/* Advances both sessions as far as the queued datagrams allow (a raw
 * server side has nothing to advance: r stays 0 for it). */
static void peer_drive(struct dtls_peer *p)
{
	int r = p->ss ? peer_handshake(p->ss, &p->ss_done) : 0;
	struct dgram *g;

	if (r < 0) {
		peer_server_failed(p);
		return;
	}
	while (r == 1 && (g = dq_pop(&p->pq)) != NULL) {
		if (SSL_write(p->ss, g->d, (int)g->n) <= 0)
			ERR_clear_error();
		free(g);
	}
	if (r == 1 && !peer_drain(p, p->ss, false)) {
		peer_free(p, NULL);
		return;
	}
	if (p->cs && (r = peer_handshake(p->cs, &p->cs_done)) < 0) {
		peer_free(p, "client DTLS handshake failed");
		return;
	}
	if (p->cs && r == 1 && !peer_drain(p, p->cs, true)) {
		peer_free(p, NULL);
		return;
	}
	peer_retx_arm(p);
}

static void peer_retx(struct loop_timer *t)
{
	struct dtls_peer *p = t->arg;

	if (p->ss && !p->ss_done)
		(void)DTLSv1_handle_timeout(p->ss);
	if (p->cs && !p->cs_done)
		(void)DTLSv1_handle_timeout(p->cs);
	ERR_clear_error();
	peer_drive(p);
}

/* A raw UDP server: its datagrams go to the client as they are. */
static void peer_server_recv(struct dtls_peer *p)
{
	uint8_t d[DTLS_DGRAM_MAX];
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = recv(p->fd, d, sizeof(d), 0);

		if (n < 0)
			return;
		peer_to_client(p, d, (size_t)n);
	}
}

static void peer_server_readable(struct loop_io *io, uint32_t events)
{
	struct dtls_peer *p = io->arg;

	(void)events;
	peer_touch(p);
	if (p->ss == NULL)
		peer_server_recv(p);
	peer_drive(p);
}

/* The client side, once the leaf for the spec host is known: the SSL that
 * passed the cookie exchange takes the leaf's context and goes on. */
static int peer_client_start(struct dtls_peer *p, SSL_CTX *tls)
{
	SSL_CTX *ctx = leaf_dtls_ctx(p->l->mode_index, tls);

	if (ctx == NULL || SSL_set_SSL_CTX(p->hello, ctx) == NULL)
		return -ENOMEM;
	p->cs = p->hello;
	p->hello = NULL;
	return 0;
}

static int peer_server_start(struct dtls_peer *p)
{
	const struct mode_spec *m = &wk->modes[p->l->mode_index];
	union sockaddr_any ip;
	BIO_ADDR *peer;
	const void *raw;
	size_t rawlen;
	BIO *b;

	if (client_ctx_init() < 0 || (p->ss = SSL_new(client_ctx)) == NULL ||
	    (b = BIO_new_dgram(p->fd, BIO_NOCLOSE)) == NULL)
		return -ENOMEM;
	SSL_set_bio(p->ss, b, b);
	/* The socket is connected: plain send/recv, no per-datagram address. */
	if ((peer = BIO_ADDR_new()) == NULL)
		return -ENOMEM;
	raw = dtls_addr_raw(&p->target, &rawlen);
	if (BIO_ADDR_rawmake(peer, p->target.sa.sa_family, raw, rawlen,
			     dtls_addr_port(&p->target)) == 1)
		(void)BIO_ctrl_set_connected(b, peer);
	BIO_ADDR_free(peer);
	if (addr_parse_ip(m->server.host, m->server.port, &ip) < 0)
		SSL_set_tlsext_host_name(p->ss, unconst(m->server.host));
	if (!wk->opts.ssl_insecure)
		SSL_set1_host(p->ss, m->server.host);
	SSL_set_connect_state(p->ss);
	return 0;
}

/* Asks for the leaf for the spec host; 0 when the client side started or
 * a ca reply is awaited. */
static int peer_want_cert(struct dtls_peer *p)
{
	const char *sans[1] = {wk->modes[p->l->mode_index].server.host};
	SSL_CTX *tls;

	if (leaf_ctx[p->l->mode_index])
		return peer_client_start(p, leaf_ctx[p->l->mode_index]);
	tls = certcache_get(sans, 1, NULL, &p->cert_seq);
	if (tls) {
		p->cert_seq = 0;
		return peer_client_start(p, tls);
	}
	return p->cert_seq ? 0 : -ENOENT;
}

/* A DTLS 1.0/1.2 handshake record holding a ClientHello. */
static bool looks_like_dtls(const uint8_t *d, size_t n)
{
	return n >= 14 && d[0] == 22 && d[1] == 0xfe && (d[2] == 0xfd || d[2] == 0xff) &&
	       d[13] == 1;
}

static bool peer_server_dtls(const struct worker_listener *l)
{
	return modespec_scheme_of(&wk->modes[l->mode_index])->dgram == SCHEME_DGRAM_DTLS;
}

/* A new peer; hello is its client side after the cookie exchange (the peer
 * owns it from here), or NULL for a raw UDP client. */
static struct dtls_peer *peer_new(struct worker_listener *l, const union sockaddr_any *from,
				  SSL *hello)
{
	struct dtls_peer *p = xcalloc(1, sizeof(*p));

	p->l = l;
	p->client = *from;
	p->raw = hello == NULL;
	p->hello = hello;
	p->fd = -1;
	if (hello) {
		BIO_set_data(SSL_get_rbio(hello), p);
		SSL_set_app_data(hello, &p->client);
	}
	loop_timer_init(&p->idle, peer_idle, p);
	loop_timer_init(&p->retx, peer_retx, p);
	if (udp_reverse_target(l->mode_index, &p->target) < 0 ||
	    (p->fd = socket(p->target.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) <
		0 ||
	    connect(p->fd, &p->target.sa, addr_len(&p->target.sa)) < 0)
		goto fail;
	loop_io_init(&p->io, p->fd, peer_server_readable, p);
	if (loop_io_set(wk->loop, &p->io, EPOLLIN) < 0 ||
	    (peer_server_dtls(l) && peer_server_start(p) < 0) || (hello && peer_want_cert(p) < 0))
		goto fail;
	p->rec = udp_record_start(l->mode_index, &from->ss, &p->target.ss);
	p->next = peers;
	peers = p;
	npeers++;
	return p;
fail:
	peer_release(p);
	free(p);
	return NULL;
}

/* ---- the cookie exchange: nothing is kept for a client until it returns
 * a valid cookie, so a spoofed source gets one small HelloVerifyRequest ---- */

static SSL *hello_ssl_new(void)
{
	SSL *ssl;
	BIO *b;

	if (hello_ctx == NULL && (hello_ctx = server_ctx_new()) == NULL)
		return NULL;
	if (dgram_meth_init() < 0 || (ssl = SSL_new(hello_ctx)) == NULL)
		return NULL;
	if ((b = BIO_new(dgram_meth)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	BIO_set_init(b, 1);
	SSL_set_bio(ssl, b, b);
	SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(ssl, DTLS_MTU);
	SSL_set_accept_state(ssl);
	return ssl;
}

/* Runs DTLSv1_listen on the first datagram of a new client: the SSL that
 * accepted a valid cookie (ClientHello buffered inside, handshake ready to
 * go on), or NULL when a HelloVerifyRequest went back or the datagram was
 * no usable ClientHello. */
static SSL *hello_listen(struct worker_listener *l, const union sockaddr_any *from,
			 const uint8_t *d, size_t n)
{
	struct dtls_peer probe = {.l = l, .client = *from};
	BIO_ADDR *who = BIO_ADDR_new();
	SSL *ssl = NULL;
	int r = -1;

	if (who == NULL || (hello_ssl == NULL && (hello_ssl = hello_ssl_new()) == NULL))
		goto out;
	BIO_set_data(SSL_get_rbio(hello_ssl), &probe);
	SSL_set_app_data(hello_ssl, &probe.client);
	dq_push(&probe.cq, d, n);
	r = DTLSv1_listen(hello_ssl, who);
	dq_clear(&probe.cq);
	BIO_set_data(SSL_get_rbio(hello_ssl), NULL);
	SSL_set_app_data(hello_ssl, NULL);
	if (r == 1) {
		ssl = hello_ssl;
		hello_ssl = NULL;
	}
out:
	ERR_clear_error();
	BIO_ADDR_free(who);
	return ssl;
}

/* ---- datagrams from clients ---- */

/* The first datagram of a new client address; a DTLS ClientHello makes a
 * peer only once it carries a valid cookie. */
static struct dtls_peer *peer_accept(struct worker_listener *l, const union sockaddr_any *from,
				     const uint8_t *d, size_t n)
{
	struct dtls_peer *p;
	SSL *hello = NULL;

	if (npeers >= DTLS_PEERS_MAX)
		return NULL;
	if (looks_like_dtls(d, n) && (hello = hello_listen(l, from, d, n)) == NULL)
		return NULL;
	p = peer_new(l, from, hello);
	if (p && hello == NULL)
		peer_to_server(p, d, n);
	return p;
}

static struct dtls_peer *peer_find(struct worker_listener *l, const union sockaddr_any *from)
{
	struct dtls_peer *p;

	for (p = peers; p; p = p->next)
		if (p->l == l && addr_equal(&p->client.sa, &from->sa))
			return p;
	return NULL;
}

static void client_datagram(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n)
{
	struct worker_listener *l = arg;
	struct dtls_peer *p;

	if (client_refused_udp(from))
		return;
	if ((p = peer_find(l, from)) == NULL) {
		if ((p = peer_accept(l, from, d, n)) == NULL)
			return;
	} else if (p->raw) {
		peer_to_server(p, d, n);
	} else {
		dq_push(&p->cq, d, n);
	}
	peer_touch(p);
	peer_drive(p);
}

void dtls_reverse_readable(struct worker_listener *l)
{
	uint8_t d[DTLS_DGRAM_MAX];

	udp_drain(l->fd, d, sizeof(d), 64, client_datagram, l);
}

/* A ca reply: peers waiting on seq start their client side. */
void dtls_reverse_on_cert(uint64_t seq)
{
	struct dtls_peer *p, *next;

	for (p = peers; p; p = next) {
		next = p->next;
		if (p->cert_seq != seq || seq == 0)
			continue;
		p->cert_seq = 0;
		if (peer_want_cert(p) < 0 || p->cs == NULL) {
			peer_free(p, "no certificate for the client side");
			continue;
		}
		peer_drive(p);
	}
}

void dtls_reverse_stop(void)
{
	size_t i;

	while (peers)
		peer_free(peers, NULL);
	for (i = 0; leaf_ctx && i < wk->nmodes; i++)
		SSL_CTX_free(leaf_ctx[i]);
	free(leaf_ctx);
	leaf_ctx = NULL;
	SSL_free(hello_ssl);
	hello_ssl = NULL;
	SSL_CTX_free(hello_ctx);
	hello_ctx = NULL;
	SSL_CTX_free(client_ctx);
	client_ctx = NULL;
	BIO_meth_free(dgram_meth);
	dgram_meth = NULL;
}
