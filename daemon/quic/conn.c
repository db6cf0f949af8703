/* Runs in the worker. The ngtcp2 side of a QUIC connection: its callbacks, a client's
 * creation, datagrams in, datagrams out (one write loop fed by raw streams or by nghttp3),
 * timers and closing. Trusts nothing in the datagrams; ngtcp2 validates them. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "quic/quic_int.h"

#define MAX_PKT 1452

void quic_credit(struct quic_conn *c, int64_t id, uint64_t n)
{
	ngtcp2_conn_extend_max_stream_offset(c->conn, id, n);
	ngtcp2_conn_extend_max_offset(c->conn, n);
}

void quic_conn_manual_credit(struct quic_conn *c)
{
	c->manual_credit = true;
}

uint64_t quic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NGTCP2_SECONDS + (uint64_t)ts.tv_nsec;
}

void quic_conn_copy_path(struct quic_conn *c, const struct quic_path *p)
{
	c->dgrams_tail = &c->dgrams;
	c->local_len = p->local_len <= sizeof(c->local) ? p->local_len : sizeof(c->local);
	c->remote_len = p->remote_len <= sizeof(c->remote) ? p->remote_len : sizeof(c->remote);
	memcpy(&c->local, p->local, c->local_len);
	memcpy(&c->remote, p->remote, c->remote_len);
}

void quic_path_of(struct quic_conn *c, ngtcp2_path *p)
{
	memset(p, 0, sizeof(*p));
	p->local.addr = (ngtcp2_sockaddr *)&c->local;
	p->local.addrlen = c->local_len;
	p->remote.addr = (ngtcp2_sockaddr *)&c->remote;
	p->remote.addrlen = c->remote_len;
}

static void rand_cb(uint8_t *dest, size_t n, const ngtcp2_rand_ctx *ctx)
{
	gnutls_rnd(GNUTLS_RND_RANDOM, dest, n);
}

static int new_cid_cb(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t len, void *ud)
{
	struct quic_conn *c = ud;

	if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, len) < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	cid->datalen = len;
	if (ngtcp2_crypto_generate_stateless_reset_token(token, c->reset_secret,
							 sizeof(c->reset_secret), cid) != 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/* The peer finished or reset one of its unidirectional streams. ngtcp2 0.12 does not close a
 * receive-only stream once its data is in (its close waits for a send side that does not
 * exist), so the peer's limit is raised here rather than at stream_close; the stream's small
 * state inside ngtcp2 stays until the connection ends. */
static void peer_uni_done(struct quic_conn *c, int64_t id)
{
	if ((id & 2) && !ngtcp2_conn_is_local_stream(c->conn, id))
		ngtcp2_conn_extend_max_streams_uni(c->conn, 1);
}

static int handshake_cb(ngtcp2_conn *conn, void *ud)
{
	struct quic_conn *c = ud;

	c->hs_done = true;
	quic_tls_handshake_done(c);
	if (quic_h3_on_handshake(c) < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (c->cb.handshake_done)
		c->cb.handshake_done(c->arg);
	return 0;
}

static int recv_stream_cb(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t off,
			  const uint8_t *p, size_t n, void *ud, void *sud)
{
	struct quic_conn *c = ud;
	bool fin = flags & NGTCP2_STREAM_DATA_FLAG_FIN;

	if (fin)
		peer_uni_done(c, id);
	if (c->h3)
		return quic_h3_on_stream_data(c, id, p, n, fin) < 0 ? NGTCP2_ERR_CALLBACK_FAILURE
								    : 0;
	if (c->cb.stream_data)
		c->cb.stream_data(c->arg, id, p, n, fin);
	if (!c->manual_credit)
		quic_credit(c, id, n);
	return 0;
}

static int acked_cb(ngtcp2_conn *conn, int64_t id, uint64_t off, uint64_t n, void *ud, void *sud)
{
	struct quic_conn *c = ud;

	if (c->h3)
		quic_h3_on_acked(c, id, n);
	else
		quic_stream_acked(c, id, n);
	return 0;
}

static int stream_open_cb(ngtcp2_conn *conn, int64_t id, void *ud)
{
	struct quic_conn *c = ud;

	if (!c->h3 && c->cb.stream_open)
		c->cb.stream_open(c->arg, id);
	return 0;
}

static int stream_close_cb(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t code, void *ud,
			   void *sud)
{
	struct quic_conn *c = ud;

	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET))
		code = c->h3 ? NGHTTP3_H3_NO_ERROR : 0;
	/* ngtcp2 never raises the peer's stream limit by itself: one closed, one more allowed */
	if (!ngtcp2_conn_is_local_stream(conn, id) && !(id & 2))
		ngtcp2_conn_extend_max_streams_bidi(conn, 1);
	if (c->h3) {
		quic_h3_on_close(c, id, code);
		return 0;
	}
	if (c->cb.stream_close)
		c->cb.stream_close(c->arg, id, code);
	quic_stream_closed(c, id);
	return 0;
}

