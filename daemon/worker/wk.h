/* Worker internals shared by its files: the per-process worker context,
 * streams (a socket with optional TLS through memory BIOs) and connections
 * (a client stream, a server stream and the layer deciding what flows
 * between them).  Everything here runs in a worker and trusts nothing that
 * arrives on a stream. */
#ifndef SNARE_WORKER_WK_H
#define SNARE_WORKER_WK_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "certs/certs.h"
#include "config/modespec.h"
#include "config/options.h"
#include "core/addr.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/loop.h"
#include "http1/http1.h"
#include "netstack/netstack.h"
#include "ipc/ipc.h"
#include "resolve/resolve.h"
#include "tlsparse/tlsparse.h"
#include "ws/ws.h"

#define STREAM_BUF_MAX (64 * 1024)   /* plaintext in/out per direction */
#define STREAM_TXC_MAX (64 * 1024)   /* ciphertext waiting for the socket */
#define FLOW_BODY_KEEP (4u << 20)    /* at most this much of a body is kept for a flow */
#define FLOW_PART_BYTES (128 * 1024) /* body bytes per FlowBody frame */
#define CONNECT_TIMEOUT_MS 10000
#define UDP_IDLE_MS 20000    /* a relayed UDP flow ends after this long without a datagram */
#define WORKER_KEYLOG_FD 5   /* SSLKEYLOGFILE, when the coordinator opened one */
#define WORKER_TRUST_FD 6    /* ssl_verify_upstream_trusted_ca, likewise */
#define WORKER_HTPASSWD_FD 7 /* proxyauth @file, likewise */
#define WORKER_PROCMAP_FD 8  /* local mode: connection -> process map */
#define CERTS_SAN_WANT CERTS_MAX_SANS
#define RELAY_KEEP_MAX (96 * 1024) /* message bytes kept per raw/WebSocket flow */
#define RELAY_MSGS_MAX 1024

struct conn;
struct worker_listener {
	int fd;
	struct loop_io io;
	unsigned mode_index;
	bool udp;
	bool packet; /* a TUN fd feeding the network stack */
	union sockaddr_any addr;
};

struct regex_list {
	regex_t *re;
	size_t n;
};

struct certcache;
#include "wireguard/wg.h"
struct wk_wg {
	unsigned mode_index;
	struct wg_keys keys;
};

struct worker {
	struct loop *loop;
	unsigned index;
	struct ipc_chan coord;
	struct ipc_chan ca;
	bool have_config, have_ca, running, stopping;
	struct options opts;
	struct mode_spec *modes;
	size_t nmodes;
	struct worker_listener *listeners;
	size_t nlisteners;
	struct resolver *resolver;
	EVP_PKEY *leaf_key;
	uint8_t *leaf_spki;
	size_t leaf_spki_len;
	X509 *ca_cert;
	uint8_t *ca_pem, *ca_p12;
	size_t ca_pem_len, ca_p12_len;
	SSL_CTX *upstream_ctx;
	int keylog_fd;
	struct certcache *certs;
	struct regex_list ignore_hosts, allow_hosts, tcp_hosts;
	bool want_flows;  /* somebody prints or saves flows */
	struct wk_wg *wg; /* WireGuard keys per wireguard mode */
	size_t nwg;
	struct conn *conns; /* all live connections (doubly linked) */
	size_t nconns;
};

extern struct worker *wk;

/* ---- stream.c ---- */
struct ns_tcp;
struct stream {
	int fd;
	struct ns_tcp *ns; /* a netstack connection instead of a socket */
	struct loop_io io;
	struct conn *conn;
	SSL *ssl; /* the innermost TLS session */
	BIO *rbio, *wbio;
	struct {
		SSL *ssl;
		BIO *rbio, *wbio;
	} outer;	 /* TLS to snare itself (secure web proxy) under ssl */
	bool tls_client; /* we are the TLS client on this stream */
	bool tls_done;
	bool connecting; /* non-blocking connect in progress */
	bool rd_eof;	 /* peer closed its sending side (or TLS close_notify) */
	bool rd_ready;	 /* the socket may have bytes: set by epoll, cleared when drained */
	bool shut_req;	 /* close our sending side once out is flushed */
	bool shut_done;
	bool failed;
	const char *err; /* why it failed, or "" (owned; set with stream_set_err) */
	struct buf in;	 /* plaintext for the layer above */
	struct buf out;	 /* plaintext to send */
	struct buf rxc;	 /* TLS: ciphertext from the socket, not yet read by OpenSSL */
	struct buf txc;	 /* ciphertext waiting for the socket */
	union sockaddr_any peer, local;
	double ts_start, ts_tls;
};

