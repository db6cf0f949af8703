/* Server and client replay with mitmproxy's semantics, as standalone
 * logic: no sockets, no files read here except through flowfile_read.  The
 * worker (or the coordinator) feeds recorded flows in and asks what to do
 * with a live request; it trusts the flow records' shape (protobuf-c's),
 * never their contents, which come from a flow file anyone may have written.
 *
 * Server replay (`--set server_replay=FILE`): recorded HTTP flows are
 * indexed by a match hash of their request, like mitmproxy's
 * serverplayback addon: scheme, method, path (up to `?`, `#`, and without a
 * `;params` of its last segment), the body unless server_replay_ignore_content
 * (or, with server_replay_ignore_payload_params, its multipart/form-data
 * or else urlencoded form pairs minus those names, as mitmproxy reads them),
 * the host (Host header, else :authority, else the request's host) unless
 * server_replay_ignore_host, the port unless server_replay_ignore_port, the
 * query's pairs (decoded as parse_qsl does, blank values kept, in order)
 * minus server_replay_ignore_params, and the values of the headers named in
 * server_replay_use_headers (absent counts as a value).  The key is a
 * SHA-256 of that list, so a recorded body costs 32 bytes in the index.
 *
 * A lookup answers with the next recorded flow of that hash: without
 * server_replay_reuse (alias server_replay_nopop) it is popped, so repeated
 * identical requests consume the recorded flows in file order (flows
 * without a response are skipped and dropped); with it, the first flow with
 * a response is served every time.  With server_replay_refresh (default on)
 * the response's Date, Expires and Last-Modified headers and the Expires
 * attribute of each Set-Cookie are moved by (now - the response's recorded
 * timestamp_start); an unparseable Set-Cookie expiry is removed, an
 * unparseable header date is left as it was.  A request without a match
 * follows server_replay_extra: "forward" (default), "kill", or one of "204",
 * "400", "404", "500" (an empty response with that status);
 * server_replay_kill_extra is the older spelling of "kill".  As in
 * mitmproxy, once every recorded flow has been consumed (the index is
 * empty), every request is forwarded whatever server_replay_extra says.
 *
 * Memory: the index owns a decoded copy of every HTTP flow of the file (the
 * other kinds are skipped), so it holds what the flow file held, bodies
 * included, until they are popped; load only files you mean to keep in
 * memory.
 *
 * Client replay (`--set client_replay=FILE`, the web interface's replay):
 * an ordered queue of recorded requests.  Only HTTP flows with a request
 * whose body was kept, not WebSocket and not live, are accepted (mitmproxy's
 * checks).  replay_client_next hands out the next flow to send when fewer
 * than client_replay_concurrency are in flight (1, mitmproxy's default:
 * one at a time; 0 stands for mitmproxy's -1, no limit), marked
 * is_replay = "request" with its response and error cleared;
 * replay_request_wire builds its HTTP/1.1 request bytes. */
#ifndef SNARE_REPLAY_REPLAY_H
#define SNARE_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "flow.pb-c.h"

enum replay_extra {
	REPLAY_EXTRA_FORWARD, /* send it to the server (mitmproxy's default) */
	REPLAY_EXTRA_KILL,    /* kill the flow */
	REPLAY_EXTRA_STATUS,  /* answer with an empty response of a status */
};

struct replay_server_opts {
	bool ignore_content, ignore_host, ignore_port;
	bool reuse;   /* server_replay_reuse / server_replay_nopop */
	bool refresh; /* server_replay_refresh (mitmproxy's default: true) */
	/* server_replay_extra; server_replay_kill_extra true sets
	 * REPLAY_EXTRA_KILL whatever server_replay_extra says (mitmproxy). */
	enum replay_extra extra;
	unsigned extra_status;		  /* REPLAY_EXTRA_STATUS: 204, 400, 404 or 500 */
	const char *const *ignore_params; /* query parameter names */
	size_t n_ignore_params;
	const char *const *ignore_payload_params; /* urlencoded body field names */
	size_t n_ignore_payload_params;
	const char *const *use_headers; /* header names matched too */
	size_t n_use_headers;
};

/* Parses server_replay_extra's value ("forward", "kill", "204", "400",
 * "404", "500"): 0 or -EINVAL. */
int replay_extra_parse(const char *s, enum replay_extra *extra, unsigned *status) SNARE_MUST_CHECK;

struct replay_server;

