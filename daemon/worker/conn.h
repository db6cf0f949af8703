/* Connections: a client stream, a server stream, the destination and the
 * layer deciding what flows between them (conn.c: accept, pump, timers,
 * close; connect.c: the server connection).  Runs in a worker. */
#ifndef SNARE_WORKER_CONN_H
#define SNARE_WORKER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/modespec.h"
#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "resolve/resolve.h"
#include "tlsparse/tlsparse.h"
#include "worker/http.h"
#include "worker/layer.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

enum conn_state {
	CS_CLIENT_HEAD,	  /* waiting for a request head */
	CS_CONNECTING,	  /* resolving / connecting upstream */
	CS_TUNNEL_DETECT, /* after CONNECT: what does the client speak? */
	CS_SERVER_TLS,	  /* handshake with the server */
	CS_CERT_WAIT,	  /* waiting for the leaf certificate from the ca */
	CS_CLIENT_TLS,	  /* handshake with the client */
	CS_PROXY_HELLO,	  /* a ClientHello to snare itself (secure web proxy) */
	CS_EXCHANGE,	  /* an HTTP request/response in progress */
	CS_RELAY,	  /* raw bytes both ways (TCP, passthrough, WebSocket) */
	CS_CLOSING,	  /* flush what is queued, then close */
	CS_SOCKS,	  /* SOCKS5 greeting, authentication and request */
	CS_DNS_TCP,	  /* DNS over TCP: length-prefixed messages */
	CS_H2,		  /* HTTP/2 streams both ways (h2_proxy.c) */
	CS_HELD,	  /* an HTTP/1 request or response held by intercept (hold_http.c) */
};

/* Whether the server side speaks TLS (reverse schemes decide; otherwise it
 * mirrors the client). */
enum srv_tls { SRV_TLS_AUTO, SRV_TLS_ALWAYS, SRV_TLS_NEVER };

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
	enum mode_kind kind_hint; /* set at accept for netstack connections */
	uint32_t proc_pid;	  /* local mode: the process that opened the connection */
	char proc_name[16];
	/* Flow ids, made on first use (flows.c): the client and server
	 * connections', and a raw TCP flow's; "" until then. */
	char id_client[37], id_server[37], id_flow[37];
	bool tls; /* the client side is TLS (intercepted) */
	bool server_tls;
	bool authed;		 /* proxyauth passed (a CONNECT authenticates the connection) */
	bool proxy_tls;		 /* the client speaks TLS to snare itself (secure web proxy) */
	bool h2_settings_sent;	 /* our h2 SETTINGS went before the HTTP/2 layer (h2_regular.c) */
	bool server_reusable;	 /* the server connection may carry another request */
	bool server_kept;	 /* ... and has carried one already (not fresh) */
	bool server_up;		 /* "server connect" was logged for the server stream */
	bool server_pooled;	 /* the server stream came from the upstream pool */
	char *server_key;	 /* its upstream pool key (TLS; owned), or NULL */
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
	bool srv_parallel;   /* the server handshake runs beside the client's (tunnel.c) */
	/* The current layer (layer.h) and each layer's state, allocated when
	 * the layer starts and freed by its close op (NULL until then). */
	const struct layer_ops *layer;
	struct http_state *http;   /* http.h */
	struct relay_state *relay; /* relay.c */
	struct socks_state *socks; /* socks5.c */
	struct dns_tcp *dns;	   /* dns_mode.c */
	struct h2_proxy *h2;	   /* h2_proxy.c */
	/* mitmproxy's is_replay for the flows of c (replay_worker.h): "request"
	 * on a client replay's connection, "response" while server replay
	 * answers; NULL otherwise. */
	const char *replay_mark;
	bool freed;
};

struct src_slot;
struct worker_listener;
/* A connection accepted on a listening socket; it owns fd and slot. */
void conn_accept(struct worker_listener *l, int fd, const union sockaddr_any *peer,
		 struct src_slot *slot);
void conn_accept_ns(unsigned mode_index, struct ns_tcp *t, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst);
void conn_pump(struct conn *c);
void conn_pump_later(struct conn *c);
/* Closes the server stream, logging "server disconnect" if it was up. */
void conn_server_disconnect(struct conn *c);
void conn_close(struct conn *c);
/* Enters st; the idle clock restarts (CS_CONNECTING: the connect timeout). */
void conn_set_state(struct conn *c, enum conn_state st);
/* Bytes moved: the connection is not idle (tcp_timeout counts from here). */
static inline void conn_touch(struct conn *c)
{
	if (c != NULL) /* NULL: a pooled stream (h2_pool.c) */
		c->active_ms = loop_now(wk->loop);
}
/* Replaces one of c's strings (host, target_host, server_host, tls_sni) with
 * a copy of src, at most 255 bytes; src may be the old value. */
void conn_set_str(const char **dst, const char *src);
void conn_client_log(struct conn *c, enum log_level lvl, const char *fmt, ...) SNARE_PRINTF(3, 4);

/* ---- connect.c: the server connection ---- */
void connect_step(struct conn *c, bool *progress);
/* Connects the server stream to host:port (resolve + try each address). */
void conn_connect(struct conn *c, const char *host, uint16_t port,
		  void (*done)(struct conn *c, int err));
/* For conn_connect's done callback: false when err >= 0; otherwise logs the
 * failure ("error establishing server connection") and returns true. */
bool conn_connect_failed(struct conn *c, int err);
bool conn_is_self(const char *host, uint16_t port);
/* Starts TLS towards the server: SNI c->tls_sni, hostname (or IP)
 * verification unless ssl_insecure, the ALPN offer next_layer_alpn() picks. */
int conn_server_tls_begin(struct conn *c);
/* upstream_auth as "Proxy-Authorization: Basic ...\r\n" (or ""), or the
 * bare "Basic ..." value (or ""). */
void conn_proxy_auth_line(char *out, size_t len);
void conn_basic_auth_value(char *out, size_t len);

#endif