void stream_init(struct stream *s, struct conn *c, int fd);
void stream_init_ns(struct stream *s, struct conn *c, struct ns_tcp *t);
/* Reads and writes whatever the socket and TLS state allow. */
void stream_io(struct stream *s, bool *progress);
void stream_interest(struct stream *s);
void stream_trim(struct stream *s);
void stream_close(struct stream *s);
/* Starts TLS on an open stream; bytes already in s->in are handed to TLS
 * as the first ciphertext (the peeked ClientHello). */
int stream_tls_start(struct stream *s, SSL_CTX *ctx, bool client, const char *sni);
bool stream_flushed(const struct stream *s);
void stream_fail(struct stream *s, const char *fmt, ...) SNARE_PRINTF(2, 3);
/* Sets s->err (at most 511 bytes) without failing the stream. */
void stream_set_err(struct stream *s, const char *fmt, ...) SNARE_PRINTF(2, 3);

/* ---- conn.c ---- */
enum conn_state {
	CS_CLIENT_HEAD,	  /* waiting for a request head */
	CS_CONNECTING,	  /* resolving / connecting upstream */
	CS_TUNNEL_DETECT, /* after CONNECT: what does the client speak? */
	CS_SERVER_TLS,	  /* handshake with the server */
	CS_CERT_WAIT,	  /* waiting for the leaf certificate from the ca */
	CS_CLIENT_TLS,	  /* handshake with the client */
	CS_EXCHANGE,	  /* an HTTP request/response in progress */
	CS_RELAY,	  /* raw bytes both ways (TCP, passthrough, WebSocket) */
	CS_CLOSING,	  /* flush what is queued, then close */
	CS_SOCKS,	  /* SOCKS5 greeting, authentication and request */
	CS_DNS_TCP,	  /* DNS over TCP: length-prefixed messages */
};

/* Whether the server side speaks TLS (reverse schemes decide; otherwise it
 * mirrors the client). */
enum srv_tls { SRV_TLS_AUTO, SRV_TLS_ALWAYS, SRV_TLS_NEVER };

struct body_xfer {
	enum http1_body kind;
	uint64_t remaining;
	struct http1_chunked chunked;
	bool done;
	uint64_t total;
	struct buf keep; /* up to FLOW_BODY_KEEP bytes for the flow */
	bool streamed;	 /* more than we keep */
};

struct http_msg {
	uint8_t *raw; /* copy of the head bytes; head points into it */
	size_t raw_len;
	struct http1_head *head;
	struct body_xfer body;
	double ts_start, ts_end;
};

struct conn_ws {
	struct ws_parser c2s, s2c;
};

