/* Runs in a worker: intercept for HTTP/1 exchanges (hold_http.h).  A
 * request is held after routing and the request hooks, with its body when
 * that is length-framed and fits the client buffer (the bytes stay in
 * client.in: nothing more is read once it is full); a response is held once
 * its body is in, when it is length-framed and within HOLD_BODY_MAX and
 * stream_large_bodies (it is collected instead of forwarded).  While held
 * the connection is CS_HELD: no step runs but the check for a client that
 * went away, and the idle timeout does not apply.  Larger or chunked bodies
 * are not held with the flow: such a request or response is held with its
 * head only (its body waits in the peer's buffer and streams after the
 * resume; an edit keeps its framing).  A response a script holds for its
 * response hook is matched after that hook; a 101 (upgrade) is not
 * intercepted.  HTTP/2 streams share the store: their cookie is
 * h2_proxy.c's exchange with its low bit set, and resume and kill go back
 * to h2_proxy.c.
 * Edited flows are untrusted (see hold_http.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/unconst.h"
#include "hold/hold.h"
#include "ipc/ipc_hold.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h2_proxy.h"
#include "worker/hold_http.h"
#include "worker/hold_http_int.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

#define HOLD_FLOWS_MAX 64	   /* held flows per worker */
#define HOLD_BYTES_MAX (16u << 20) /* their packed copies together */
#define HOLD_BODY_MAX (96u * 1024) /* a held response body (the flow fits one frame) */
#define HOLD_FRAME_BUDGET (IPC_MAX_FRAME - 8192)
#define HOLD_OUT_MAX (FLOW_BODY_KEEP + 65536) /* a response written after a resume */

static struct {
	struct hold *store;
	struct loop_timer timer;
	unsigned how; /* what a resume callback reports (IPC_HOLD_RESUMED, _TIMED_OUT) */
	bool active;  /* a filter is set: requests and responses are matched */
} hs;

/* ---- messages to the coordinator ---- */

static void send_held(uint64_t id, enum hold_phase phase, Snare__Flow *f)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowHeld m = SNARE__FLOW_HELD__INIT;

	m.has_hold_id = m.has_phase = 1;
	m.hold_id = id;
	m.phase = phase == HOLD_RESPONSE;
	m.flow = f;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_HELD;
	env.held = &m;
	if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
		log_debug("cannot tell the coordinator about a held flow");
}

static void send_released_id(uint64_t *hold_id, char *flow_id, unsigned how)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowReleased m = SNARE__FLOW_RELEASED__INIT;

	m.has_hold_id = m.has_how = 1;
	m.hold_id = *hold_id;
	m.flow_id = flow_id;
	m.how = how;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_RELEASED;
	env.released = &m;
	*hold_id = 0;
	if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
		log_debug("cannot tell the coordinator about a released flow");
}

static void send_released(struct hold_http *h, unsigned how)
{
	send_released_id(&h->hold_id, h->flow_id, how);
}

/* ---- the store and its timer ---- */

static void arm_timer(void)
{
	double d = hs.store ? hold_next_deadline(hs.store) : 0, left;

	if (d == 0) {
		loop_timer_cancel(wk->loop, &hs.timer);
		return;
	}
	left = d - clock_wall();
	loop_timer_arm(wk->loop, &hs.timer, left > 0 ? (uint64_t)(left * 1000) + 1 : 0);
}

static void on_timer(struct loop_timer *t)
{
	hs.how = IPC_HOLD_TIMED_OUT;
	if (hold_expire(hs.store, clock_wall()) > 0)
		log_info("intercept: held flows resumed after intercept_timeout");
	hs.how = IPC_HOLD_RESUMED;
	arm_timer();
}

static bool hold_on(void)
{
	return hs.active;
}

static bool wanted(const Snare__Flow *f)
{
	struct filter_extra x = {.marked = false};

	return hold_wants(hs.store, f, &x);
}