static int stream_reset_cb(ngtcp2_conn *conn, int64_t id, uint64_t size, uint64_t code, void *ud,
			   void *sud)
{
	struct quic_conn *c = ud;

	peer_uni_done(c, id);
	if (c->h3)
		quic_h3_on_reset(c, id, code);
	else if (c->cb.stream_reset)
		c->cb.stream_reset(c->arg, id, code);
	return 0;
}

static int stop_sending_cb(ngtcp2_conn *conn, int64_t id, uint64_t code, void *ud, void *sud)
{
	return stream_reset_cb(conn, id, 0, code, ud, sud);
}

static int extend_stream_cb(ngtcp2_conn *conn, int64_t id, uint64_t max, void *ud, void *sud)
{
	struct quic_conn *c = ud;
	struct qstream *s;

	if (c->h3) {
		quic_h3_on_unblock(c, id);
		return 0;
	}
	if ((s = quic_stream_get(c, id, false)))
		s->blocked = false;
	return 0;
}

static int streams_cb(ngtcp2_conn *conn, uint64_t max, void *ud)
{
	struct quic_conn *c = ud;

	if (c->cb.streams_available)
		c->cb.streams_available(c->arg);
	return 0;
}

static int datagram_cb(ngtcp2_conn *conn, uint32_t flags, const uint8_t *p, size_t n, void *ud)
{
	struct quic_conn *c = ud;

	if (c->cb.datagram)
		c->cb.datagram(c->arg, p, n);
	return 0;
}

void quic_callbacks_fill(ngtcp2_callbacks *cb, bool server)
{
	memset(cb, 0, sizeof(*cb));
	if (server) {
		cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	} else {
		cb->client_initial = ngtcp2_crypto_client_initial_cb;
		cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	}
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->rand = rand_cb;
	cb->get_new_connection_id = new_cid_cb;
	cb->handshake_completed = handshake_cb;
	cb->recv_stream_data = recv_stream_cb;
	cb->acked_stream_data_offset = acked_cb;
	cb->stream_open = stream_open_cb;
	cb->stream_close = stream_close_cb;
	cb->stream_reset = stream_reset_cb;
	cb->stream_stop_sending = stop_sending_cb;
	cb->extend_max_stream_data = extend_stream_cb;
	cb->extend_max_local_streams_bidi = streams_cb;
	cb->extend_max_local_streams_uni = streams_cb;
	cb->recv_datagram = datagram_cb;
}

void quic_settings_fill(struct quic_conn *c, ngtcp2_settings *s, ngtcp2_transport_params *p)
{
	ngtcp2_settings_default(s);
	s->initial_ts = quic_now();
	s->max_tx_udp_payload_size = MAX_PKT;
	ngtcp2_transport_params_default(p);
	p->initial_max_stream_data_bidi_local = QUIC_STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = QUIC_STREAM_WINDOW;
	p->initial_max_stream_data_uni = QUIC_STREAM_WINDOW;
	p->initial_max_data = QUIC_CONN_WINDOW;
	p->initial_max_streams_bidi = 100;
	p->initial_max_streams_uni = 100;
	p->max_idle_timeout = (c->idle_s ? c->idle_s : QUIC_IDLE_TIMEOUT_S) * NGTCP2_SECONDS;
	p->max_datagram_frame_size = c->datagrams ? 65535 : 0;
	gnutls_rnd(GNUTLS_RND_RANDOM, c->reset_secret, sizeof(c->reset_secret));
}