struct conn {
	struct conn *prev, *next;
	unsigned mode_index;
	enum conn_state state;
	struct stream client, server;
	char client_str[ADDR_STRLEN];
	/* destination (strings: never NULL, "" when unset; set with conn_set_str) */
	const char *host;
	uint16_t port;
	bool tunnel; /* the server is fixed (CONNECT, SOCKS5, reverse) */
	enum mode_kind kind;
	enum srv_tls srv_tls;
	bool force_raw;	  /* reverse tcp:// and tls://: never parsed as HTTP */
	bool via;	  /* upstream mode: the server connection goes through a proxy */
	bool via_connect; /* ... and needs a CONNECT to reach the target */
	bool via_sent;
	const char *target_host; /* what the server connection must reach */
	uint16_t target_port;
	int socks_state;
	enum mode_kind kind_hint; /* set at accept for netstack connections */
	uint32_t proc_pid;	  /* local mode: the process that opened the connection */
	char proc_name[16];
	unsigned dns_pending;	     /* DNS over TCP: queries not answered yet */
	struct socks_udp *socks_udp; /* SOCKS5 UDP ASSOCIATE relay */
	bool tls;		     /* the client side is TLS (intercepted) */
	bool server_tls;
	bool authed;	    /* proxyauth passed (a CONNECT authenticates the connection) */
	bool proxy_tls;	    /* the client speaks TLS to snare itself (secure web proxy) */
	bool closing_after; /* close after the current response */
	bool server_reusable;
	bool server_up;		 /* "server connect" was logged for the server stream */
	const char *server_host; /* what the server stream is connected to */
	uint16_t server_port;
	struct resolve_req *resolving;
	union sockaddr_any *addrs;
	size_t naddrs, addr_i;
	struct loop_timer timer;	    /* connect timeout, or idle timeout (see active_ms) */
	uint64_t active_ms;		    /* loop time of the last byte moved on either stream */
	struct loop_timer kick;		    /* run the pump again soon */
	struct loop_timer head_timer;	    /* header_timeout: while waiting for a head/handshake */
	struct conn *wait_prev, *wait_next; /* the waiting connections, oldest first */
	uint64_t wait_since;		    /* loop time the current wait began */
	bool waiting;			    /* on that list */
	struct src_slot *src;		    /* its count in max_connections_per_source, or NULL */
	void (*on_connected)(struct conn *c, int err);
	/* TLS */
	struct tls_client_hello *hello;
	char alpn[32];
	const char *tls_sni; /* SNI we send upstream */
	uint64_t cert_seq;   /* pending ca request */
	/* HTTP exchange */
	struct http_msg req, resp;
	bool local_response; /* answered by us (error page, mitm.it) */
	bool flow_sent;
	char scheme[8]; /* of the current request: http or https */
	/* raw relay / WebSocket */
	bool websocket;
	struct conn_ws *ws; /* WebSocket parsers (only while relaying one) */
	bool relay_record;
	bool ws_dir_client; /* record raw messages in a TCP flow */
	Snare__Flow *rflow; /* TCP/WebSocket flow being collected */
	size_t rflow_bytes;
	bool freed;
};

struct src_slot;
/* A connection accepted on a listening socket; it owns fd and slot. */
void conn_accept(struct worker_listener *l, int fd, const union sockaddr_any *peer,
		 struct src_slot *slot);
void worker_conn_gone(void);
/* Local mode: fills c->proc_pid/proc_name from the redirector's map. */
void procmap_lookup(struct conn *c);
/* Local mode: who sends a UDP flow from src (its local port).  0 or -errno;
 * name is NUL-terminated. */
int procmap_lookup_udp(const struct sockaddr_storage *src, uint32_t *pid, char name[16]);
void conn_accept_ns(unsigned mode_index, struct ns_tcp *t, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst);
void conn_pump(struct conn *c);
void conn_pump_later(struct conn *c);
/* Closes the server stream, logging "server disconnect" if it was up. */
void conn_server_disconnect(struct conn *c);
void connect_step(struct conn *c, bool *progress);
bool conn_is_self(const char *host, uint16_t port);
/* upstream_auth as "Proxy-Authorization: Basic ...\r\n" (or ""), or the
 * bare "Basic ..." value (or ""). */
void conn_proxy_auth_line(char *out, size_t len);
void conn_basic_auth_value(char *out, size_t len);
void conn_close(struct conn *c);
/* Enters st; the idle clock restarts (CS_CONNECTING: the connect timeout). */
void conn_set_state(struct conn *c, enum conn_state st);
/* Bytes moved: the connection is not idle (tcp_timeout counts from here). */
static inline void conn_touch(struct conn *c)
{
	c->active_ms = loop_now(wk->loop);
}
/* Replaces one of c's strings (host, target_host, server_host, tls_sni) with
 * a copy of src, at most 255 bytes; src may be the old value. */
void conn_set_str(const char **dst, const char *src);
/* Frees c->ws (NULL is fine). */
void conn_ws_free(struct conn *c);
/* Connects the server stream to host:port (resolve + try each address). */
void conn_connect(struct conn *c, const char *host, uint16_t port,
		  void (*done)(struct conn *c, int err));