static struct hold_http *hstate(struct conn *c)
{
	if (c->http->held == NULL) {
		c->http->held = xcalloc(1, sizeof(*c->http->held));
		buf_init(&c->http->held->out, HOLD_OUT_MAX);
	}
	return c->http->held;
}

const char *hold_http_flow_id(const struct conn *c)
{
	return c->http && c->http->held && c->http->held->flow_id[0] ? c->http->held->flow_id
								     : NULL;
}

/* Drops bodies the held copy cannot carry in one frame: the request's
 * under a held response first.  False when it still does not fit. */
static bool fit(Snare__Flow *f, enum hold_phase phase)
{
	if (protobuf_c_message_get_packed_size(&f->base) <= HOLD_FRAME_BUDGET)
		return true;
	if (phase == HOLD_RESPONSE && f->request && f->request->has_content) {
		f->request->has_content = 0;
		f->request->has_content_streamed = f->request->content_streamed = 1;
	}
	return protobuf_c_message_get_packed_size(&f->base) <= HOLD_FRAME_BUDGET;
}

/* Puts the exchange's flow f in the store and tells the coordinator; the
 * connection waits in CS_HELD.  False when it passes unheld. */
static bool hold_put(struct conn *c, Snare__Flow *f, enum hold_phase phase)
{
	struct hold_http *h = hstate(c);
	uint64_t id;
	int rc;

	if (h->flow_id[0] == '\0')
		snprintf(h->flow_id, sizeof(h->flow_id), "%s", f->id);
	f->id = h->flow_id;
	if (!fit(f, phase)) {
		conn_client_log(c, LOG_LVL_INFO, "intercept: flow too large to hold; passed on");
		return false;
	}
	if ((rc = hold_add(hs.store, f, phase, c, clock_wall(), &id)) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "intercept: %s; flow passed on",
				rc == -ENOSPC ? "too many held flows" : "cannot hold the flow");
		return false;
	}
	h->hold_id = id;
	send_held(id, phase, f);
	conn_set_state(c, CS_HELD);
	conn_client_log(c, LOG_LVL_INFO, "intercept: %s held", phase ? "response" : "request");
	arm_timer();
	return true;
}

/* ---- requests ---- */

/* The request body as far as it is in: complete and length-framed within
 * the client buffer (then *len is its size), or not holdable. */
static bool req_body_in(struct conn *c, size_t *len, bool *holdable)
{
	const struct http1_head *hd = c->http->req.head;

	*len = 0;
	*holdable = hd->body == HTTP1_BODY_NONE ||
		    (hd->body == HTTP1_BODY_LENGTH && hd->content_length <= c->client.in.max);
	if (hd->body == HTTP1_BODY_NONE)
		return true;
	if (!*holdable || buf_len(&c->client.in) < hd->content_length)
		return false;
	*len = (size_t)hd->content_length;
	return true;
}

static void req_content(struct conn *c, Snare__Flow *f, bool complete, size_t len)
{
	Snare__HttpRequest *rq = f->request;

	rq->has_content = complete;
	rq->content.data = complete && len ? unconst(buf_ptr(&c->client.in)) : NULL;
	rq->content.len = complete ? len : 0;
	rq->has_content_length = 1;
	rq->content_length = complete ? len : c->http->req.head->content_length;
	rq->has_content_streamed = rq->content_streamed = !complete;
	if (!complete)
		rq->has_content = 0;
}

/* Holds the request once its body is in (or at once when it has none or
 * cannot be held with it); a request the store refuses goes on. */
static void request_try_hold(struct conn *c)
{
	struct hold_http *h = c->http->held;
	bool holdable, complete = req_body_in(c, &h->req_len, &holdable);
	Snare__Flow *f;
	bool held;

	if (holdable && !complete)
		return; /* the body is still coming; client.in has room for it */
	h->req_wait = false;
	h->req_body = complete;
	f = flow_http_view(c);
	req_content(c, f, complete, h->req_len);
	held = hold_put(c, f, HOLD_REQUEST);
	flow_view_free(f);
	if (!held)
		http_send_request(c);
}

