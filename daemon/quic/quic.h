/* Runs in the worker (and in tests/tools/quicpeer). The one interface to QUIC and HTTP/3 for
 * the rest of snare: today a wrapper over ngtcp2 0.12 with GnuTLS and nghttp3 0.8, so a later
 * move to ngtcp2 1.x or OpenSSL's QUIC changes this module only. No sockets inside: the caller
 * feeds received datagrams, gets datagrams to send through a callback, and calls back at the
 * deadline quic_conn_expiry() gives. Trusts nothing from the peer; trusts its caller's
 * certificates, keys and trust settings.
 * The Initial reader (peek at a client's SNI/ALPN without a connection) is quic/initial.h. */
#ifndef SNARE_QUIC_H
#define SNARE_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Flow-control windows we give a peer: bytes a stream (a connection) may send ahead of what
 * its owner consumed; with manual credit, what a relay holds at most per stream (connection). */
#define QUIC_STREAM_WINDOW (4u << 20)
#define QUIC_CONN_WINDOW (8u << 20)
/* Bytes a stream (all streams of a connection) keep unacknowledged before quic_stream_write
 * accepts no more. */
#define QUIC_STREAM_BUF (1024 * 1024)
#define QUIC_CONN_BUF (4u << 20)
#define QUIC_MAX_ALPN 8
/* The max_idle_timeout a connection offers unless its options say otherwise; the one that
 * applies is the smaller of both peers' (RFC 9000 section 10.1). */
#define QUIC_IDLE_TIMEOUT_S 30

struct quic_conn;
struct quic_h3;

enum quic_verify {
	QUIC_VERIFY_SYSTEM,   /* the system trust store */
	QUIC_VERIFY_CA_FILE,  /* the PEM file in ca_file */
	QUIC_VERIFY_INSECURE, /* no verification (-k) */
};

/* A trust setting, loaded once: files are read here, so a sandboxed process makes it before
 * entering its sandbox and shares it between connections. NULL with *err on failure. */
struct quic_trust;
struct quic_trust *quic_trust_new(enum quic_verify verify, const char *ca_file, const char **err);
void quic_trust_free(struct quic_trust *t);

struct quic_client_opts {
	const char *sni;		 /* also the name verified; NULL: no SNI, no name check */
	const char *alpn[QUIC_MAX_ALPN]; /* NULL-terminated list */
	const struct quic_trust *trust;	 /* not owned; outlives the connection */
	bool datagrams;			 /* offer DATAGRAM frames (RFC 9221) */
	unsigned idle_timeout_s;	 /* 0: QUIC_IDLE_TIMEOUT_S */
};

struct quic_server_opts {
	/* The certificate chain (leaf first) and its key, PEM or DER, in memory. */
	const uint8_t *cert, *key;
	size_t cert_len, key_len;
	const char *alpn[QUIC_MAX_ALPN]; /* accepted, in order of preference; NULL-terminated */
	bool datagrams;
	unsigned idle_timeout_s; /* 0: QUIC_IDLE_TIMEOUT_S */
};

/* How a connection ended (or why it could not start). */
struct quic_close_info {
	bool app;      /* an application error code (else a transport one) */
	uint64_t code; /* e.g. 0x100 H3_NO_ERROR, or 0x0 NO_ERROR; 0x100 + alert for TLS */
	char reason[128];
	bool local; /* we closed it */
	bool idle;  /* ... because nothing came for the idle timeout */
};

/* What the connection tells its owner. Stream ids are QUIC's. Any may be NULL. */
struct quic_callbacks {
	/* A datagram to send to the peer (the owner's socket, the connection's remote). */
	void (*send)(void *arg, const uint8_t *p, size_t n);
	void (*handshake_done)(void *arg);
	void (*stream_open)(void *arg, int64_t id); /* the peer opened a stream */
	/* Data in order; fin with the last (n may be 0). */
	void (*stream_data)(void *arg, int64_t id, const uint8_t *p, size_t n, bool fin);
	void (*stream_reset)(void *arg, int64_t id, uint64_t code); /* RESET_STREAM/STOP_SENDING */
	void (*stream_close)(void *arg, int64_t id, uint64_t code); /* both sides are done */
	void (*stream_writable)(void *arg, int64_t id); /* room again after a short write */
	void (*streams_available)(void *arg);		/* quic_stream_open may succeed again */
	void (*datagram)(void *arg, const uint8_t *p, size_t n);
	/* One SSLKEYLOGFILE line without the newline (client randoms and QUIC secrets). */
	void (*keylog)(void *arg, const char *line);
};

