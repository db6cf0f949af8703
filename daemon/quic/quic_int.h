/* Runs in the worker. Internal to the QUIC module (quic.h): the connection object shared by
 * conn.c (ngtcp2 glue, read/write/timers), tls.c (GnuTLS sessions), stream.c (raw streams),
 * server.c (accepting, Retry) and h3.c (nghttp3), and the send buffer they keep stream data
 * in until the peer acknowledged it (ngtcp2 and nghttp3 keep pointers into it, so bytes never
 * move once queued). */
#ifndef SNARE_QUIC_INT_H
#define SNARE_QUIC_INT_H

#include <gnutls/gnutls.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <sys/socket.h>

#include "quic/quic.h"

/* Bytes queued on a stream: a list of chunks; acknowledged bytes are freed from the head. */
struct sbuf_chunk;
struct sbuf {
	struct sbuf_chunk *head, *tail, *cur; /* cur: the chunk holding the first unsent byte */
	size_t head_off;		      /* acknowledged bytes at the start of head */
	size_t cur_off;			      /* sent bytes of cur */
	size_t queued;			      /* bytes not yet acknowledged */
	size_t unsent;
};

size_t sbuf_append(struct sbuf *b, const uint8_t *p, size_t n, size_t limit);
/* Up to max vectors of unsent bytes; their count. */
size_t sbuf_peek(const struct sbuf *b, ngtcp2_vec *v, size_t max);
void sbuf_sent(struct sbuf *b, size_t n);
void sbuf_ack(struct sbuf *b, size_t n);
void sbuf_free(struct sbuf *b);

/* A stream's send state (raw streams and HTTP/3 request streams alike). */
struct qstream {
	int64_t id;
	struct sbuf out;
	bool fin_queued, fin_try, fin_sent, blocked, want_writable;
	bool h3_end, h3_trailers; /* h3: body complete; trailers were submitted */
	struct qstream *next;
};

/* How the write loop finds stream data: raw streams or nghttp3. */
struct quic_writer {
	/* The next stream with data: 0 with *sid = -1 when none; <0 fatal. */
	int (*next)(struct quic_conn *c, int64_t *sid, int *fin, ngtcp2_vec *v, size_t *nv);
	void (*wrote)(struct quic_conn *c, int64_t sid, size_t n);
	void (*blocked)(struct quic_conn *c, int64_t sid);
	void (*shut)(struct quic_conn *c, int64_t sid);
};

/* DATAGRAM frames waiting for the next flush (bounded by QUIC_DGRAM_QUEUE). */
#define QUIC_DGRAM_QUEUE 64
struct qdgram {
	struct qdgram *next;
	size_t len;
	uint8_t data[];
};

struct quic_conn {
	ngtcp2_conn *conn;
	bool busy;	    /* inside ngtcp2 (its callbacks must not write packets) */
	bool close_pending; /* quic_conn_close while busy: sent when ngtcp2 returns */
	ngtcp2_connection_close_error pending;
	struct qdgram *dgrams, **dgrams_tail;
	size_t ndgrams;
	ngtcp2_crypto_conn_ref ref;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	bool cred_shared; /* a client's: the quic_trust's, not freed here */
	struct quic_callbacks cb;
	void *arg;
	bool server, closed, hs_done, datagrams;
	bool manual_credit; /* received bytes are credited by quic_stream_consumed */
	bool keep_alive;    /* quic_conn_keep_alive */
	unsigned idle_s;    /* the max_idle_timeout we offer */
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	struct quic_close_info close;
	struct qstream *streams;
	size_t queued;	   /* unacknowledged bytes of all streams (at most QUIC_CONN_BUF) */
	bool conn_blocked; /* a write was cut short by QUIC_CONN_BUF */
	const struct quic_writer *writer;
	struct quic_h3 *h3;
	uint8_t reset_secret[32];
	char alpn[64], sni[256];
};

uint64_t quic_now(void); /* ngtcp2 timestamps: monotonic nanoseconds */
void quic_path_of(struct quic_conn *c, ngtcp2_path *p);
void quic_callbacks_fill(ngtcp2_callbacks *cb, bool server);
void quic_settings_fill(struct quic_conn *c, ngtcp2_settings *s, ngtcp2_transport_params *p);
/* Records why the connection ended, sends CONNECTION_CLOSE when ours, marks it closed. */
void quic_conn_fail(struct quic_conn *c, int liberr);
void quic_conn_copy_path(struct quic_conn *c, const struct quic_path *p);
/* Gives the peer n more bytes of flow-control credit on stream id and on the connection. */
void quic_credit(struct quic_conn *c, int64_t id, uint64_t n);

int quic_tls_client(struct quic_conn *c, const struct quic_client_opts *o, const char **err);
int quic_tls_server(struct quic_conn *c, const struct quic_server_opts *o, const char **err);
void quic_tls_free(struct quic_conn *c);
void quic_tls_handshake_done(struct quic_conn *c);

struct qstream *quic_stream_get(struct quic_conn *c, int64_t id, bool create);
/* Queues what fits of p[0..n) on s; sets *ended when all of it fitted and end is asked for,
 * else asks for a stream_writable call. Bytes taken. */
size_t quic_stream_queue(struct quic_conn *c, struct qstream *s, const uint8_t *p, size_t n,
			 bool end, bool *ended);
void quic_stream_free_all(struct quic_conn *c);
extern const struct quic_writer quic_raw_writer;
void quic_stream_acked(struct quic_conn *c, int64_t id, uint64_t n);
void quic_stream_closed(struct quic_conn *c, int64_t id);

/* h3.c's hooks from the ngtcp2 callbacks. */
int quic_h3_on_handshake(struct quic_conn *c);
int quic_h3_on_stream_data(struct quic_conn *c, int64_t id, const uint8_t *p, size_t n, bool fin);
void quic_h3_on_acked(struct quic_conn *c, int64_t id, uint64_t n);
void quic_h3_on_close(struct quic_conn *c, int64_t id, uint64_t code);
void quic_h3_on_reset(struct quic_conn *c, int64_t id, uint64_t code);
void quic_h3_on_unblock(struct quic_conn *c, int64_t id);
void quic_h3_free(struct quic_h3 *h);

#endif