void hold_http_want(struct conn *c)
{
	hstate(c)->forced = true;
}

/* A script's flow:intercept() for this point, which it uses up. */
static bool forced(struct conn *c)
{
	struct hold_http *h = c->http->held;
	bool v = h && h->forced && hs.store;

	if (h)
		h->forced = false;
	return v;
}

bool hold_http_request(struct conn *c)
{
	Snare__Flow *f;
	size_t len;
	bool holdable, complete, want = forced(c);

	if (!hold_on() && !want)
		return false;
	complete = req_body_in(c, &len, &holdable);
	f = flow_http_view(c);
	req_content(c, f, complete, len);
	want = want || wanted(f);
	flow_view_free(f);
	if (!want)
		return false;
	hstate(c)->req_wait = true;
	conn_set_state(c, CS_HELD);
	request_try_hold(c);
	return true;
}

void hold_http_step(struct conn *c, bool *progress)
{
	struct hold_http *h = c->http->held;

	if (c->client.rd_eof || c->client.failed) {
		conn_client_log(c, LOG_LVL_INFO, "intercept: client went away; held flow released");
		conn_close(c); /* hold_http_free tells the coordinator */
		return;
	}
	if (h && h->req_wait) {
		request_try_hold(c);
		*progress = true;
	}
}

/* ---- responses ---- */

static bool resp_holdable(struct conn *c)
{
	const struct http1_head *hd = c->http->resp.head;
	long long lim = wk->opts.stream_large_bodies;
	uint64_t cap = lim >= 0 && (uint64_t)lim < HOLD_BODY_MAX ? (uint64_t)lim : HOLD_BODY_MAX;

	return hd->body == HTTP1_BODY_NONE ||
	       (hd->body == HTTP1_BODY_LENGTH && hd->content_length <= cap);
}

/* A response that cannot be collected is held with its head only: its
 * body waits in the server's buffer and streams after the resume. */
static bool response_hold_head(struct conn *c, Snare__Flow *f)
{
	if (f->response) {
		f->response->has_content_streamed = f->response->content_streamed = 1;
		f->response->has_content_length = 0;
	}
	if (!hold_put(c, f, HOLD_RESPONSE))
		return false;
	c->http->held->resp_head = true;
	return true;
}

bool hold_http_response_head(struct conn *c)
{
	Snare__Flow *f;
	bool held = false, want = forced(c);

	if ((!hold_on() && !want) || c->http->resp.head->status == 101) /* an upgrade is not held */
		return false;
	f = flow_http_view(c);
	if (f->response)
		f->response->has_content = 0; /* the body is not in yet */
	want = want || wanted(f);
	if (want && resp_holdable(c)) {
		hstate(c)->resp_wait = true;
		c->http->resp.body.hold = true;
		held = true;
	} else if (want) {
		held = response_hold_head(c, f);
	}
	flow_view_free(f);
	return held;
}

struct stream *hold_http_body_sink(struct conn *c, struct stream *sink)
{
	return c->http->held && c->http->held->resp_wait ? NULL : sink;
}

/* The collected response (head and body) goes to the client from out. */
static void response_out(struct conn *c)
{
	struct hold_http *h = c->http->held;
	const struct http_msg *m = &c->http->resp;

	buf_reset(&h->out);
	h->out_off = 0;
	if (buf_append(&h->out, m->raw, m->raw_len) < 0 ||
	    buf_append(&h->out, buf_ptr(&m->body.keep), buf_len(&m->body.keep)) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "intercept: the response is too large; reset");
		h1_abort_client(c);
		return;
	}
	h->out_on = true;
}

