/* Intercept in the worker (`--set intercept=FILTER`, and a script's
 * flow:intercept()): the store of held flows, HTTP/2 streams' entry
 * points (hold_h2_*, used by h2_proxy.c, which keeps a held stream), and
 * the HTTP/1 engine's points where a request or a response matching the filter is held in the
 * worker's store (daemon/hold/) with its connection paused, and what a
 * resume, an edit or a kill from the coordinator does to it (an edit is
 * checked against the held exchange before it is saved, and answered with
 * a HoldEditResult when the ui numbered it).  Runs in a worker; the edited
 * flows come from the web interface through the coordinator and are
 * untrusted: header names that are not tokens, values with controls,
 * methods or paths with spaces, heads that do not parse are refused. */
#ifndef SNARE_WORKER_HOLD_HTTP_H
#define SNARE_WORKER_HOLD_HTTP_H

#include <stdbool.h>

#include "flow.pb-c.h"
#include "ipc/ipc.h"

struct conn;
struct stream;
struct hold_http;

/* From wk->opts (intercept, intercept_timeout); the store stays empty when
 * intercept is "". */
void hold_http_configure(void);
/* A script called flow:intercept() at the request or response point: the
 * next hold point (hold_http_request, hold_http_response_head) holds the
 * flow as if the intercept filter matched it. */
void hold_http_want(struct conn *c);
/* The response hook held the whole response (rs, as the hooks left it) and
 * intercepted it: it becomes the collected response and is held.  False
 * when it passes unheld (the caller sends it). */
bool hold_http_response_script(struct conn *c, const Snare__HttpResponse *rs);
/* After routing and the request hooks: true when the request is held (or
 * waits for its body to be held); the connection is then CS_HELD. */
bool hold_http_request(struct conn *c);
/* CS_HELD: finishes collecting a request body, notices a client gone. */
void hold_http_step(struct conn *c, bool *progress);
/* The response head is in and the hooks let it pass: true when it waits
 * for its body to be held (do not forward it). */
bool hold_http_response_head(struct conn *c);
/* Where the response body goes: NULL while it is collected for a hold. */
struct stream *hold_http_body_sink(struct conn *c, struct stream *sink);
/* The response body is complete: holds it, or after a resume writes it out.
 * True when the exchange may end. */
bool hold_http_response_done(struct conn *c, bool *progress);
/* The exchange ends or the connection closes: a held flow leaves the store
 * (the ui is told: client gone). */
void hold_http_free(struct conn *c);
/* The flow id of an exchange that was held (its flows keep it), or NULL. */
const char *hold_http_flow_id(const struct conn *c);

/* HTTP/2 streams (h2_proxy.c), held in the same store: whether f is to be
 * held (forced: a script's flow:intercept()); holds it for the stream x
 * (0 and *id, the coordinator told; else it passes); a resumed or killed
 * stream's release (*id becomes 0); a stream gone while held. */
#include "hold/hold.h"
bool hold_h2_on(void); /* a filter is set: worth building a stream's flow */
bool hold_h2_wanted(const Snare__Flow *f, bool forced);
int hold_h2_put(void *x, struct conn *c, Snare__Flow *f, enum hold_phase phase, uint64_t *id);
void hold_h2_released(uint64_t *id, char *flow_id, unsigned how);
void hold_h2_forget(void *x, uint64_t *id, char *flow_id);

/* COORD_TO_WORKER handlers: hold (resume, edit, kill) and intercept. */
void hold_http_on_command(struct ipc_chan *ch, struct ipc_frame *f);
void hold_http_on_intercept(struct ipc_chan *ch, struct ipc_frame *f);

#endif
