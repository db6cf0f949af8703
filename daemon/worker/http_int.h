/* Internal interface between the worker's HTTP/1 files (http.c,
 * http_route.c, http_exchange.c).  Runs in a worker. */
#ifndef SNARE_WORKER_HTTP_INT_H
#define SNARE_WORKER_HTTP_INT_H

#include "worker/conn.h"
#include "worker/http.h"

/* http_route.c: where a parsed request goes (CONNECT, absolute-form, Host,
 * the tunnel), proxy authentication and mitm.it. */
void http_route_request(struct conn *c);
/* After server replay let the request pass: the hooks, then the server. */
void http_route_forward(struct conn *c);
/* What follows the request hooks (also once a body they waited for is in):
 * intercept may hold the request, else it goes to the server. */
void http_route_after_hooks(struct conn *c);
/* http_exchange.c: sends the head and streams the bodies. */
void http_send_request(struct conn *c);
void http_exchange_step(struct conn *c, bool *progress);
/* Builds the origin-form head for the server into out. */
int http_build_request_head(struct conn *c, struct buf *out);
/* Records a locally generated response (error page, mitm.it) in c->resp. */
void http_local_response(struct conn *c, const uint8_t *resp, size_t len);
/* After an exchange: wait for the next request on a kept connection, or
 * close once the answer is out. */
void http_exchange_next(struct conn *c, bool keep);
/* body_size_limit: the request body is too large.  Records the flow with
 * the error, closes the server connection and answers 413 (or resets the
 * client when a response has already started). */
void http_refuse_request_body(struct conn *c);
/* http.c */
/* Ends the exchange in progress, recording its flow if it was not sent. */
void http_exchange_reset(struct conn *c);
int http_take_head(struct http_msg *m, struct buf *in, size_t len, bool request, bool parsed);
void http_msg_clear(struct http_msg *m);
/* m's head, allocated with a fresh incremental scan when there is none. */
struct http1_head *http_msg_head(struct http_msg *m);
/* The server connection failed: 502 "Cannot connect to host:port: why" with
 * `hint` appended. */
void http_bad_gateway(struct conn *c, const char *hint);
/* http_exchange.c: the engine's side of a body piece (kept for the flow
 * up to stream_large_bodies) and its body_size_limit check. */
void http_body_piece(void *arg, const uint8_t *d, size_t n);
bool http_body_over_limit(const struct body_xfer *b);

/* ---- http1_wire.c: the HTTP/1 framing ---- */
/* max_header_bytes and max_headers as parser limits. */
struct http1_limits http_limits(void);
void h1_body_init(struct body_xfer *b, enum http1_body kind, uint64_t len);
/* Moves body bytes from `from` to `to` (NULL: discard), each piece seen by
 * http_body_piece.  -EPROTO on bad chunk framing; -EMSGSIZE once the payload
 * passes body_size_limit (the bytes that pass it are not forwarded). */
int h1_body_move(struct body_xfer *b, struct stream *from, struct stream *to, bool *progress);
/* Resets the client connection (a response cut short) and closes c. */
void h1_abort_client(struct conn *c);

#endif
