/* The worker's side of scripts and rewrites (hooks.c, hooks_http.c):
 * the Lua scripts and built-in rewrites of the worker configuration, and
 * the calls the HTTP engine makes at its points.  Each point is one call
 * from the engine; what a hook changed is applied here (a new request head,
 * a local response, a kill, a rewritten response).  Runs in a worker; the
 * scripts are untrusted code confined by daemon/script/. */
#ifndef SNARE_WORKER_HOOKS_H
#define SNARE_WORKER_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "ipc.pb-c.h"
#include "rewrite/rewrite.h"
#include "script/script.h"
#include "worker/http_framing.h"

struct conn;

struct hooks {
	struct script_set scripts;
	struct rewrite_set rewrites;
	bool active;		  /* a script or a rewrite is configured */
	bool want_req, want_resp; /* something runs at the request / response points */
};
extern struct hooks hooks;

/* Loads the scripts (OptionFile kind 1) and the rewrite options of the
 * configuration, then runs load, configure and running.  -EINVAL with one
 * line in err (a rewrite that does not parse, a script that does not load)
 * and none of them active: the worker goes on without. */
int hooks_configure(const Snare__WorkerConfig *cfg, char *err, size_t errlen);
/* Runs done and frees the scripts. */
void hooks_done(void);

/* Per-exchange state (c->http->hooks), NULL until a hook needs it. */
struct hooks_http {
	bool wait_body;	    /* the request hook waits for the request body */
	bool hold_response; /* the response head waits for its body */
	struct buf pending; /* the rewritten response not yet in client.out */
	size_t pending_off;
};

/* After routing, before the request goes to the server: requestheaders,
 * request.  True when the hooks answered (local response) or killed the
 * connection, or wait for the request body (then c->http->hooks->wait_body
 * is set and http_step calls hooks_http_step, which runs request and sends
 * the request once the body is in): the caller stops there. */
bool hooks_http_request(struct conn *c);
void hooks_http_step(struct conn *c, bool *progress);
/* The response head is taken: responseheaders, and whether the body is
 * held for the response hook.  True: do not forward the head now. */
bool hooks_http_response_head(struct conn *c);
/* Where the response body goes: NULL while it is held. */
struct stream *hooks_http_body_sink(struct conn *c);
/* The response body is complete: response (with the body when held), then
 * the rewritten response goes out.  False while bytes are still pending. */
bool hooks_http_response_done(struct conn *c, bool *progress);
void hooks_http_free(struct conn *c);

/* hooks_msg.c: tcp_message for n bytes at *p going to a buffer with `room`
 * bytes free.  FORWARD: *p, *n are what to send (the hooks' bytes are owned
 * by *keep, NULL or to free after); DROP: send nothing; KILL: close c. */
/* Runs ev on f (the caller's, not freed): the SCRIPT_CH_* bits. */
unsigned hooks_event_run(Snare__Flow *f, enum script_event ev);
/* Runs ev on f (the caller's, not freed) with one current message (d, n bytes): the
 * SCRIPT_CH_* bits, and a changed content (not dropped) in *out (malloc'd,
 * *outlen bytes; NULL when unchanged). */
unsigned hooks_message_run(Snare__Flow *f, enum script_event ev, bool from_client, const uint8_t *d,
			   size_t n, Snare__Message__Kind kind, uint8_t **out, size_t *outlen);
/* A start, end or error event of a relayed TCP or WebSocket flow (error:
 * flow.error, or NULL); true when a hook killed the flow. */
bool hooks_flow_event(struct conn *c, enum script_event ev, bool websocket, const char *error);
/* The HTTP error hook: the exchange on c failed with `error`. */
void hooks_http_error(struct conn *c, const char *error);
enum hooks_msg { HOOKS_MSG_FORWARD, HOOKS_MSG_DROP, HOOKS_MSG_KILL };
/* hooks_ws.c: websocket_message on a relayed WebSocket, frame by frame.
 * hooks_ws_relay moves what it can from `from` to `to` (each piece handed
 * to `sent` once in to->out) and returns false when this direction passes
 * through instead (a frame too large to hold); *w is allocated on first
 * use, freed with hooks_ws_free. */
struct hooks_ws;
struct stream;
bool hooks_ws_wanted(void);
bool hooks_ws_relay(struct conn *c, struct hooks_ws **w, struct stream *from, struct stream *to,
		    bool from_client,
		    void (*sent)(struct conn *c, bool from_client, const uint8_t *p, size_t n),
		    bool *progress);
void hooks_ws_free(struct hooks_ws *w);
/* The same between buffers, for a WebSocket over HTTP/2 (h2_ws.c): frames
 * from `in` to `out` (as far as its room allows; the rest waits here for
 * the next call), the script's flow from view->open (given back to
 * view->close after the hook; `view` must outlive *w).  False once this
 * direction passes through: then the caller moves `in` itself. */