/* Both ends of the path; addresses are copied. */
struct quic_path {
	const struct sockaddr *local, *remote;
	socklen_t local_len, remote_len;
};

/* A client connection; its first datagrams go out from here through cb->send.
 * NULL with *err set on failure (bad trust file, library error). */
struct quic_conn *quic_client_new(const struct quic_client_opts *o, const struct quic_path *path,
				  const struct quic_callbacks *cb, void *arg, const char **err);

/* Server side. Before creating a connection for a datagram from an unknown remote, the owner
 * asks quic_server_check: */
enum quic_accept {
	QUIC_ACCEPT,	       /* create the connection with quic_server_new */
	QUIC_ACCEPT_RETRY,     /* send the Retry in out[0..*out_len) instead, keep no state */
	QUIC_ACCEPT_VERSION,   /* a version we do not speak: send the Version Negotiation in out */
	QUIC_ACCEPT_DROP,      /* not QUIC, or not a client Initial: drop it */
	QUIC_ACCEPT_MALFORMED, /* a client Initial that does not parse (truncated, bogus lengths,
				* too small a datagram): drop it */
	QUIC_ACCEPT_BAD_TOKEN, /* a Retry token that is not ours, expired, or for another address */
};

/* Secret for Retry tokens; the owner makes one per process (random). */
struct quic_retry_secret {
	uint8_t key[32];
};
void quic_retry_secret_init(struct quic_retry_secret *s);

/* With retry set, an Initial carrying a Retry token is accepted only when the token is valid,
 * and its state (opaque, QUIC_CHECK_STATE bytes) goes to quic_server_new; with under_load too,
 * an Initial without one is answered by a Retry. A token is checked even when the load has
 * gone since its Retry was sent (the client then expects the Retry's connection ids). */
#define QUIC_CHECK_STATE 48
enum quic_accept quic_server_check(const uint8_t *d, size_t n, const struct quic_path *path,
				   const struct quic_retry_secret *retry, bool under_load,
				   uint8_t *out, size_t cap, size_t *out_len,
				   uint8_t state[QUIC_CHECK_STATE]);
struct quic_conn *quic_server_new(const struct quic_server_opts *o, const uint8_t *first, size_t n,
				  const struct quic_path *path,
				  const uint8_t state[QUIC_CHECK_STATE],
				  const struct quic_callbacks *cb, void *arg, const char **err);

void quic_conn_free(struct quic_conn *c);

/* A datagram from the peer. 0; -ECONNRESET when the connection is over (see close info);
 * the owner then frees it after sending what it sent. */
int quic_conn_recv(struct quic_conn *c, const uint8_t *d, size_t n);
/* The next deadline on clock_ms()'s scale (UINT64_MAX: none); call quic_conn_timeout then. */
uint64_t quic_conn_expiry(const struct quic_conn *c);
int quic_conn_timeout(struct quic_conn *c);
/* Sends what is pending (the other calls do this themselves). 0 or -ECONNRESET. */
int quic_conn_flush(struct quic_conn *c);
/* Closes with an application (app) or transport error code; sends CONNECTION_CLOSE. */
void quic_conn_close(struct quic_conn *c, bool app, uint64_t code, const char *reason);
bool quic_conn_closed(const struct quic_conn *c);
/* While on (off at first), a connection that sent nothing for a third of its idle timeout (the
 * one that applies) sends a PING, which the peer acknowledges: neither side's idle timer runs
 * out. For connections that must outlive a quiet peer for a while (a request held by the
 * user); quic_conn_expiry changes with it. */
