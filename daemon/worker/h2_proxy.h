/* The HTTP/2 layer (layer_h2, h2_proxy.c): an intercepted connection whose
 * client speaks h2, to a server speaking h2 or (translated) HTTP/1.1.
 * Runs in a worker. */
#ifndef SNARE_WORKER_H2_PROXY_H
#define SNARE_WORKER_H2_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "flow.pb-c.h"
#include "hold/hold.h"

struct conn;
struct h2_proxy;

/* The layer starts on c (client TLS up with ALPN h2, or a cleartext
 * client's preface); it connects the server itself when it is not yet
 * (lazy), and picks the server side's framing from its ALPN. */
void h2_proxy_start(struct conn *c);
/* The same engine for an HTTP/1.1 client (h1_server.c facing it) whose
 * server speaks h2 (http2_origin): its requests become h2 streams. */
void h2_proxy_start_h1(struct conn *c);
/* Whether the client may be offered h2 on c: http2 is on and the server
 * connection negotiated it (eager: its ALPN is mirrored), or there is no
 * TLS server session yet (lazy) or the server is plain: then snare
 * translates to HTTP/1.1 if the server does not speak h2. */
bool h2_proxy_server_ready(const struct conn *c);
/* Whether the plain bytes c's client sent first are the HTTP/2 client
 * preface (cleartext h2 with prior knowledge) and http2 is on. */
bool h2_proxy_prior_knowledge(const struct conn *c);
/* The SETTINGS frame the HTTP/2 layer sends a client first, for a layer that
 * answers the client's preface before it starts (h2_regular.c, RFC 9113
 * 3.4); that layer then sets c->h2_settings_sent.  Length or -ENOBUFS. */
ssize_t h2_proxy_settings(uint8_t *buf, size_t cap);
/* Whether the client's first plain bytes may still become the preface. */
bool h2_proxy_preface_wait(const struct conn *c);
/* Intercept (hold_http.c) resumes a held stream x (h2_proxy.c's
 * exchange), edited (method, path, headers; status and headers) or not,
 * reporting `how`; or kills it (both its streams are reset). */
void h2_proxy_hold_resume(void *x, enum hold_phase phase, const Snare__Flow *edited, unsigned how);
void h2_proxy_hold_kill(void *x);

#endif
