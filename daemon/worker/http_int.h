/* Internal interface between the worker's HTTP/1 files (http.c,
 * http_route.c, http_exchange.c).  Runs in a worker. */
#ifndef SNARE_WORKER_HTTP_INT_H
#define SNARE_WORKER_HTTP_INT_H

#include "worker/conn.h"

/* http_route.c: where a parsed request goes (CONNECT, absolute-form, Host,
 * the tunnel), proxy authentication and mitm.it. */
void http_route_request(struct conn *c);
/* http_exchange.c: sends the head and streams the bodies. */
void http_send_request(struct conn *c);
void http_exchange_step(struct conn *c, bool *progress);
/* Builds the origin-form head for the server into out. */
int http_build_request_head(struct conn *c, struct buf *out);
/* Records a locally generated response (error page, mitm.it) in c->resp. */
void http_local_response(struct conn *c, const uint8_t *resp, size_t len);
/* body_size_limit: the request body is too large.  Records the flow with
 * the error, closes the server connection and answers 413 (or resets the
 * client when a response has already started). */
void http_refuse_request_body(struct conn *c);
/* http.c */
int http_take_head(struct http_msg *m, struct buf *in, size_t len, bool request, bool parsed);
void http_msg_clear(struct http_msg *m);
/* The server connection failed: 502 "Cannot connect to host:port: why" with
 * `hint` appended. */
void http_bad_gateway(struct conn *c, const char *hint);
#endif