struct hooks_ws_view {
	Snare__Flow *(*open)(void *arg);
	void (*close)(void *arg, Snare__Flow *f);
	void *arg;
};
bool hooks_ws_filter(struct conn *c, struct hooks_ws **w, const struct hooks_ws_view *view,
		     bool from_client, struct buf *in, struct buf *out);
/* Bytes of that direction wait here for room in `out`. */
bool hooks_ws_pending(const struct hooks_ws *w, bool from_client);

/* hooks_local.c: map_local's files as the configuration carries them
 * (OptionFile kind 2), each spec marked file or directory; served from
 * memory at the request hook, after the scripts.  hooks_map_local: true
 * when a spec matched and sf's flow now has its response (the file, or a
 * 404 when no candidate was sent). */
void hooks_local_load(const Snare__WorkerConfig *cfg, struct rewrite_set *set);
void hooks_local_free(void);
bool hooks_local_wanted(void);
bool hooks_map_local(struct script_flow *sf);

/* hooks_udp.c: udp_start (before the first datagram) and udp_message for
 * a relayed UDP flow: false when the datagram is dropped or the flow
 * killed; a changed datagram in *d, *n, owned by *keep.  udp_end, or
 * udp_error when error is set, as the flow ends. */
struct udp_rec;
bool hooks_udp_message(struct udp_rec *r, bool from_client, const uint8_t **d, size_t *n,
		       uint8_t **keep);
void hooks_udp_end(struct udp_rec *r, const char *error);

/* hooks_tls.c: tls_clienthello, once c's ClientHello was read and c is
 * about to be intercepted: go on, pass the connection through unintercepted
 * (data.ignore_connection = true), or close it (flow:kill()). */
enum hooks_tls { HOOKS_TLS_INTERCEPT, HOOKS_TLS_IGNORE, HOOKS_TLS_KILL };
enum hooks_tls hooks_tls_clienthello(struct conn *c);
/* The same hook for a QUIC ClientHello read from a UDP flow's Initial (quic_intercept.c):
 * sni ("" when none) and the offered ALPNs joined by ","; r is the UDP flow's record. */
struct udp_rec;
enum hooks_tls hooks_quic_clienthello(struct udp_rec *r, const char *sni, const char *alpn);

/* hooks_h2.c: the HTTP hooks on an HTTP/2 stream (h2_proxy.c), and on an
 * HTTP/3 exchange (hooks_h3.c: heads with version 30, flows say HTTP/3).
 * hooks_h2_body_cap: how much of a request's (response's) body to collect
 * for the hooks before they run, 0 when none is wanted: stream_large_bodies
 * within 64 KiB, when a request (response) hook or modify_body wants it.
 * hooks_h2_request: requestheaders and request, then map_local;
 * hooks_h2_response:
 * responseheaders and response, with content the collected `body` (NULL:
 * nil unless `end`, the body streams).  CHANGED: send out->head instead,
 * and out->body when out->new_body (the head's Content-Length is its
 * length); ANSWER (requests): answer the client with out->head and
 * out->body; KILL: reset the stream.  out->intercepted: a hook called
 * flow:intercept().  out owns what it points at until hooks_h2_out_free
 * (call it whatever the result).  `id` is the stream's flow id slot
 * (flows.h). */
enum hooks_h2 { HOOKS_H2_PASS, HOOKS_H2_CHANGED, HOOKS_H2_ANSWER, HOOKS_H2_KILL };
struct hooks_h2_out {
	struct hf_head head;
	const uint8_t *body;
	size_t body_len;
	bool new_body;
	bool intercepted;
	Snare__Flow *f;
	struct script_flow sf;
};
size_t hooks_h2_body_cap(bool request);
enum hooks_h2 hooks_h2_request(struct conn *c, char *id, const struct hf_head *h, bool end,
			       const struct buf *body, struct hooks_h2_out *out);
enum hooks_h2 hooks_h2_response(struct conn *c, char *id, const struct hf_head *rq,
				const struct hf_head *h, bool end, const struct buf *body,
				struct hooks_h2_out *out);
void hooks_h2_out_free(struct hooks_h2_out *out);
/* For intercept: the stream's flow (request rq, response rs when not NULL;
 * a body when collected, else nil unless the message ended), in out->f;
 * and an edited flow's request (or response) head over *h (method, path,
 * headers; status, headers), owned by out, with its content as out->body
 * (new_body; Content-Length set) when `whole` (the held body is complete)
 * and the edit has one.  hooks_h2_out_free after. */
Snare__Flow *hooks_h2_view(struct conn *c, char *id, const struct hf_head *rq, bool rq_end,
			   const struct buf *rq_body, const struct hf_head *rs, bool rs_end,
			   const struct buf *rs_body, struct hooks_h2_out *out);
void hooks_h2_edited_head(struct conn *c, char *id, const Snare__Flow *edited, bool request,
			  bool whole, struct hf_head *h, struct hooks_h2_out *out);

enum hooks_msg hooks_tcp_message(struct conn *c, bool from_client, const uint8_t **p, size_t *n,
				 size_t room, uint8_t **keep);

#endif