/* Copies the options (the strings too).  0 or -ENOMEM. */
int replay_server_new(const struct replay_server_opts *o,
		      struct replay_server **out) SNARE_MUST_CHECK;
void replay_server_free(struct replay_server *s);
/* Indexes a copy of f (after the ones before it): 0, 1 when f is not an
 * HTTP flow with a request (skipped), -ENOMEM. */
int replay_server_add(struct replay_server *s, const Snare__Flow *f) SNARE_MUST_CHECK;
/* Adds every flow of a flow file; the flowfile_read errors (a corrupt file
 * keeps the flows before the damage and returns -EBADMSG). */
int replay_server_load(struct replay_server *s, const char *path, char *err,
		       size_t errlen) SNARE_MUST_CHECK;
/* Recorded flows not yet consumed. */
size_t replay_server_count(const struct replay_server *s);

enum replay_verdict {
	REPLAY_FORWARD, /* no answer: send the request on */
	REPLAY_ANSWER,	/* answer with flow->response */
	REPLAY_KILL,	/* kill the flow */
	REPLAY_STATUS,	/* answer with an empty response of `status` */
};

struct replay_answer {
	enum replay_verdict verdict;
	/* REPLAY_ANSWER: the recorded flow, owned by the caller (free with
	 * replay_answer_free), its response refreshed when asked and its
	 * is_replay set to "response". */
	Snare__Flow *flow;
	/* REPLAY_STATUS: the caller answers with an empty response of this
	 * status and marks its flow is_replay = "response", as mitmproxy. */
	unsigned status;
};

/* What to do with a live request; now is the wall clock (seconds since
 * the epoch) for refresh.  0 or -ENOMEM (then *a is REPLAY_FORWARD). */
int replay_server_lookup(struct replay_server *s, const Snare__HttpRequest *req, double now,
			 struct replay_answer *a) SNARE_MUST_CHECK;
void replay_answer_free(struct replay_answer *a);

/* The match hash of a request under s's options (tests, the web
 * interface's "would this match" display). */
void replay_server_hash(const struct replay_server *s, const Snare__HttpRequest *req,
			uint8_t out[32]);

/* mitmproxy's Response.refresh on a response owned by protobuf-c's default
 * allocator (an unpacked or copied flow): dates and cookie expiries moved
 * by now - r->timestamp_start (nothing when it has no timestamp). */
void replay_refresh(Snare__HttpResponse *r, double now);

struct replay_client;

/* Why f cannot be replayed, in mitmproxy's words ("Can only replay HTTP
 * flows." ...), or NULL when it can. */
const char *replay_client_check(const Snare__Flow *f);
/* concurrency: client_replay_concurrency, 1 or 0 for no limit. */
struct replay_client *replay_client_new(unsigned concurrency);
void replay_client_free(struct replay_client *c);
/* Queues a copy of f: 0, -EINVAL with the reason in err (mitmproxy's
 * wording: "Can only replay HTTP flows." ...), -ENOMEM. */
int replay_client_add(struct replay_client *c, const Snare__Flow *f, char *err,
		      size_t errlen) SNARE_MUST_CHECK;
/* Queues every flow of a flow file (the ones refused are counted in
 * *skipped); flowfile_read's errors. */
int replay_client_load(struct replay_client *c, const char *path, size_t *skipped, char *err,
		       size_t errlen) SNARE_MUST_CHECK;
/* The next flow to send, or NULL when the queue is empty or the
 * concurrency limit is reached.  It stays owned by c until
 * replay_client_done. */
Snare__Flow *replay_client_next(struct replay_client *c);
/* The flow handed out has completed (answered, failed or killed). */
void replay_client_done(struct replay_client *c, Snare__Flow *f);
size_t replay_client_queued(const struct replay_client *c);
size_t replay_client_inflight(const struct replay_client *c);

/* The request as HTTP/1.1 bytes (head and body) in *out (caller frees):
 * origin-form target, or absolute-form when `absolute` (an upstream
 * proxy); HTTP/2 pseudo-headers, Transfer-Encoding and Content-Length are
 * dropped and Content-Length is set from the body (when there is one or the
 * recording had the header); a Host header is added when missing.
 * -EINVAL when a method, target, header name or value would break the
 * framing (CR, LF, NUL; spaces in the method or target) or the method is
 * CONNECT; -ENOMEM. */
int replay_request_wire(const Snare__HttpRequest *r, bool absolute, uint8_t **out,
			size_t *len) SNARE_MUST_CHECK;

#endif