void quic_conn_keep_alive(struct quic_conn *c, bool on);
bool quic_conn_handshake_done(const struct quic_conn *c);
const struct quic_close_info *quic_conn_close_info(const struct quic_conn *c);
/* The negotiated ALPN ("" before the handshake or without one) and the client's SNI. */
const char *quic_conn_alpn(const struct quic_conn *c);
const char *quic_conn_sni(const struct quic_conn *c);
uint32_t quic_conn_version(const struct quic_conn *c);

/* Raw streams (not while an HTTP/3 layer is attached). 0 or -EAGAIN when the peer's stream
 * limit is reached (streams_available says when to retry), -ECONNRESET. */
int quic_stream_open(struct quic_conn *c, bool bidi, int64_t *id);
/* Queues up to n bytes (fewer when the stream's buffer is full: stream_writable follows);
 * fin is sent once all n bytes were taken. Bytes taken, or -ENOENT / -EPIPE (write side done). */
long quic_stream_write(struct quic_conn *c, int64_t id, const uint8_t *p, size_t n, bool fin);
/* By default received stream bytes are credited back to the peer as soon as stream_data (or
 * quic_h3 data) has been called. After quic_conn_manual_credit the owner credits them with
 * quic_stream_consumed once it has passed them on: the peer then sends no more than the
 * flow-control windows (QUIC_STREAM_WINDOW, QUIC_CONN_WINDOW) ahead of the owner. */
void quic_conn_manual_credit(struct quic_conn *c);
int quic_stream_consumed(struct quic_conn *c, int64_t id, size_t n);
/* Aborts both directions with an application error code. */
int quic_stream_reset(struct quic_conn *c, int64_t id, uint64_t code);
/* A DATAGRAM frame: 0, -ENOTSUP (the peer does not take them), -EMSGSIZE, -EAGAIN. */
int quic_datagram_send(struct quic_conn *c, const uint8_t *p, size_t n);

/* ---- HTTP/3 over a connection (ALPN h3) ---- */

struct quic_h3_field {
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

/* Neutral callbacks, like an HTTP/1 framing's: a head (request or response, 1xx included), body
 * data, trailers, the end of the message, a reset. */
struct quic_h3_callbacks {
	void (*head)(void *arg, int64_t id, const struct quic_h3_field *f, size_t n);
	void (*data)(void *arg, int64_t id, const uint8_t *p, size_t n);
	void (*trailers)(void *arg, int64_t id, const struct quic_h3_field *f, size_t n);
	void (*end)(void *arg, int64_t id);
	void (*reset)(void *arg, int64_t id, uint64_t code); /* the peer reset or stopped it */
	/* Both directions of a request stream are over (code: H3_NO_ERROR or the reset's). */
	void (*close)(void *arg, int64_t id, uint64_t code);
};
/* Room on an HTTP/3 stream again after a short quic_h3_write is reported by the connection's
 * stream_writable callback, as for raw streams. */

/* Attaches HTTP/3 (call once the connection exists; a client may send requests at once). */
struct quic_h3 *quic_h3_attach(struct quic_conn *c, const struct quic_h3_callbacks *cb, void *arg);
/* A request (client) with pseudo-headers first; body follows with quic_h3_write unless
 * end. 0 or -EAGAIN (stream limit), -EINVAL. */
int quic_h3_request(struct quic_h3 *h, const struct quic_h3_field *f, size_t n, bool end,
		    int64_t *id);
int quic_h3_response(struct quic_h3 *h, int64_t id, const struct quic_h3_field *f, size_t n,
		     bool end);
/* Body bytes, as quic_stream_write. end: no trailers follow. */
long quic_h3_write(struct quic_h3 *h, int64_t id, const uint8_t *p, size_t n, bool end);
/* Trailers end the message. */
int quic_h3_trailers(struct quic_h3 *h, int64_t id, const struct quic_h3_field *f, size_t n);
int quic_h3_reset(struct quic_h3 *h, int64_t id, uint64_t code);

#endif