struct quic_conn *quic_client_new(const struct quic_client_opts *o, const struct quic_path *path,
				  const struct quic_callbacks *cb, void *arg, const char **err)
{
	struct quic_conn *c = xcalloc(1, sizeof(*c));
	ngtcp2_callbacks ncb;
	ngtcp2_settings s;
	ngtcp2_transport_params p;
	ngtcp2_cid dcid = {.datalen = 18}, scid = {.datalen = 16};
	ngtcp2_path np;

	c->cb = *cb;
	c->arg = arg;
	c->datagrams = o->datagrams;
	c->idle_s = o->idle_timeout_s;
	c->writer = &quic_raw_writer;
	quic_conn_copy_path(c, path);
	quic_path_of(c, &np);
	gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, dcid.datalen);
	gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, scid.datalen);
	quic_callbacks_fill(&ncb, false);
	quic_settings_fill(c, &s, &p);
	if (quic_tls_client(c, o, err) < 0)
		goto fail;
	if (ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &np, NGTCP2_PROTO_VER_V1, &ncb, &s, &p,
				   NULL, c) != 0) {
		*err = "ngtcp2_conn_client_new failed";
		goto fail;
	}
	ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
	quic_conn_flush(c);
	return c;
fail:
	quic_conn_free(c);
	return NULL;
}

void quic_conn_free(struct quic_conn *c)
{
	if (!c)
		return;
	quic_h3_free(c->h3);
	if (c->conn)
		ngtcp2_conn_del(c->conn);
	quic_tls_free(c);
	quic_stream_free_all(c);
	while (c->dgrams) {
		struct qdgram *d = c->dgrams;

		c->dgrams = d->next;
		free(d);
	}
	free(c);
}

static void set_close(struct quic_conn *c, const ngtcp2_connection_close_error *e, bool local)
{
	size_t n =
	    e->reasonlen < sizeof(c->close.reason) - 1 ? e->reasonlen : sizeof(c->close.reason) - 1;

	c->close.app = e->type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION;
	c->close.code = e->error_code;
	c->close.local = local;
	if (n)
		memcpy(c->close.reason, e->reason, n);
	c->close.reason[n] = '\0';
}

static void send_close(struct quic_conn *c, const ngtcp2_connection_close_error *e)
{
	uint8_t buf[MAX_PKT];
	ngtcp2_path np;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	quic_path_of(c, &np);
	n = ngtcp2_conn_write_connection_close(c->conn, &np, &pi, buf, sizeof(buf), e, quic_now());
	if (n > 0 && c->cb.send)
		c->cb.send(c->arg, buf, (size_t)n);
}

void quic_conn_fail(struct quic_conn *c, int liberr)
{
	ngtcp2_connection_close_error e;

	if (c->closed)
		return;
	c->closed = true;
	if (liberr == NGTCP2_ERR_DRAINING || liberr == NGTCP2_ERR_CLOSING) {
		ngtcp2_conn_get_connection_close_error(c->conn, &e);
		set_close(c, &e, false);
		return;
	}
	ngtcp2_connection_close_error_default(&e);
	if (liberr == NGTCP2_ERR_CRYPTO)
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
		    &e, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
	else
		ngtcp2_connection_close_error_set_transport_error_liberr(&e, liberr, NULL, 0);
	set_close(c, &e, true);
	snprintf(c->close.reason, sizeof(c->close.reason), "%s", ngtcp2_strerror(liberr));
	c->close.idle = liberr == NGTCP2_ERR_IDLE_CLOSE;
	if (liberr != NGTCP2_ERR_IDLE_CLOSE && liberr != NGTCP2_ERR_DROP_CONN &&
	    liberr != NGTCP2_ERR_HANDSHAKE_TIMEOUT)
		send_close(c, &e);
}