bool hold_http_response_done(struct conn *c, bool *progress)
{
	struct hold_http *h = c->http->held;
	size_t n;
	Snare__Flow *f;

	if (h == NULL)
		return true;
	if (h->resp_wait) {
		h->resp_wait = false;
		f = flow_http_view(c);
		if (hold_put(c, f, HOLD_RESPONSE)) {
			flow_view_free(f);
			*progress = true;
			return false;
		}
		flow_view_free(f);
		response_out(c);
		if (c->freed)
			return false;
	}
	if (!h->out_on)
		return true;
	n = buf_len(&h->out) - h->out_off;
	if (n > buf_room(&c->client.out))
		n = buf_room(&c->client.out);
	if (n && buf_append(&c->client.out, buf_ptr(&h->out) + h->out_off, n) == 0) {
		h->out_off += n;
		*progress = true;
	}
	if (h->out_off < buf_len(&h->out))
		return false;
	h->out_on = false;
	return true;
}

bool hold_http_response_script(struct conn *c, const Snare__HttpResponse *rs)
{
	struct hold_http *h = hstate(c);
	const char *why = NULL;
	Snare__Flow *f;
	bool held;

	h->forced = false;
	if (hs.store == NULL || hold_response_edit(c, rs, &why) < 0)
		return false;
	f = flow_http_view(c);
	held = hold_put(c, f, HOLD_RESPONSE);
	flow_view_free(f);
	return held;
}

/* ---- resume, kill, forget ---- */

static void request_resume(struct conn *c, const Snare__HttpRequest *rq)
{
	const char *why = NULL;

	if (rq && hold_request_edit(c, rq, &why) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "intercept: the edited request is invalid: %s",
				why);
		http_error(c, 502, "Bad Gateway", "The edited request cannot be sent.");
		return;
	}
	http_send_request(c);
}

static void response_resume(struct conn *c, const Snare__HttpResponse *rs)
{
	struct hold_http *h = c->http->held;
	const char *why = NULL;

	if (rs && hold_response_edit(c, rs, &why) < 0) {
		conn_client_log(c, LOG_LVL_WARN, "intercept: the edited response is invalid: %s",
				why);
		h1_abort_client(c);
		return;
	}
	if (h->resp_head) { /* the head now; the body streams as usual */
		h->resp_head = false;
		if (buf_append(&c->client.out, c->http->resp.raw, c->http->resp.raw_len) < 0) {
			h1_abort_client(c);
			return;
		}
	} else {
		response_out(c);
	}
	if (!c->freed)
		conn_set_state(c, CS_EXCHANGE);
}

/* An HTTP/2 stream's cookie has its low bit set (h2_proxy.c's exchange);
 * an HTTP/1 exchange's is its connection. */
#define H2_TAG ((uintptr_t)1)
static bool h2_cookie(void *cookie)
{
	return ((uintptr_t)cookie & H2_TAG) != 0;
}
static void *h2_untag(void *cookie)
{
	return (void *)((uintptr_t)cookie & ~H2_TAG);
}

static void on_resume(void *owner, void *cookie, enum hold_phase phase, const Snare__Flow *edited)
{
	struct conn *c = cookie;

	if (h2_cookie(cookie)) {
		h2_proxy_hold_resume(h2_untag(cookie), phase, edited,
				     hs.how ? hs.how : IPC_HOLD_RESUMED);
		return;
	}
	send_released(c->http->held, hs.how ? hs.how : IPC_HOLD_RESUMED);
	if (phase == HOLD_REQUEST)
		request_resume(c, edited ? edited->request : NULL);
	else
		response_resume(c, edited ? edited->response : NULL);
	if (!c->freed)
		conn_pump_later(c);
}

