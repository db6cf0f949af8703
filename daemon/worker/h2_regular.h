/* Cleartext HTTP/2 with prior knowledge sent to a regular-mode listener
 * (h2_regular.c).  The client treats snare as the server and names the
 * real one in each request's :authority, as an absolute-form HTTP/1
 * request does in its target.  A regular-mode connection starts in
 * layer_h2_detect: HTTP/1 bytes go to the HTTP/1 engine at once; on the h2
 * preface snare's SETTINGS go out, then the layer waits for the first
 * request head, whose :authority (and
 * :scheme, proxy-authorization) binds the connection to one server before
 * the HTTP/2 layer (h2_proxy.c) connects to it.  Runs in a worker; the
 * client's bytes are untrusted (bounded, HPACK decoded by libnghttp2). */
#ifndef SNARE_WORKER_H2_REGULAR_H
#define SNARE_WORKER_H2_REGULAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/hooks.h"
#include "worker/http_framing.h"
#include "worker/layer.h"

struct conn;

/* What the first request head of a prior-knowledge connection said. */
struct h2r_first {
	char method[16], scheme[8], authority[300];
	char proxy_auth[700]; /* "" when absent */
};

enum h2r_peek { H2R_MORE, H2R_OK, H2R_BAD };

/* Finds and decodes the first HEADERS (and its CONTINUATIONs) after the
 * client preface in p[0..n).  H2R_MORE: not all there yet. */
enum h2r_peek h2_regular_peek(const uint8_t *p, size_t n, struct h2r_first *out);

/* A local answer to a stream (400, 407, 421, 502, mitm.it): the head and
 * body point into this struct (a mitm.it body into the worker's pages). */
struct h2r_answer {
	struct hooks_h2_out o;
	struct hf_field f[3];
	char len[24], disp[64], body[400];
};

/* Why a CONNECT stream (RFC 9113 8.5) is answered 502: a tunnel inside one
 * stream of a connection bound to a server does not fit this layer. */
#define H2R_NO_CONNECT "CONNECT over HTTP/2 is not supported; use HTTP/1.1 CONNECT."

/* For each request head on the HTTP/2 layer: true when c is a regular-mode
 * prior-knowledge connection and h must be answered here (no proxyauth,
 * CONNECT, no authority, another server than the one the connection is
 * bound to, mitm.it);
 * the answer is in *a.  Otherwise h loses its Proxy-Authorization field:
 * *fields is then the new field array (the caller frees it) or NULL. */
bool h2_regular_answer(struct conn *c, struct hf_head *h, struct h2r_answer *a,
		       struct hf_field **fields);

#endif
