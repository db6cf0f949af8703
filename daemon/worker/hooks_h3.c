/* Runs in a worker: the script hooks, the rewrites and intercept on HTTP/3 exchanges
 * (h3_reverse.c), through the entry points HTTP/2 streams use (hooks_h2.c, hold_http.c):
 * requestheaders and request before the request stream opens on the server, responseheaders
 * and response before the response head goes to the client, then intercept. A body the hooks
 * want (hooks_h2_body_cap: within stream_large_bodies and 64 KiB) is collected first, its bytes
 * credited to the sender as they come, so the cap bounds it; a body that grows past the cap is
 * sent on after hooks that saw the head only. A held head waits with what its sender sends
 * meanwhile uncredited, so the stream's flow-control window bounds it. Scripts, edited flows
 * and both peers are untrusted: heads the hooks leave lose their connection-specific fields,
 * nghttp3 checks the rest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ipc/ipc_hold.h"
#include "quic/quic.h"
#include "worker/h2_framing.h"
#include "worker/h3_reverse_int.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

static const struct hf_field *hf_fields(const struct h2_msg *m)
{
	return (const struct hf_field *)(const void *)m->fields; /* the same layout */
}

static struct h2_msg *msg_for(struct h3x *x, int s)
{
	return s == H3R_SERVER ? &x->req : &x->resp;
}

/* The Content-Length field of m, -1 when it has none (or a bad one). */
static int64_t content_length(const struct h2_msg *m)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (m->fields[i].name_len == 14 &&
		    memcmp(m->fields[i].name, "content-length", 14) == 0) {
			char *end;
			long long v = strtoll(m->fields[i].value, &end, 10);

			return end != m->fields[i].value && *end == '\0' && v >= 0 ? v : -1;
		}
	return -1;
}

static struct hf_head head_of(struct h3x *x, int s)
{
	const struct h2_msg *m = msg_for(x, s);

	return (struct hf_head){.method = m->method,
				.scheme = m->scheme,
				.authority = m->authority,
				.path = m->path,
				.status = m->status,
				.version = 30,
				.fields = hf_fields(m),
				.nfields = m->nfields,
				.content_length = content_length(m)};
}

int h3x_msg_from_head(struct h2_msg *m, const struct hf_head *h)
{
	struct hf_head pseudo = *h;

	pseudo.nfields = 0;
	if (h2_framing_msg_copy(m, &pseudo) < 0)
		return -ENOMEM;
	return h2_map_fields_from_h1(m, (const struct h2_field *)(const void *)h->fields,
				     h->nfields);
}

/* The head of side s becomes h (which may point into the old one). */
static int msg_replace(struct h3x *x, int s, const struct hf_head *h)
{
	struct h2_msg m;

	if (h3x_msg_from_head(&m, h) < 0) {
		h2_msg_free(&m);
		return -ENOMEM;
	}
	h2_msg_free(msg_for(x, s));
	*msg_for(x, s) = m;
	return 0;
}

/* The hooks' (or the user's) body replaces the collected one and the flow's copy. */
static int new_body(struct h3r *r, struct h3x *x, int s, const uint8_t *p, size_t n)
{
	h3x_credit(r, x, s, buf_len(&x->pend[s])); /* what the sender sent is done with */
	buf_reset(&x->pend[s]);
	if (buf_append(&x->pend[s], p, n) < 0)
		return -ENOBUFS;
	x->credit[s] = n;
	buf_free(&x->body[s].keep);
	buf_init(&x->body[s].keep, FLOW_BODY_KEEP);
	x->body[s].total = 0;
	x->body[s].streamed = false;
	http_body_piece(&x->body[s], p, n);
	return 0;
}

bool h3x_hooks_wanted(int s)
{
	return (hooks.active && (s == H3R_SERVER ? hooks.want_req : hooks.want_resp)) ||
	       hold_h2_on();
}

bool h3x_head_waits(const struct h3x *x, int s)
{
	return x->fresh[s] || x->wait[s] || x->held[s];
}