static void on_kill(void *owner, void *cookie, enum hold_phase phase)
{
	struct conn *c = cookie;

	if (h2_cookie(cookie)) {
		h2_proxy_hold_kill(h2_untag(cookie));
		return;
	}
	send_released(c->http->held, IPC_HOLD_KILLED);
	conn_client_log(c, LOG_LVL_INFO, "intercept: flow killed");
	flow_send_http_error(c, "Connection killed.");
	h1_abort_client(c);
}

void hold_http_free(struct conn *c)
{
	struct hold_http *h = c->http ? c->http->held : NULL;

	if (h == NULL)
		return;
	if (h->hold_id) {
		hold_forget(hs.store, c);
		send_released(h, IPC_HOLD_CLIENT_GONE);
		arm_timer();
	}
	buf_free(&h->out);
	free(h);
	c->http->held = NULL;
}

/* ---- HTTP/2 streams (h2_proxy.c) ---- */

bool hold_h2_on(void)
{
	return hs.store && hold_on();
}

bool hold_h2_wanted(const Snare__Flow *f, bool forced)
{
	return hs.store && (forced || (hold_on() && wanted(f)));
}

int hold_h2_put(void *x, struct conn *c, Snare__Flow *f, enum hold_phase phase, uint64_t *id)
{
	int rc;

	if (!fit(f, phase))
		return -E2BIG;
	if ((rc = hold_add(hs.store, f, phase, (void *)((uintptr_t)x | H2_TAG), clock_wall(), id)) <
	    0) {
		conn_client_log(c, LOG_LVL_WARN, "intercept: %s; HTTP/2 stream passed on",
				rc == -ENOSPC ? "too many held flows" : "cannot hold the flow");
		return rc;
	}
	send_held(*id, phase, f);
	conn_client_log(c, LOG_LVL_INFO, "intercept: HTTP/2 %s held",
			phase ? "response" : "request");
	arm_timer();
	return 0;
}

void hold_h2_released(uint64_t *id, char *flow_id, unsigned how)
{
	send_released_id(id, flow_id, how);
}

void hold_h2_forget(void *x, uint64_t *id, char *flow_id)
{
	if (*id == 0 || hs.store == NULL)
		return;
	hold_forget(hs.store, (void *)((uintptr_t)x | H2_TAG));
	send_released_id(id, flow_id, IPC_HOLD_CLIENT_GONE);
	arm_timer();
}

void hold_http_configure(void)
{
	static const struct hold_ops ops = {.resume = on_resume, .kill = on_kill};
	struct hold_limits l = {
	    .max_flows = HOLD_FLOWS_MAX,
	    .max_bytes = HOLD_BYTES_MAX,
	    .timeout = wk->opts.intercept_timeout,
	};
	char err[256];

	if (hs.store == NULL) {
		hs.store = hold_new(&l, &ops, NULL);
		loop_timer_init(&hs.timer, on_timer, NULL);
	}
	if (hold_set_filter(hs.store, wk->opts.intercept, err, sizeof(err)) < 0)
		log_error("worker %u: intercept: %s; intercept is off", wk->index, err);
	else
		hs.active = wk->opts.intercept && wk->opts.intercept[0];
}

/* ---- commands from the coordinator ---- */

static void kill_all(void)
{
	uint64_t ids[HOLD_FLOWS_MAX];
	size_t n = hold_list(hs.store, ids, HOLD_FLOWS_MAX);

	for (size_t i = 0; i < n && i < HOLD_FLOWS_MAX; i++)
		if (hold_kill(hs.store, ids[i]) < 0) /* gone already: nothing to kill */
			continue;
}

/* One per action (ipc_hold.h); hold id 0 means every held flow. */
static int cmd_resume(const Snare__HoldCommand *m)
{
	if (m->hold_id == 0) {
		hold_resume_all(hs.store);
		return 0;
	}
	return hold_resume(hs.store, m->hold_id, m->flow);
}

static int cmd_kill(const Snare__HoldCommand *m)
{
	if (m->hold_id == 0) {
		kill_all();
		return 0;
	}
	return hold_kill(hs.store, m->hold_id);
}

