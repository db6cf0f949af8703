/* reverse:http3://host[:port] (h3_reverse.c): the HTTP/3 layer over the two QUIC connections
 * quic_reverse.c makes for a client (one served to it, one to the server). Runs in a worker;
 * both peers' bytes are untrusted (nghttp3 checks the framing and QPACK). */
#ifndef SNARE_WORKER_H3_REVERSE_H
#define SNARE_WORKER_H3_REVERSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "flow.pb-c.h"
#include "hold/hold.h"

struct quic_conn;
struct h3r;

enum { H3R_CLIENT, H3R_SERVER }; /* the connection served to the client, the one to the server */

/* What the flows say about the connections. */
struct h3r_info {
	unsigned mode_index;
	union sockaddr_any client, local, target;
	double ts_start;
	/* The server's name and port for :authority and the flows: the spec's (reverse), or the
	 * client's SNI and the address it sent to (intercepted, where :authority is kept). */
	char host[256];
	uint16_t port;
	bool intercept;
	uint32_t pid; /* local mode: the client's process (0: none) */
	char proc_name[16];
	/* Called after this layer sent outside the connections' own events (a held exchange
	 * resumed, heads that waited for the hooks): the owner re-arms its timers. */
	void (*kick)(void *arg);
	void *kick_arg;
	/* A new connection to the server, once the last one (which had finished its handshake)
	 * is gone, e.g. idle while a request was held: 0 when one is on its way (h3r_server_back
	 * was called), else the request is answered 502. NULL: never. */
	int (*reconnect)(void *arg);
};

/* Attaches HTTP/3 to both connections (both still handshaking). Owned by the caller. client
 * may be NULL (intercepted QUIC: the client is served once the server's handshake is done);
 * h3r_client attaches it then. */
struct h3r *h3r_new(struct quic_conn *client, struct quic_conn *server,
		    const struct h3r_info *info);
void h3r_client(struct h3r *r, struct quic_conn *client);
/* Records what is still in progress with `error` (NULL: "connection closed"), then frees. */
void h3r_free(struct h3r *r, const char *error);
/* Events of side H3R_CLIENT or H3R_SERVER's connection. */
void h3r_handshake(struct h3r *r, int side);
void h3r_writable(struct h3r *r, int side, int64_t id);
void h3r_available(struct h3r *r, int side);
/* The server's connection is gone (why: for the flows and the log): its exchanges end, and
 * requests without a response, now and later, are answered 502. The caller frees it after. */
void h3r_server_gone(struct h3r *r, const char *why);
/* A new connection to the server (still handshaking) replaces the gone one. */
void h3r_server_back(struct h3r *r, struct quic_conn *server);
void h3r_kick(struct h3r *r);
/* Whether intercept holds one of its exchanges (request or response): the owner keeps both
 * connections alive meanwhile (quic_conn_keep_alive). */
bool h3r_holding(const struct h3r *r);

/* Intercept (hold_http.c): a held exchange (its cookie) resumed, with the user's edit or NULL,
 * or killed. */
void h3r_hold_resume(void *x, enum hold_phase phase, const Snare__Flow *edited, unsigned how);
void h3r_hold_kill(void *x);

#endif
