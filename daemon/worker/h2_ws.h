/* WebSocket over HTTP/2 (RFC 8441) in the HTTP/2 layer (h2_ws.c): an
 * extended CONNECT with :protocol websocket from an h2 client becomes one
 * stream of h2_proxy.c whose body, both ways, is the WebSocket's bytes;
 * this module decides whether it may go on, shapes the head for the server
 * side and parses the frames both ways to record the messages in the
 * stream's HTTP/2.0 flow.  Runs in a worker. */
#ifndef SNARE_WORKER_H2_WS_H
#define SNARE_WORKER_H2_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "flow.pb-c.h"
#include "worker/hooks.h"
#include "worker/http_framing.h"

struct h2ws;
struct conn;
struct h2_msg;

/* A client stream's head carries :protocol: 0 and *ws made for a
 * WebSocket; otherwise the status to answer (501: a protocol snare does not
 * relay, RFC 8441 4). */
int h2ws_request(const struct hf_head *h, struct h2ws **ws);
/* The stream's connection, flow id and heads, for the scripts' view of the
 * flow (the pointers must outlive ws). */
void h2ws_bind(struct h2ws *ws, struct conn *c, char *flow_id, const struct h2_msg *req,
	       const struct h2_msg *resp);
/* Whether the server side can carry it: 0, or the status to answer (501:
 * an h2 server that did not send SETTINGS_ENABLE_CONNECT_PROTOCOL), or
 * -EAGAIN while that server's SETTINGS have not come.
 * `h2srv`: the server side's h2 framing, NULL for the HTTP/1.1 pool (which
 * translates, h1_client.c). */
int h2ws_server_status(const struct http_framing *h2srv);
/* The head for the server: :protocol websocket (a hook's edit keeps it) and
 * no Sec-WebSocket-Extensions (the frames must stay readable, as on
 * HTTP/1).  Returns the field array h now points to, the caller's to free
 * once h is submitted. */
struct hf_field *h2ws_server_head(struct hf_head *h);
/* The response status: a 2xx starts the WebSocket (frames parsed from now;
 * whether scripts want websocket_message is decided here). */
void h2ws_response(struct h2ws *ws, int status);
/* websocket_start or websocket_end (error: the flow's) for a started
 * WebSocket; true when a hook killed it. */
bool h2ws_event(struct h2ws *ws, enum script_event ev, const char *error);
/* websocket_message: while h2ws_hooked (for that direction: not once it
 * passes through, a frame too large to hold, and nothing of the hooks'
 * waits), each direction's bytes go through
 * h2ws_filter instead of straight on: all n bytes are taken (owed to the
 * sender's window until h2ws_owed hands them back), and what goes on, held
 * messages after the hook, is appended to `out` as far as its room allows
 * (n 0: only what waits); h2ws_pending says something still waits for room.
 * -ENOBUFS when the bytes cannot be held. */
bool h2ws_hooked(const struct h2ws *ws, bool up);
int h2ws_filter(struct h2ws *ws, bool up, const uint8_t *p, size_t n, struct buf *out);
bool h2ws_pending(const struct h2ws *ws, bool up);
size_t h2ws_owed(struct h2ws *ws, bool up);
/* Stream bytes in one direction (`up`: from the client), forwarded
 * unchanged by the caller: parsed to record messages.  A protocol error
 * stops the recording; h2ws_error then names it for the flow (else NULL,
 * and NULL for a NULL ws). */
void h2ws_data(struct h2ws *ws, bool up, const uint8_t *p, size_t n);
const char *h2ws_error(const struct h2ws *ws);
/* The messages and close code for the flow (websocket set), or NULL before
 * the WebSocket started. */
const Snare__Flow *h2ws_flow(const struct h2ws *ws);
void h2ws_free(struct h2ws *ws);

#endif