/* ---- the hooks ---- */

/* What the request hooks left: false when they ended the exchange (a kill, an answer). */
static bool request_hooks(struct h3r *r, struct h3x *x, const struct hf_head *h, bool end,
			  const struct buf *body, struct hooks_h2_out *o)
{
	switch (hooks_h2_request(&r->cn, x->flow_id, h, end, body, o)) {
	case HOOKS_H2_KILL:
		h3x_error(x, "killed by a hook");
		h3x_kill(r, x, H3_REQUEST_CANCELLED);
		return false;
	case HOOKS_H2_ANSWER:
		h3x_respond(r, x, &o->head, o->body, o->body_len);
		return false;
	case HOOKS_H2_CHANGED:
		return msg_replace(x, H3R_SERVER, &o->head) == 0;
	default:
		return true;
	}
}

static bool response_hooks(struct h3r *r, struct h3x *x, const struct hf_head *h, bool end,
			   const struct buf *body, struct hooks_h2_out *o)
{
	struct hf_head rq = head_of(x, H3R_SERVER);

	switch (hooks_h2_response(&r->cn, x->flow_id, &rq, h, end, body, o)) {
	case HOOKS_H2_KILL:
		h3x_error(x, "killed by a hook");
		h3x_kill(r, x, H3_REQUEST_CANCELLED);
		return false;
	case HOOKS_H2_CHANGED:
		return msg_replace(x, H3R_CLIENT, &o->head) == 0;
	default:
		return true;
	}
}

/* ---- intercept ---- */

/* Holds side s's head when the intercept filter matches or a hook intercepted it; its body is
 * in the flow when its sender ended. True when it waits. */
static bool x_hold(struct h3r *r, struct h3x *x, int s, bool forced)
{
	bool up = s == H3R_SERVER, whole = x->ended[s];
	struct hf_head rq = head_of(x, H3R_SERVER), rs = head_of(x, H3R_CLIENT);
	struct hooks_h2_out o;
	Snare__Flow *f;

	if (!forced && !hold_h2_on())
		return false;
	f = hooks_h2_view(&r->cn, x->flow_id, &rq, up && whole, up && whole ? &x->pend[s] : NULL,
			  up ? NULL : &rs, whole, !up && whole ? &x->pend[s] : NULL, &o);
	if (hold_h2_wanted(f, forced) &&
	    hold_h3_put(x, &r->cn, f, up ? HOLD_REQUEST : HOLD_RESPONSE, &x->hold_id) == 0) {
		x->held[s] = true;
		x->held_whole = whole;
	}
	hooks_h2_out_free(&o);
	return x->held[s];
}

/* The head of side s goes on: the request stream opens, the response head goes out. */
static void x_pass(struct h3r *r, struct h3x *x, int s)
{
	if (x->local) /* killed or answered meanwhile */
		return;
	if (s == H3R_SERVER)
		h3x_open_server(r, x);
	else
		h3x_send_response(r, x);
}

/* The hooks on side s's head (with the collected body, or none), then intercept, then on. */
static void x_go(struct h3r *r, struct h3x *x, int s, bool end, const struct buf *body)
{
	struct hf_head h = head_of(x, s);
	struct hooks_h2_out o = {0};
	bool go = true;

	if (hooks.active)
		go = s == H3R_SERVER ? request_hooks(r, x, &h, end, body, &o)
				     : response_hooks(r, x, &h, end, body, &o);
	if (go && o.new_body && new_body(r, x, s, o.body, o.body_len) < 0) {
		h3x_error(x, "a hook's body is too large");
		h3x_kill(r, x, H3_INTERNAL_ERROR);
		go = false;
	}
	if (go && !x_hold(r, x, s, o.intercepted))
		x_pass(r, x, s);
	hooks_h2_out_free(&o);
}

