/* Internal interface between h3_reverse.c (the HTTP/3 relay: streams, bodies, the record) and
 * hooks_h3.c (the script hooks, rewrites and intercept on its exchanges). Runs in a worker; both
 * peers are untrusted, scripts and edited flows too. */
#ifndef SNARE_WORKER_H3_REVERSE_INT_H
#define SNARE_WORKER_H3_REVERSE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/loop.h"
#include "h2/h2.h"
#include "worker/conn.h"
#include "worker/h3_reverse.h"
#include "worker/http.h"
#include "worker/http_framing.h"

#define H3_NO_ERROR 0x100
#define H3_INTERNAL_ERROR 0x102
#define H3_EXCESSIVE_LOAD 0x107
#define H3_REQUEST_CANCELLED 0x10c

/* One exchange: a client stream and its server stream; arrays are indexed by the side the
 * bytes go to (H3R_SERVER: the request, H3R_CLIENT: the response). */
struct h3x {
	struct h3x *next;
	struct h3r *r;
	int64_t id[2];		  /* -1: not open on that side (yet) */
	struct h2_msg req, resp;  /* heads: pseudo-fields apart, the rest in wire order */
	struct h2_msg tr[2];	  /* trailers for side s */
	struct body_xfer body[2]; /* what went to side s, for the flow */
	struct buf pend[2];	  /* body bytes side s has not taken yet */
	size_t credit[2];	  /* bytes at pend[s]'s front the sender got credit for already */
	bool head_sent[2], ended[2], end_sent[2], closed[2];
	/* The head for side s is in; the hooks and intercept have not seen it yet (fresh: whether
	 * a body follows is not known yet; wait: its body is collected for the hooks; held: by
	 * intercept). Its stream (request) or head (response) waits meanwhile. */
	bool fresh[2], wait[2], held[2];
	bool held_whole; /* ... held with its whole body (an edit may replace it) */
	uint64_t hold_id;
	bool local; /* answered by us (502, 413, a hook): the server side is dropped */
	int busy;   /* inside a call that may report its stream's close at once: kept */
	bool has_resp;
	double ts[2][2]; /* [side][0 start, 1 end] */
	char error[160];
	char flow_id[37]; /* the same at the hooks, in intercept and in the record */
};

struct h3r {
	struct quic_conn *c[2];
	struct quic_h3 *h[2];
	struct h3r_info info;
	struct conn cn; /* what the flows and the hooks read about the connections */
	struct h3x *xs;
	struct loop_timer
	    settle;	/* fresh heads go on once the datagram that brought them is read */
	char gone[128]; /* why the server connection is gone ("" while it is up) */
	bool server_ok; /* the server connection finished its handshake */
};

/* h3_reverse.c, for hooks_h3.c. */
void h3x_error(struct h3x *x, const char *fmt, ...) SNARE_PRINTF(2, 3);
/* Passes what is pending for side s on; x may be done after (and freed unless busy). */
void h3x_flush(struct h3r *r, struct h3x *x, int s);
void h3x_maybe_done(struct h3r *r, struct h3x *x);
/* The request goes to the server (x->req), or the response head to the client (x->resp). */
void h3x_open_server(struct h3r *r, struct h3x *x);
void h3x_send_response(struct h3r *r, struct h3x *x);
/* Answers the client with h and body (recorded as the response), no server stream. */
void h3x_respond(struct h3r *r, struct h3x *x, const struct hf_head *h, const uint8_t *body,
		 size_t len);
/* Ends both streams with code; the exchange is over. */
void h3x_kill(struct h3r *r, struct h3x *x, uint64_t code);
/* body_size_limit reached for side s. */
void h3x_over_limit(struct h3r *r, struct h3x *x, int s);
/* The sender of side s's bytes may send n more. */
void h3x_credit(struct h3r *r, struct h3x *x, int s, size_t n);

/* hooks_h3.c. An owned copy of a head as HTTP/3 sends it (names lower-cased, connection-specific
 * fields dropped); m is initialised here, free it even on failure. */
int h3x_msg_from_head(struct h2_msg *m, const struct hf_head *h);
/* Whether the hooks or intercept may want side s's head (else it goes on at once). */
bool h3x_hooks_wanted(int s);
/* The head for side s is complete (end: and its message, which has no body): the hooks, a
 * body collected for them, intercept, then on. */
void h3x_head_ready(struct h3r *r, struct h3x *x, int s, bool end);
/* A body piece for side s while its head waits (wait or held): false when it is not. */
bool h3x_body_waiting(struct h3r *r, struct h3x *x, int s, const uint8_t *p, size_t n);
/* The sender of side s's message ended while its head waits. */
void h3x_end_waiting(struct h3r *r, struct h3x *x, int s);
/* The head for side s is not on its way: fresh, collected for the hooks or held. */
bool h3x_head_waits(const struct h3x *x, int s);

#endif