void conn_client_log(struct conn *c, enum log_level lvl, const char *fmt, ...) SNARE_PRINTF(3, 4);
/* For conn_connect's done callback: false when err >= 0; otherwise logs the
 * failure ("error establishing server connection") and returns true. */
bool conn_connect_failed(struct conn *c, int err);

/* ---- modes.c: how a connection starts, per mode ---- */
void mode_start(struct conn *c);
/* Where the server connection for host:port really goes (the upstream
 * proxy in upstream mode). */
void mode_server_address(struct conn *c, const char *host, uint16_t port, const char **h,
			 uint16_t *p);

/* ---- dns_mode.c ---- */
void dns_udp_readable(struct worker_listener *l);
void dns_tcp_step(struct conn *c, bool *progress);
void dns_conn_closed(struct conn *c);
void dns_stop_all(void);
void dns_ns_datagram(unsigned mode_index, struct ns_stack *ns, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, const uint8_t *d, size_t n);

/* ---- udp_flow.c: recording relayed UDP as a flow ---- */
struct udp_rec;
struct udp_rec *udp_record_start(unsigned mode_index, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *server);
void udp_record(struct udp_rec *r, bool from_client, const uint8_t *d, size_t n);
void udp_record_set_process(struct udp_rec *r, uint32_t pid, const char *name);
/* Sends the flow and frees r. */
void udp_record_finish(struct udp_rec *r, const char *error);
/* ---- udp_io.c: UDP sockets ---- */
/* The server side of a relayed UDP conversation: a socket connected to dst,
 * watched for replies (on_reply), with an idle timer of UDP_IDLE_MS armed.
 * The fd, or -errno (nothing left open). */
int udp_relay_open(const struct sockaddr *dst, struct loop_io *io, loop_io_fn on_reply,
		   struct loop_timer *idle, loop_timer_fn on_idle, void *arg);
/* Reads up to `max` datagrams from fd into buf[0..cap) and hands each to fn,
 * until the socket has none left (or fails). */
typedef void (*udp_datagram_fn)(void *arg, const union sockaddr_any *from, uint8_t *d, size_t n);
void udp_drain(int fd, uint8_t *buf, size_t cap, int max, udp_datagram_fn fn, void *arg);

/* ---- udp_reverse.c: reverse:udp:// ---- */
int udp_reverse_prepare(void);
void udp_reverse_readable(struct worker_listener *l);
void udp_reverse_stop(void);
/* The resolved target of a reverse udp:// or dtls:// mode; 0 or -ENOENT. */
int udp_reverse_target(unsigned mode_index, union sockaddr_any *out);

/* ---- dtls_reverse.c: reverse:dtls:// ---- */
int dtls_reverse_prepare(void);
void dtls_reverse_readable(struct worker_listener *l);
/* After tunnel_on_cert(): peers waiting on seq take the leaf. */
void dtls_reverse_on_cert(uint64_t seq);
void dtls_reverse_stop(void);

/* ---- packet.c: packet modes (tun) feeding the network stack ---- */
int packet_source_start(int fd, unsigned mode_index);
struct wg_keys;
int packet_source_start_wg(int fd, unsigned mode_index, const struct wg_keys *keys);
void packet_sources_stop(void);
int dns_read_resolv_conf(void);

/* ---- socks5_udp.c: UDP ASSOCIATE ---- */
struct socks_udp;
int socks5_udp_start(struct conn *c, union sockaddr_any *bound);
void socks5_udp_free(struct socks_udp *u);
void dns_flow_pair(unsigned mode_index, const union sockaddr_any *client,
		   const union sockaddr_any *server, const uint8_t *req, size_t reqlen,
		   const uint8_t *resp, size_t resplen);

/* ---- socks5.c ---- */
void socks5_step(struct conn *c, bool *progress);

/* ---- http.c: the HTTP/1 layer ---- */
void http_step(struct conn *c, bool *progress);
void http_exchange_reset(struct conn *c);
/* Queues a short HTML error page and closes after it. */
void http_error(struct conn *c, int status, const char *reason, const char *msg);