void h3x_head_ready(struct h3r *r, struct h3x *x, int s, bool end)
{
	struct hf_head h = head_of(x, s);
	size_t cap;

	x->fresh[s] = false;
	if (x->local)
		return;
	if (!h3x_hooks_wanted(s)) {
		x_pass(r, x, s);
		return;
	}
	cap = hooks_h2_body_cap(s == H3R_SERVER);
	if (!end && cap > 0 && (h.content_length < 0 || (uint64_t)h.content_length <= cap)) {
		x->wait[s] = true; /* the hooks run once the body is in */
		return;
	}
	x_go(r, x, s, end, NULL);
}

/* The collected body of side s is in (whole), or grew past the cap. */
static void x_release(struct h3r *r, struct h3x *x, int s, bool whole)
{
	x->wait[s] = false;
	x_go(r, x, s, false, whole ? &x->pend[s] : NULL);
}

bool h3x_body_waiting(struct h3r *r, struct h3x *x, int s, const uint8_t *p, size_t n)
{
	int from = !s;

	if (!x->wait[s] && !x->held[s])
		return false;
	http_body_piece(&x->body[s], p, n);
	if (http_body_over_limit(&x->body[s])) {
		(void)quic_stream_consumed(r->c[from], x->id[from], n);
		x->wait[s] = x->held[s] = false;
		h3x_over_limit(r, x, s);
		return true;
	}
	if (buf_append(&x->pend[s], p, n) < 0) {
		(void)quic_stream_consumed(r->c[from], x->id[from], n);
		h3x_error(x, "a held body overflowed");
		h3x_kill(r, x, H3_REQUEST_CANCELLED);
		return true;
	}
	if (x->wait[s]) { /* collected: credited as it comes, the cap bounds it */
		(void)quic_stream_consumed(r->c[from], x->id[from], n);
		x->credit[s] += n;
		if (buf_len(&x->pend[s]) > hooks_h2_body_cap(s == H3R_SERVER)) {
			x->busy++;
			x_release(r, x, s, false);
			x->busy--;
			h3x_flush(r, x, s);
		}
	}
	return true;
}

void h3x_end_waiting(struct h3r *r, struct h3x *x, int s)
{
	if (x->wait[s] && !x->local)
		x_release(r, x, s, true);
}

/* ---- intercept's resume and kill (hold_http.c) ---- */

void h3r_hold_resume(void *p, enum hold_phase phase, const Snare__Flow *edited, unsigned how)
{
	struct h3x *x = p;
	struct h3r *r = x->r;
	int s = phase == HOLD_REQUEST ? H3R_SERVER : H3R_CLIENT;
	struct hf_head h = head_of(x, s);
	struct hooks_h2_out o = {0};
	bool go = true;

	hold_h2_released(&x->hold_id, x->flow_id, how);
	x->held[s] = false;
	x->busy++;
	if (edited) {
		hooks_h2_edited_head(&r->cn, x->flow_id, edited, s == H3R_SERVER, x->held_whole, &h,
				     &o);
		if (msg_replace(x, s, &h) < 0 ||
		    (o.new_body && new_body(r, x, s, o.body, o.body_len) < 0)) {
			h3x_error(x, "the edited flow cannot be sent");
			h3x_kill(r, x, H3_INTERNAL_ERROR);
			go = false;
		}
	}
	if (go)
		x_pass(r, x, s);
	hooks_h2_out_free(&o);
	x->busy--;
	h3x_flush(r, x, s);
	h3r_kick(r);
}

void h3r_hold_kill(void *p)
{
	struct h3x *x = p;
	struct h3r *r = x->r;

	hold_h2_released(&x->hold_id, x->flow_id, IPC_HOLD_KILLED);
	log_msg(LOG_LVL_INFO, r->cn.client_str, "intercept: HTTP/3 stream killed");
	h3x_error(x, "killed by the user");
	x->held[H3R_SERVER] = x->held[H3R_CLIENT] = false;
	h3x_kill(r, x, H3_REQUEST_CANCELLED);
	h3r_kick(r);
}
