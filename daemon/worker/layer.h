/* Layers: what a connection speaks, one protocol at a time, and the one
 * place where the next layer is chosen (layer.c).  The connection framework
 * (conn.c) knows no protocol: it runs the current layer's step, asks every
 * layer to trim and to close, and nothing else.  A layer keeps its state in
 * its own allocation on the connection, made when the layer starts and
 * freed by its close op.  Runs in a worker. */
#ifndef SNARE_WORKER_LAYER_H
#define SNARE_WORKER_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

struct layer_ops {
	const char *name;
	/* Moves what it can (the connection's state says which part of the
	 * layer runs); sets *progress when something changed.  May close c. */
	void (*step)(struct conn *c, bool *progress);
	/* The connection closes: report what was collected (flows) and free
	 * what the state points to.  Called for every layer that has state on
	 * c, current or not; the state itself is freed after it.  NULL: nothing
	 * to do. */
	void (*close)(struct conn *c);
	/* After a pump: give back what an idle connection no longer needs.
	 * NULL: nothing to give back. */
	void (*trim)(struct conn *c);
	/* Whether the layer's wait for its client is over although the
	 * connection's state still counts as waiting (header_timeout).  NULL:
	 * the state decides. */
	bool (*wait_over)(const struct conn *c);
	/* The layer's state: a pointer in struct conn at offset state_at, to
	 * state_size zeroed bytes allocated when the layer starts (kept if it
	 * starts again) and freed when the connection closes.  state_size 0:
	 * the layer manages its own (the tunnel's ClientHello). */
	size_t state_at, state_size;
};

/* A layer_ops initializer's state fields for the pointer `field` of struct
 * conn (which must be complete where this is used). */
#define LAYER_STATE(field)                                                                         \
	.state_at = offsetof(struct conn, field), .state_size = sizeof(*((struct conn *)0)->field)

/* The layers, each defined in its own file. */
extern const struct layer_ops layer_http;      /* http.c: HTTP/1 requests (the engine) */
extern const struct layer_ops layer_tunnel;    /* tunnel.c: first bytes, TLS interception */
extern const struct layer_ops layer_relay;     /* relay.c: raw TCP and WebSocket */
extern const struct layer_ops layer_socks5;    /* socks5.c: the SOCKS5 handshake */
extern const struct layer_ops layer_dns;       /* dns_mode.c: DNS over TCP */
extern const struct layer_ops layer_h2;	       /* h2_proxy.c: HTTP/2 both ways */
extern const struct layer_ops layer_h2_detect; /* h2_regular.c: HTTP/1 or h2 (regular mode) */

/* What just became known about a connection, for next_layer(). */
enum nl_event {
	NL_START,	  /* a new connection: its mode decides */
	NL_TUNNEL,	  /* a tunnel is open: CONNECT answered, SOCKS5 connected, a
			     reverse/transparent/packet destination (connected when eager) */
	NL_TLS_HELLO,	  /* the tunnel's first bytes are a ClientHello (c->hello) */
	NL_TLS_BAD,	  /* ... look like TLS but the ClientHello is invalid */
	NL_PLAIN_HTTP,	  /* ... look like an HTTP request */
	NL_PLAIN_OTHER,	  /* ... are something else */
	NL_SERVER_FIRST,  /* the server spoke first in a silent tunnel */
	NL_CLIENT_TLS_UP, /* the client's TLS handshake is over */
	NL_PROXY_TLS,	  /* a ClientHello where a proxy request was expected */
	NL_UPGRADE,	  /* the server answered 101 to an Upgrade (WebSocket) */
	NL_CLIENT_H1,	  /* a regular-mode client's first bytes are HTTP/1 */
	NL_CLIENT_H2,	  /* ... the h2 preface and a first request (h2_regular.c) */
	NL_H2C_REFUSED,	  /* an HTTP/1.1 client's plain server did not take h2c */
	NL_SERVER_H2,	  /* an HTTP/1.1 client's server chose h2 before its first
			     request was taken (http.c, http2_origin) */
	NL_EVENT_COUNT
};

/* The one decision point: every change of layer goes through here (TLS or
 * not, ignored hosts, tcp_hosts, HTTP/1 (HTTP/2 next, by ALPN or preface),
 * raw TCP, WebSocket, SOCKS5, DNS), and the layer that starts allocates its
 * state.  May close c. */
void next_layer(struct conn *c, enum nl_event ev);

/* The ALPN list to offer a server (wire format), chosen from the client's
 * offer and the mode; false: offer none. */
bool next_layer_alpn(const struct conn *c, const uint8_t **protos, size_t *len);

/* For the framework: every layer's close op (conn_close), trim op
 * (conn_trim), and the current layer's wait_over. */
void layers_close(struct conn *c);
void layers_trim(struct conn *c);
bool layer_wait_over(const struct conn *c);

#endif