void quic_conn_close(struct quic_conn *c, bool app, uint64_t code, const char *reason)
{
	ngtcp2_connection_close_error e;
	size_t rn = reason ? strlen(reason) : 0;

	if (c->closed)
		return;
	ngtcp2_connection_close_error_default(&e);
	if (app)
		ngtcp2_connection_close_error_set_application_error(&e, code,
								    (const uint8_t *)reason, rn);
	else
		ngtcp2_connection_close_error_set_transport_error(&e, code, (const uint8_t *)reason,
								  rn);
	c->closed = true;
	set_close(c, &e, true);
	if (c->busy) {
		c->pending = e;
		c->close_pending = true;
		return;
	}
	send_close(c, &e);
}

/* After ngtcp2 returns: sends a close asked for inside one of its callbacks. */
static void unbusy(struct quic_conn *c)
{
	c->busy = false;
	if (c->close_pending) {
		c->close_pending = false;
		send_close(c, &c->pending);
	}
}

int quic_conn_recv(struct quic_conn *c, const uint8_t *d, size_t n)
{
	ngtcp2_path np;
	ngtcp2_pkt_info pi = {0};
	int r;

	if (c->closed)
		return -ECONNRESET;
	quic_path_of(c, &np);
	c->busy = true;
	r = ngtcp2_conn_read_pkt(c->conn, &np, &pi, d, n, quic_now());
	unbusy(c);
	if (r != 0) {
		quic_conn_fail(c, r);
		return -ECONNRESET;
	}
	return quic_conn_flush(c);
}

uint64_t quic_conn_expiry(const struct quic_conn *c)
{
	ngtcp2_tstamp t = ngtcp2_conn_get_expiry(c->conn), now = quic_now();
	uint64_t ms = clock_ms();

	if (c->closed || t == UINT64_MAX)
		return UINT64_MAX;
	return t <= now ? ms : ms + (t - now + 999999) / 1000000;
}

int quic_conn_timeout(struct quic_conn *c)
{
	int r;

	if (c->closed)
		return -ECONNRESET;
	c->busy = true;
	r = ngtcp2_conn_handle_expiry(c->conn, quic_now());
	unbusy(c);
	if (r != 0) {
		quic_conn_fail(c, r);
		return -ECONNRESET;
	}
	return quic_conn_flush(c);
}

/* One packet from the writer's next stream (or none). Bytes written, 0 nothing more, <0 fatal.
 */
static ngtcp2_ssize write_one(struct quic_conn *c, uint8_t *buf, size_t cap, uint64_t ts)
{
	for (;;) {
		ngtcp2_vec v[16];
		size_t nv = 0;
		int64_t sid = -1;
		int fin = 0, r;
		ngtcp2_ssize n, datalen = -1;
		uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
		ngtcp2_path np;
		ngtcp2_pkt_info pi;

		if ((r = c->writer->next(c, &sid, &fin, v, &nv)) < 0)
			return r;
		if (fin)
			flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		quic_path_of(c, &np);
		n = ngtcp2_conn_writev_stream(c->conn, &np, &pi, buf, cap, &datalen, flags, sid, v,
					      nv, ts);
		if (datalen >= 0 && sid >= 0)
			c->writer->wrote(c, sid, (size_t)datalen);
		if (n == NGTCP2_ERR_WRITE_MORE)
			continue;
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
			c->writer->blocked(c, sid);
			continue;
		}
		if (n == NGTCP2_ERR_STREAM_SHUT_WR || n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			c->writer->shut(c, sid);
			continue;
		}
		return n;
	}
}

/* Queued DATAGRAM frames first, each in a packet of its own. 0, or <0 fatal. */
static int flush_datagrams(struct quic_conn *c, uint8_t *buf, size_t cap, uint64_t ts)
{
	int tries = 0;

	while (c->dgrams) {
		struct qdgram *d = c->dgrams;
		ngtcp2_vec v = {d->data, d->len};
		ngtcp2_path np;
		ngtcp2_pkt_info pi;
		int accepted = 0;
		ngtcp2_ssize w;

		quic_path_of(c, &np);
		w = ngtcp2_conn_writev_datagram(c->conn, &np, &pi, buf, cap, &accepted,
						NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, &v, 1, ts);
		if (w < 0)
			return (int)w;
		if (w > 0 && c->cb.send)
			c->cb.send(c->arg, buf, (size_t)w);
		if (!accepted && (w == 0 || ++tries > 16))
			return 0; /* not now (congestion, or not yet allowed): at the next flush */
		if (!accepted)
			continue;
		c->dgrams = d->next;
		if (!c->dgrams)
			c->dgrams_tail = &c->dgrams;
		c->ndgrams--;
		free(d);
	}
	return 0;
}