/* ---- tunnel.c: CONNECT tunnels, TLS interception, raw relay ---- */
void tunnel_detect_step(struct conn *c, bool *progress);
void tunnel_tls_step(struct conn *c, bool *progress);
void relay_step(struct conn *c, bool *progress);
void relay_start(struct conn *c, bool record);
int tunnel_server_tls_begin(struct conn *c);
/* Regular/upstream: a ClientHello instead of a request: TLS to snare itself. */
void tunnel_proxy_tls(struct conn *c, bool *progress);
void tunnel_on_cert(uint64_t seq, const uint8_t *der, size_t len, const char *err);

/* ---- certcache.c ---- */
/* Returns an SSL_CTX for the SAN list (cached), or NULL and sends a request
 * to the ca; tunnel_on_cert() is called with the reply's seq (*seq). */
SSL_CTX *certcache_get(const char *const *sans, size_t n, const char *org, uint64_t *seq);
SSL_CTX *certcache_complete(uint64_t seq, const uint8_t *der, size_t len);
void certcache_free_all(void);
/* Registers the worker's leaf key with the ca, once, at start. */
int certcache_register(void);
/* A cached leaf by its notAfter: served; served but asked for again; not
 * served (CERTS_LEAF_REFRESH_SECS, CERTS_LEAF_MIN_LEFT_SECS). */
enum cc_leaf_state { CC_LEAF_FRESH, CC_LEAF_STALE, CC_LEAF_EXPIRED };
enum cc_leaf_state certcache_leaf_state(time_t not_after, time_t now);

/* ---- tls_sessions.c: resumption towards servers ---- */
void tls_sessions_enable(SSL_CTX *ctx);
void tls_sessions_attach(SSL *ssl, const char *host, uint16_t port, const char *sni);

/* ---- tls.c ---- */
int tls_init(void);
SSL_CTX *tls_leaf_ctx(X509 *leaf);
/* Loads leaf, the worker's leaf key and the CA (as chain) into ctx (TLS or
 * DTLS).  0, or -EINVAL with the OpenSSL error queue cleared. */
int tls_ctx_use_leaf(SSL_CTX *ctx, X509 *leaf);
/* Suites and options of every client-facing context (TLS and DTLS). */
int tls_server_suites(SSL_CTX *ctx);
/* A server context of method m (TLS or DTLS), min_version up, with the
 * suites above; NULL on failure. */
SSL_CTX *tls_server_ctx_new(const SSL_METHOD *m, int min_version);
/* Key log lines (SSLKEYLOGFILE) for every session of ctx, TLS or DTLS. */
void tls_keylog_install(SSL_CTX *ctx);
void tls_describe(SSL *ssl, Snare__TlsInfo *ti);

/* ---- flows.c ---- */
void flow_send(Snare__Flow *f);
void flow_new_id(char out[37]);
/* f = an empty flow of `type` created at ts, with a new id written to `id`. */
void flow_init(Snare__Flow *f, char id[37], Snare__Flow__Type type, double ts);
/* a = sa's host and port (host written to `host`); left empty unless sa is
 * AF_INET or AF_INET6. */
void flow_addr_fill(Snare__Address *a, const struct sockaddr *sa, char host[INET6_ADDRSTRLEN]);
void flow_send_http(struct conn *c, const char *error);
/* Raw TCP and WebSocket flows: f holds the collected messages (not freed). */
void flow_send_tcp(struct conn *c, Snare__Flow *f, const char *error);
void flow_send_ws(struct conn *c, Snare__Flow *f, const char *error);

/* ---- hosts.c ---- */
int hosts_compile(struct regex_list *l, const struct strlist *src, char *err, size_t errlen);
bool hosts_ignored(const char *host, uint16_t port);
bool hosts_match(const struct regex_list *l, const char *host, uint16_t port);

/* ---- htpasswd.c: proxyauth @file ---- */
int htpasswd_load(void);
bool htpasswd_check(const char *user_colon_pass);

/* ---- pages.c: error pages and mitm.it ---- */
/* Serves a mitm.it request; an unknown path gets a 404 page. */
void pages_onboarding(struct conn *c, const struct http1_head *req);

#endif