/* The answer to an edit the ui numbered (edit_id): saved, or refused. */
static void send_edit_result(const Snare__HoldCommand *m, int rc, const char *why)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__HoldEditResult r = SNARE__HOLD_EDIT_RESULT__INIT;

	if (!m->has_edit_id || m->edit_id == 0)
		return;
	r.has_hold_id = r.has_edit_id = r.has_result = 1;
	r.hold_id = m->hold_id;
	r.edit_id = m->edit_id;
	r.result = rc == 0			   ? IPC_EDIT_SAVED
		   : rc == -ENOENT		   ? IPC_EDIT_NOT_HELD
		   : rc == -E2BIG || rc == -ENOSPC ? IPC_EDIT_TOO_LARGE
						   : IPC_EDIT_REFUSED;
	r.reason = rc ? unconst(why ? why : strerror(-rc)) : NULL;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_EDIT_RESULT;
	env.edit_result = &r;
	if (ipc_chan_send(&wk->coord, &env.base, NULL, 0) < 0)
		log_debug("cannot tell the coordinator what became of an edit");
}

static int h2_edit_check(const Snare__HoldCommand *m, enum hold_phase phase, const char **why)
{
	Snare__Flow *held = hold_get(hs.store, m->hold_id);
	int rc = hold_edit_h2_check(held, phase, m->flow, why);

	if (held)
		snare__flow__free_unpacked(held, NULL);
	return rc;
}

/* An edit is checked against the held exchange before the store saves it
 * (an HTTP/2 stream's against the held copy: its head is not HTTP/1); a
 * refused one leaves the held flow as it was. */
static int cmd_edit(const Snare__HoldCommand *m)
{
	enum hold_phase phase;
	void *cookie = hold_cookie(hs.store, m->hold_id, &phase);
	const char *why = NULL;
	int rc;

	if (cookie == NULL)
		rc = -ENOENT, why = "the flow is not held any more";
	else if (h2_cookie(cookie))
		rc = h2_edit_check(m, phase, &why);
	else
		rc = hold_edit_check(cookie, phase, m->flow, &why);
	if (rc == 0 && (rc = hold_edit(hs.store, m->hold_id, m->flow)) < 0)
		why = rc == -ENOSPC ? "the edit is beyond the held flows' memory budget"
				    : "the edit cannot be saved";
	if (rc < 0 && rc != -ENOENT)
		log_info("intercept: edit of held flow %llu refused: %s",
			 (unsigned long long)m->hold_id, why);
	send_edit_result(m, rc, why);
	return rc;
}

static int (*const commands[])(const Snare__HoldCommand *m) = {
    [IPC_HOLD_RESUME] = cmd_resume,
    [IPC_HOLD_KILL] = cmd_kill,
    [IPC_HOLD_EDIT] = cmd_edit,
};

void hold_http_on_command(struct ipc_chan *ch, struct ipc_frame *fr)
{
	const Snare__HoldCommand *m = ((Snare__CoordToWorker *)fr->msg)->hold;
	int rc;

	/* the validator allowed known actions only */
	if (hs.store == NULL || m->action >= ARRAY_SIZE(commands) || !commands[m->action])
		return;
	rc = commands[m->action](m);
	if (rc == -ENOENT)
		log_debug("intercept: held flow %llu is gone", (unsigned long long)m->hold_id);
	arm_timer();
}

void hold_http_on_intercept(struct ipc_chan *ch, struct ipc_frame *fr)
{
	const Snare__InterceptSet *m = ((Snare__CoordToWorker *)fr->msg)->intercept;
	char err[256];

	if (hs.store == NULL)
		return;
	if (hold_set_filter(hs.store, m->filter, err, sizeof(err)) < 0)
		log_warn("worker %u: intercept filter refused: %s", wk->index, err);
	else
		hs.active = m->filter[0] != '\0';
}