/* Sends what congestion control allows. No pacing (ngtcp2_conn_update_pkt_tx_time is not
 * called): the owners' loops have millisecond timers, and a pacing gap on a fast path is a few
 * microseconds, so each gap would cost a whole millisecond (a 100 MiB relay on loopback ran at
 * about 0.6x the origin's speed with pacing, 0.8x without). Bursts stay within the congestion
 * window. */
int quic_conn_flush(struct quic_conn *c)
{
	uint8_t buf[MAX_PKT];
	uint64_t ts = quic_now();
	ngtcp2_ssize n = 0;

	if (c->closed)
		return -ECONNRESET;
	if (c->busy)
		return 0; /* the call that made ngtcp2 busy flushes when it returns */
	c->busy = true;
	if (c->hs_done)
		n = flush_datagrams(c, buf, sizeof(buf), ts);
	for (int i = 0; n >= 0 && i < 1024; i++) {
		n = write_one(c, buf, sizeof(buf), ts);
		if (n <= 0)
			break;
		if (c->cb.send)
			c->cb.send(c->arg, buf, (size_t)n);
	}
	unbusy(c);
	if (n < 0) {
		quic_conn_fail(c, (int)n);
		return -ECONNRESET;
	}
	return 0;
}

int quic_datagram_send(struct quic_conn *c, const uint8_t *p, size_t n)
{
	const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
	struct qdgram *d;

	if (c->closed)
		return -ECONNRESET;
	if (!rp || !rp->max_datagram_frame_size || !c->datagrams)
		return -ENOTSUP;
	if (n > rp->max_datagram_frame_size || n > MAX_PKT - 64)
		return -EMSGSIZE;
	if (c->ndgrams >= QUIC_DGRAM_QUEUE)
		return -EAGAIN;
	d = xmalloc(sizeof(*d) + n);
	d->next = NULL;
	d->len = n;
	memcpy(d->data, p, n);
	*c->dgrams_tail = d;
	c->dgrams_tail = &d->next;
	c->ndgrams++;
	return quic_conn_flush(c) < 0 ? -ECONNRESET : 0;
}

/* The idle timeout that applies: ours, or the peer's when it offered a smaller one. */
static uint64_t idle_timeout(const struct quic_conn *c)
{
	const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
	uint64_t t = (uint64_t)(c->idle_s ? c->idle_s : QUIC_IDLE_TIMEOUT_S) * NGTCP2_SECONDS;

	if (rp && rp->max_idle_timeout && rp->max_idle_timeout < t)
		t = rp->max_idle_timeout;
	return t;
}

/* ngtcp2's keep-alive timer: after the interval without sending, a PING; 0 turns it off. It
 * runs only once the handshake is done; turned on before (a new server connection while a
 * request is held), the interval is a third of our own offer, the peer's being unknown yet. */
void quic_conn_keep_alive(struct quic_conn *c, bool on)
{
	if (c->keep_alive == on || c->conn == NULL)
		return;
	c->keep_alive = on;
	ngtcp2_conn_set_keep_alive_timeout(c->conn, on ? idle_timeout(c) / 3 : 0);
}

bool quic_conn_closed(const struct quic_conn *c)
{
	return c->closed;
}

bool quic_conn_handshake_done(const struct quic_conn *c)
{
	return c->hs_done;
}

const struct quic_close_info *quic_conn_close_info(const struct quic_conn *c)
{
	return &c->close;
}

const char *quic_conn_alpn(const struct quic_conn *c)
{
	return c->alpn;
}

const char *quic_conn_sni(const struct quic_conn *c)
{
	return c->sni;
}

uint32_t quic_conn_version(const struct quic_conn *c)
{
	return ngtcp2_conn_get_negotiated_version(c->conn);
}
