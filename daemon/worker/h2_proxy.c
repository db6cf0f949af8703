/* Runs in a worker: the HTTP/2 layer.  An intercepted connection whose
 * client speaks h2 (ALPN, or the cleartext preface) gets an HTTP/2 framing
 * (h2_framing.c) facing the client and, facing the server, another one
 * when the server speaks h2 or an HTTP/1.1 pool (h1_pool.c) when it does
 * not (translation); every client stream becomes a server stream and one
 * exchange, recorded as an HTTP/2.0 flow with its fields and trailers
 * in wire order.  An HTTP/1.1 client whose server took h2 (http2_origin,
 * decided in layer.c) gets the HTTP/1.1 server framing (h1_server.c) on
 * the client side instead, every request a stream, its flows HTTP/1.1.  Bodies move per stream as
 * far as the other side takes them: the sender's window opens (consume) only for bytes the other
 * side took, so at most a window per stream waits here.  body_size_limit and stream_large_bodies
 * apply per stream (http_body_piece).  A body the request or response hooks want
 * (hooks_h2_body_cap) is collected before the head goes on: its bytes are consumed as they come, up
 * to the cap, so the stream's window bounds it; a body that grows past the cap is sent on after
 * hooks that saw the head only.  RST_STREAM goes to the other side with its code and becomes the
 * flow's error; a connection error on the client's side ends the connection, one on a server side
 * ends only the streams on it (x_cut: what arrived goes to the client, then RST_STREAM with the
 * GOAWAY's code; REFUSED_STREAM above its last stream id).  A connection with no stream
 * open for UPSTREAM_RELEASE_MS gives its h2 server side to the h2 pool (h2_pool.h) and trims its
 * idle session; its next stream takes a pooled one back or connects again.  Both peers' bytes are
 * untrusted (the framings check them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "h2/h2.h"
#include "ipc/ipc_hold.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/h1_pool.h"
#include "worker/h1_server.h"
#include "worker/h2_framing.h"
#include "worker/h2_pool.h"
#include "worker/h2_proxy.h"
#include "worker/h2_regular.h"
#include "worker/h2_ws.h"
#include "worker/h2_shared.h"
#include "worker/hold_http.h"
#include "worker/hooks.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/layer.h"
#include "worker/no_h2c.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

#define H2P_PENDING_MAX (256u << 10) /* bytes a side may hold beyond the other's buffer */
#define H2P_SETTINGS_POLL_MS 5	     /* h2p_settings_later */

/* One exchange: a client stream and its server stream. */
struct h2x {
	struct h2x *next;
	int32_t csid, ssid; /* ssid 0: not opened on the server */
	struct h2_msg req, resp, req_tr, resp_tr;
	struct body_xfer rqb, rsb;
	struct buf up, down; /* body bytes the other side has not taken yet */
	double rq_start, rq_end, rs_start, rs_end;
	bool up_end, down_end;	 /* the sender ended (forward once `up`/`down` drain) */
	bool up_sent, down_sent; /* ... and the end went out */
	bool c_closed, s_closed, has_resp;
	bool rq_wait, rs_wait;	       /* the body is collected for the hooks; its head waits */
	size_t up_credit, down_credit; /* bytes at the front of up/down consumed already */
	int64_t rq_cl, rs_cl;	       /* the waiting head's content_length */
	struct conn *c;
	uint64_t hold_id;      /* held by intercept (hold_http.c): 0 when not */
	bool held_rq, held_rs; /* its request (response) head waits for the user */
	bool held_whole;       /* ... with its whole body (an edit may replace it) */
	bool srv_wait; /* waits for a server side (released while idle): head in req, body in up */
	struct h2_shared *sh; /* the shared server connection its stream is on (a reference) */
	bool retried;	      /* opened again after the server refused it */
	bool s_failed;	      /* its server connection failed under it ... */
	uint32_t s_fail;      /* ... and the client's stream ends with this code */
	bool down_abort;      /* ... once `down` has gone to the client */
	char error[96];
	char flow_id[37]; /* the same at the hooks and in the record ("" until made) */
	struct h2ws *ws;  /* an extended CONNECT for a WebSocket (h2_ws.c): NULL if not */
};

struct h2_proxy {
	struct http_framing *cli, *srv;	     /* facing the client, facing the server */
	const struct http_framing_ops *cops; /* the client side's: h2, or HTTP/1.1 (h1_server.c) */
	const struct http_framing_ops *sops; /* the server side's: h2, or an HTTP/1.1 pool */
	bool probing;  /* h2c with prior knowledge sent to a plain server: does it speak h2? */
	bool released; /* the h2 server side went to the h2 pool while idle (h2_pool.h) */
	bool waiting;  /* a stream waits for the server side (srv_wait) */
	bool shared;   /* h2 server side: shared connections (h2_shared.h), c->server connects */
	struct h2_shared *sh;  /* the one new streams go to while it has room (a reference) */
	bool pending_settings; /* ... for the h2 server's SETTINGS (h2_ws.c) */
	bool ws_offered;       /* the h2 client was offered extended CONNECT (h2p_ws_offer) */
	struct loop_timer settings_poll; /* ... on a shared connection: looks again */
	struct loop_timer idle;		 /* UPSTREAM_RELEASE_MS after the last stream closed */
	uint64_t quiet_ms;		 /* when the last stream closed (loop time) */
	struct h2x *xs;
};

static const struct http_framing_ops *const h2ops = &h2_framing_ops;

static struct h2x *by_csid(struct conn *c, int32_t sid)
{
	for (struct h2x *x = c->h2->xs; x; x = x->next)
		if (x->csid == sid)
			return x;
	return NULL;
}

/* A closed server stream's id is stale: a new connection may reuse it. */
static struct h2x *by_ssid(struct conn *c, int32_t sid)
{
	for (struct h2x *x = c->h2->xs; x; x = x->next)
		if (x->ssid == sid && sid > 0 && !x->s_closed)
			return x;
	return NULL;
}

/* The server side x's stream is on: a shared connection, or c's own. */
static const struct http_framing_ops *x_sops(const struct conn *c, const struct h2x *x)
{
	return x->sh ? h2ops : c->h2->sops;
}

static struct http_framing *x_srv(const struct conn *c, const struct h2x *x)
{
	return x->sh ? h2_shared_framing(x->sh) : c->h2->srv;
}

/* Resets x's server stream (if open) with code. */
static void x_server_reset(struct conn *c, struct h2x *x, uint32_t code)
{
	if (x->ssid <= 0 || x->s_closed)
		return;
	(void)x_sops(c, x)->submit_reset(x_srv(c, x), x->ssid, code);
	if (x->sh)
		h2_shared_kick(x->sh);
}

static void x_error(struct h2x *x, const char *fmt, const char *what)
{
	if (x->error[0] == '\0')
		snprintf(x->error, sizeof(x->error), fmt, what);
}

static int fields_copy(struct h2_msg *m, const struct hf_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (h2_msg_add(m, f[i].name, f[i].name_len, f[i].value, f[i].value_len) < 0)
			return -ENOMEM;
	return 0;
}

static const struct hf_field *hf_fields(const struct h2_msg *m)
{
	return (const struct hf_field *)(const void *)m->fields;
}

static void flow_msg_of(struct flow_msg *o, const char *version, const struct h2_msg *m,
			const struct h2_msg *tr, const struct body_xfer *b, double t0, double t1,
			bool complete)
{
	*o = (struct flow_msg){
	    .method = m->method,
	    .scheme = m->scheme,
	    .path = m->path,
	    .version = version,
	    .status = m->status,
	    .fields = hf_fields(m),
	    .nfields = m->nfields,
	    .trailers = hf_fields(tr),
	    .ntrailers = tr->nfields,
	    .body = b,
	    .ts_start = t0,
	    .ts_end = t1,
	    .complete = complete,
	};
}

static void x_record(struct conn *c, struct h2x *x)
{
	struct flow_msg rq, rs;
	bool rs_done = x->down_sent && x->error[0] == '\0';

	flow_msg_of(&rq, c->h2->cops->name, &x->req, &x->req_tr, &x->rqb, x->rq_start, x->rq_end,
		    x->up_sent);
	flow_msg_of(&rs, c->h2->cops->name, &x->resp, &x->resp_tr, &x->rsb, x->rs_start, x->rs_end,
		    rs_done);
	rq.id_slot = x->flow_id;
	rq.ws = h2ws_flow(x->ws);
	if (h2ws_error(x->ws))
		x_error(x, "%s", h2ws_error(x->ws));
	(void)h2ws_event(x->ws, SCRIPT_EV_WEBSOCKET_END, x->error[0] ? x->error : NULL);
	if (x->sh)
		flow_send_msgs_via(c, h2_shared_stream(x->sh), h2_shared_id(x->sh), &rq,
				   x->has_resp ? &rs : NULL, x->error[0] ? x->error : NULL);
	else
		flow_send_msgs(c, &rq, x->has_resp ? &rs : NULL, x->error[0] ? x->error : NULL);
}

static void x_free(struct h2x *x)
{
	hold_h2_forget(x, &x->hold_id, x->flow_id);
	if (x->sh) { /* a stream still open is reset; the connection goes on */
		h2_shared_unbind(x->sh, x->ssid);
		h2_shared_unref(x->sh, x->c);
	}
	h2_msg_free(&x->req);
	h2_msg_free(&x->resp);
	h2_msg_free(&x->req_tr);
	h2_msg_free(&x->resp_tr);
	buf_free(&x->rqb.keep);
	buf_free(&x->rsb.keep);
	buf_free(&x->up);
	buf_free(&x->down);
	h2ws_free(x->ws);
	free(x);
}

/* Both streams are closed: record the exchange and forget it. */
static void x_maybe_done(struct conn *c, struct h2x *x)
{
	struct h2x **pp;

	if (!x->c_closed || !x->s_closed)
		return;
	x_record(c, x);
	for (pp = &c->h2->xs; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	x_free(x);
	if (c->h2->xs == NULL) { /* quiet from now on? then the idle timer gives back memory */
		c->h2->quiet_ms = loop_now(wk->loop);
		if (!loop_timer_armed(&c->h2->idle)) /* no heap operation per stream */
			loop_timer_arm(wk->loop, &c->h2->idle, UPSTREAM_RELEASE_MS);
	}
}

/* Ends both streams of x with `code` (the one whose peer sent it excepted). */
static void x_reset(struct conn *c, struct h2x *x, uint32_t code)
{
	if (!x->c_closed)
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, code);
	x_server_reset(c, x, code);
}

/* ---- moving a body: from one framing (stream fsid) to the other (tsid) ---- */

struct dir {
	const struct http_framing_ops *fops, *tops;
	struct http_framing *from, *to;
	int32_t fsid, tsid;
	struct buf *pend;
	size_t *credit;
	bool *end, *sent;
	struct h2_msg *tr;
	double *t_end;
	struct h2ws *ws; /* a WebSocket's bytes: parsed for messages, not a body */
	bool up;
};

static struct dir dir_up(struct conn *c, struct h2x *x)
{
	return (struct dir){c->h2->cops, x_sops(c, x), c->h2->cli,    x_srv(c, x), x->csid,
			    x->ssid,	 &x->up,       &x->up_credit, &x->up_end,  &x->up_sent,
			    &x->req_tr,	 &x->rq_end,   x->ws,	      true};
}

static struct dir dir_down(struct conn *c, struct h2x *x)
{
	return (struct dir){x_sops(c, x), c->h2->cops, x_srv(c, x),	c->h2->cli,   x->ssid,
			    x->csid,	  &x->down,    &x->down_credit, &x->down_end, &x->down_sent,
			    &x->resp_tr,  &x->rs_end,  x->ws,		false};
}

/* Sends what is pending, then the end when the sender ended. */
static void dir_drain(const struct dir *d)
{
	while (buf_len(d->pend) > 0) {
		ssize_t n =
		    d->tops->submit_data(d->to, d->tsid, buf_ptr(d->pend), buf_len(d->pend));

		size_t skip;

		if (n <= 0)
			return;
		skip =
		    *d->credit < (size_t)n ? *d->credit : (size_t)n; /* consumed when collected */
		*d->credit -= skip;
		if ((size_t)n > skip)
			(void)d->fops->consume(d->from, d->fsid, (size_t)n - skip);
		buf_consume(d->pend, (size_t)n);
	}
	if (*d->end && !*d->sent) {
		*d->sent = true;
		*d->t_end = clock_wall();
		(void)d->tops->submit_end(d->to, d->tsid, hf_fields(d->tr), d->tr->nfields);
	}
}

/* A body piece from the sender: the flow's copy and limits, then on. */
static int dir_data(const struct dir *d, struct body_xfer *b, const uint8_t *p, size_t n)
{
	ssize_t taken = 0;

	if (d->ws) /* its messages are recorded, not a body, and no body limit applies */
		h2ws_data(d->ws, d->up, p, n);
	else
		http_body_piece(b, p, n);
	if (!d->ws && http_body_over_limit(b))
		return -EMSGSIZE;
	if (buf_len(d->pend) == 0) {
		taken = d->tops->submit_data(d->to, d->tsid, p, n);
		if (taken < 0)
			return (int)taken;
		(void)d->fops->consume(d->from, d->fsid, (size_t)taken);
	}
	if ((size_t)taken < n && buf_append(d->pend, p + taken, n - (size_t)taken) < 0)
		return -ENOBUFS;
	return 0;
}

static void body_refused(struct conn *c, struct h2x *x, int r, const char *which)
{
	if (r == -EMSGSIZE) {
		x_error(x, "%s body exceeds snare's body_size_limit.", which);
		conn_client_log(c, LOG_LVL_INFO, "%s body exceeds body_size_limit; stream reset.",
				which);
	} else {
		x_error(x, "%s body could not be forwarded", which);
	}
	x_reset(c, x, HF_E_CANCEL);
}

/* A WebSocket whose messages go through websocket_message (h2_ws.c): the
 * sender's bytes are taken and consumed once what the hooks passed on is
 * out (what the hooks send on is not the sender's bytes: it goes with
 * credit), so its window bounds what waits here. */
static void x_ws_move(struct conn *c, struct h2x *x, bool up, const uint8_t *p, size_t n)
{
	struct dir d = up ? dir_up(c, x) : dir_down(c, x);
	bool end = *d.end;
	size_t owed;

	for (int round = 0; round < 8; round++) {
		size_t before = buf_len(d.pend);
		int r = h2ws_filter(x->ws, up, round ? NULL : p, round ? 0 : n, d.pend);

		if (r < 0) {
			body_refused(c, x, r, up ? "Request" : "Response");
			return;
		}
		*d.credit += buf_len(d.pend) - before;
		*d.end = end && !h2ws_pending(x->ws, up); /* what waits in the hooks goes first */
		dir_drain(&d);
		*d.end = end;
		if (buf_len(d.pend) > 0 || !h2ws_pending(x->ws, up))
			break;
	}
	if (buf_len(d.pend) == 0 && (owed = h2ws_owed(x->ws, up)) > 0) {
		(void)d.fops->consume(d.from, d.fsid, owed);
		conn_pump_later(c); /* an HTTP/1.1 side feeds what it held back on the next pass */
	}
}

/* x's server stream is over (it closed, or its connection failed and
 * may be freed): what the client sent or still sends for it (n more bytes)
 * is consumed, so its window opens, and dropped.  True when it is. */
static bool x_up_gone(struct conn *c, struct h2x *x, size_t n)
{
	size_t held = buf_len(&x->up);

	if (x->ssid <= 0 || !x->s_closed)
		return false;
	held = held > x->up_credit ? held - x->up_credit : 0; /* the rest was consumed */
	if (held + n > 0 && !x->c_closed)
		(void)c->h2->cops->consume(c->h2->cli, x->csid, held + n);
	buf_reset(&x->up);
	x->up_credit = 0;
	return true;
}

/* `up`: client to server; otherwise server to client.  Nothing while the
 * body is collected for the hooks (its head has not gone). */
static void x_drain(struct conn *c, struct h2x *x, bool up)
{
	struct dir d;

	if (up ? x->rq_wait || x->held_rq || x->srv_wait : x->rs_wait || x->held_rs)
		return;
	if (up && x_up_gone(c, x, 0))
		return;
	d = up ? dir_up(c, x) : dir_down(c, x);
	if (h2ws_hooked(x->ws, up))
		x_ws_move(c, x, up, NULL, 0);
	else
		dir_drain(&d);
}

/* ---- a body collected for the hooks ---- */

static struct hf_head head_of_msg(const struct h2_msg *m, int64_t content_length)
{
	return (struct hf_head){.method = m->method,
				.scheme = m->scheme,
				.authority = m->authority,
				.path = m->path,
				.status = m->status,
				.version = 20,
				.fields = hf_fields(m),
				.nfields = m->nfields,
				.content_length = content_length};
}

/* Whether the hooks want the body of the head h (not ended): it waits in
 * x->req (x->resp) while the body is collected in up (down). */
static bool x_collect_start(struct h2x *x, const struct hf_head *h, bool up)
{
	size_t cap = hooks_h2_body_cap(up);

	if (cap == 0 || (h->content_length >= 0 && (uint64_t)h->content_length > cap))
		return false;
	h2_msg_free(up ? &x->req : &x->resp);
	if (h2_framing_msg_copy(up ? &x->req : &x->resp, h) < 0)
		return false;
	*(up ? &x->rq_wait : &x->rs_wait) = true;
	*(up ? &x->rq_cl : &x->rs_cl) = h->content_length;
	return true;
}

static void c_release(struct conn *c, struct h2x *x, bool whole);
static void s_release(struct conn *c, struct h2x *x, bool whole);

/* A piece of a collected body: kept and consumed; past the cap the hooks
 * run on the head and the body streams on. */
static void x_collect(struct conn *c, struct h2x *x, bool up, const uint8_t *p, size_t n)
{
	struct buf *b = up ? &x->up : &x->down;
	struct body_xfer *bx = up ? &x->rqb : &x->rsb;
	int r = 0;

	http_body_piece(bx, p, n);
	if (http_body_over_limit(bx))
		r = -EMSGSIZE;
	else if (buf_append(b, p, n) < 0)
		r = -ENOBUFS;
	if (r < 0) {
		*(up ? &x->rq_wait : &x->rs_wait) = false;
		if (up)
			x->s_closed = true; /* no server stream was opened */
		body_refused(c, x, r, up ? "Request" : "Response");
		return;
	}
	if (up)
		(void)c->h2->cops->consume(c->h2->cli, x->csid, n);
	else
		(void)x_sops(c, x)->consume(x_srv(c, x), x->ssid, n);
	*(up ? &x->up_credit : &x->down_credit) += n;
	if (buf_len(b) > hooks_h2_body_cap(up))
		(up ? c_release : s_release)(c, x, false);
}

/* The hooks' new body replaces the collected one (and the flow's copy). */
static int x_new_body(struct buf *pend, struct body_xfer *bx, size_t *credit, const uint8_t *p,
		      size_t n)
{
	buf_reset(pend);
	if (buf_append(pend, p, n) < 0)
		return -ENOBUFS;
	*credit = n;
	buf_free(&bx->keep);
	buf_init(&bx->keep, FLOW_BODY_KEEP);
	bx->total = 0;
	bx->streamed = false;
	http_body_piece(bx, p, n);
	return 0;
}

static void x_data(struct conn *c, struct h2x *x, bool up, const uint8_t *p, size_t n)
{
	struct dir d = up ? dir_up(c, x) : dir_down(c, x);
	int r;

	if (h2ws_hooked(x->ws, up)) {
		x_ws_move(c, x, up, p, n);
		return;
	}
	r = dir_data(&d, up ? &x->rqb : &x->rsb, p, n);

	if (r < 0)
		body_refused(c, x, r, up ? "Request" : "Response");
}

/* ---- events from the client's side ---- */

/* Reverse mode names the target in :authority, as it does in Host on
 * HTTP/1 (keep_host_header keeps the client's). */
static void reverse_authority(const struct conn *c, char *out, size_t len)
{
	bool v6 = strchr(c->host, ':') != NULL;
	int n = snprintf(out, len, v6 ? "[%s]" : "%s", c->host);

	if (c->port != (c->server_tls ? 443 : 80) && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ":%u", c->port);
}

/* upstream_auth in reverse mode: the server's credentials in place of the
 * client's Authorization (as on HTTP/1).  The fields and the value are one
 * allocation, the caller's to free once h is submitted. */
static struct hf_field *with_upstream_auth(struct hf_head *h)
{
	struct hf_field *f = xcalloc(1, (h->nfields + 1) * sizeof(*f) + 420);
	char *v = (char *)(f + h->nfields + 1);
	size_t n = 0;

	conn_basic_auth_value(v, 420);
	for (size_t i = 0; i < h->nfields; i++)
		if (!(h->fields[i].name_len == 13 &&
		      strncasecmp(h->fields[i].name, "authorization", 13) == 0))
			f[n++] = h->fields[i];
	if (v[0])
		f[n++] = (struct hf_field){"authorization", 13, v, strlen(v)};
	h->fields = f;
	h->nfields = n;
	return f;
}

static bool c_hooks(struct conn *c, struct h2x *x, struct hf_head *h, bool end,
		    const struct buf *body, struct hooks_h2_out *o);
static void c_answer(struct conn *c, struct h2x *x, const struct hooks_h2_out *o);

/* ---- intercept: a held stream waits with its head (hold_http.c) ---- */

/* Holds the head h of x (request when `up`) when the intercept filter
 * matches or a hook intercepted it; `end`: the message is complete (its
 * body, if any, in up/down).  True when it waits: what its sender sends
 * meanwhile is kept unconsumed, so the stream's window bounds it. */
static bool x_hold(struct conn *c, struct h2x *x, const struct hf_head *h, bool up, bool end,
		   bool forced)
{
	struct hooks_h2_out o;
	struct hf_head rq = up ? *h : head_of_msg(&x->req, -1);
	struct h2_msg *m = up ? &x->req : &x->resp;
	Snare__Flow *f;
	bool held = false;

	if (!forced && !hold_h2_on())
		return false;
	f = hooks_h2_view(c, x->flow_id, &rq, up && end, up && end ? &x->up : NULL, up ? NULL : h,
			  end, !up && end ? &x->down : NULL, &o);
	if (hold_h2_wanted(f, forced)) {
		h2_msg_free(m);
		held = h2_framing_msg_copy(m, h) == 0 &&
		       hold_h2_put(x, c, f, up ? HOLD_REQUEST : HOLD_RESPONSE, &x->hold_id) == 0;
		if (!held)
			h2_msg_free(m);
	}
	hooks_h2_out_free(&o);
	if (held) {
		x->held_whole = end;
		*(up ? &x->held_rq : &x->held_rs) = true;
		*(up ? &x->rq_cl : &x->rs_cl) = h->content_length;
	}
	return held;
}

/* A piece of a held stream's body: kept, not consumed. */
static void x_held_data(struct conn *c, struct h2x *x, bool up, const uint8_t *p, size_t n)
{
	http_body_piece(up ? &x->rqb : &x->rsb, p, n);
	if (buf_append(up ? &x->up : &x->down, p, n) < 0) {
		x_error(x, "%s", "a held stream's body overflowed");
		x_reset(c, x, HF_E_CANCEL);
	}
}

/* The server side was released while idle: x's head waits in x->req, its
 * body in up (unconsumed: the stream's window bounds it), until h2p_step
 * has a server side again (h2p_resume). */
static void x_wait_server(struct conn *c, struct h2x *x, const struct hf_head *h, bool end)
{
	h2_msg_free(&x->req);
	if (h2_framing_msg_copy(&x->req, h) < 0) {
		x_error(x, "%s", "cannot open a stream to the server");
		x->s_closed = true;
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_REFUSED);
		return;
	}
	x->srv_wait = true;
	x->rq_cl = h->content_length;
	if (end)
		x->up_end = true;
	c->h2->waiting = true;
	conn_pump_later(c);
}

static const struct hf_events shared_events;

/* A shared server connection with room for a new stream of c: the one c
 * uses, else another or a pooled one (h2_shared_get); NULL when none (a
 * new one is connected, h2p_shared_step). */
static struct h2_shared *c_shared(struct conn *c)
{
	struct h2_proxy *p = c->h2;

	if (p->sh && h2_shared_can_open(p->sh))
		return p->sh;
	if (p->sh) {
		conn_client_log(
		    c, LOG_LVL_DEBUG, "%s",
		    h2_shared_ended(p->sh)
			? "HTTP/2 server connection ended; the next stream connects again"
			: "HTTP/2 server connection full; the next stream goes elsewhere");
		h2_shared_unref(p->sh, c);
	}
	return p->sh = h2_shared_get(c);
}

/* Opens x's stream with h on the shared connection sh, or on c's own
 * server side; its id or a negative errno. */
static int32_t c_submit(struct conn *c, struct h2x *x, struct h2_shared *sh,
			const struct hf_head *h, bool end)
{
	int32_t ssid;

	if (h2_framing_msg_copy(&x->req, h) < 0)
		return -ENOMEM;
	if (sh == NULL)
		return c->h2->sops->can_open(c->h2->srv)
			   ? c->h2->sops->submit_head(c->h2->srv, 0, h, end)
			   : -EBUSY;
	if ((ssid = h2_shared_open(sh, h, end, &shared_events, x)) > 0) {
		x->sh = sh;
		h2_shared_ref(sh);
	}
	return ssid;
}

/* An extended CONNECT to an h2 server whose SETTINGS have not come: it
 * waits as a stream without a server side does, but the pump is not
 * called again for it (no spinning); h2p_resume retries once the step
 * fed the server's bytes, or, on a shared connection (whose bytes another
 * pass reads), once the step looked again (h2p_settings_later). */
static void x_wait_settings(struct conn *c, struct h2x *x, const struct hf_head *h, bool end)
{
	x_wait_server(c, x, h, end);
	c->h2->pending_settings = true;
}

/* Opens x's stream on the server with h (copied for the record). */
static void c_open_head(struct conn *c, struct h2x *x, const struct hf_head *h, bool end)
{
	struct h2_shared *sh = NULL;
	int32_t ssid;

	if (c->h2->shared ? (sh = c_shared(c)) == NULL : c->h2->srv == NULL) {
		x_wait_server(c, x, h, end);
		return;
	}
	ssid = c_submit(c, x, sh, h, end);

	if (ssid <= 0) {
		x_error(x, "%s", "cannot open a stream to the server");
		x->s_closed = true;
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_REFUSED);
		return;
	}
	x->ssid = ssid;
	if (end) {
		x->up_end = x->up_sent = true;
		x->rq_end = x->rq_start;
	}
}

/* An answer of snare's own with no body (a WebSocket refused). */
static void c_status(struct conn *c, struct h2x *x, const struct hf_head *h, int status)
{
	static const struct hf_field cl0 = {"content-length", 14, "0", 1};
	struct hooks_h2_out o = {.head = {.status = status,
					  .version = 20,
					  .fields = &cl0,
					  .nfields = 1,
					  .content_length = 0}};

	x_error(x, "%s", status == 501 ? "extended CONNECT not supported here" : "refused");
	h2_msg_free(&x->req);
	(void)h2_framing_msg_copy(&x->req, h); /* for the record */
	c_answer(c, x, &o);
}

/* Opens x's stream on the server; a WebSocket (RFC 8441) goes there only
 * when the server side carries it (h2_ws.c). */
static void c_open(struct conn *c, struct h2x *x, const struct hf_head *h, bool end)
{
	struct hf_head wh = *h;
	struct h2_shared *sh = NULL;
	struct hf_field *f;
	int st;

	/* no server side yet: it waits (srv_wait) */
	if (x->ws == NULL || (c->h2->shared ? (sh = c_shared(c)) == NULL : c->h2->srv == NULL)) {
		c_open_head(c, x, h, end);
		return;
	}
	st = h2ws_server_status(sh		       ? h2_shared_framing(sh)
				: c->h2->sops == h2ops ? c->h2->srv
						       : NULL);
	if (st == -EAGAIN) { /* its SETTINGS say: the server's bytes wake it (h2p_resume) */
		x_wait_settings(c, x, h, end);
		return;
	}
	if (st) {
		conn_client_log(c, LOG_LVL_INFO,
				"WebSocket over HTTP/2: the server does not take "
				"extended CONNECT; answered %d",
				st);
		c_status(c, x, h, st);
		return;
	}
	f = h2ws_server_head(&wh);
	c_open_head(c, x, &wh, end);
	free(f);
}

static void c_on_head(void *eng, int32_t sid, const struct hf_head *hin, bool end)
{
	struct conn *c = eng;
	struct h2x *x = xcalloc(1, sizeof(*x));
	struct hf_head hh = *hin, *h = &hh;
	struct hf_field *fields = NULL;
	struct hooks_h2_out ho = {0};
	struct h2r_answer ra;
	char authority[300];

	if (c->kind == MODE_REVERSE && !wk->opts.keep_host_header && h->authority) {
		reverse_authority(c, authority, sizeof(authority));
		h->authority = authority;
	}
	if (c->kind == MODE_REVERSE && wk->opts.upstream_auth)
		fields = with_upstream_auth(h);
	if (c->tunnel && h->scheme) /* the server's scheme, as on HTTP/1 */
		h->scheme = c->server_tls ? "https" : "http";

	x->csid = sid;
	x->next = c->h2->xs;
	c->h2->xs = x;
	x->rq_start = clock_wall();
	h2_msg_init(&x->resp);
	h2_msg_init(&x->req_tr);
	h2_msg_init(&x->resp_tr);
	buf_init(&x->rqb.keep, FLOW_BODY_KEEP);
	buf_init(&x->rsb.keep, FLOW_BODY_KEEP);
	buf_init(&x->up, H2P_PENDING_MAX);
	buf_init(&x->down, H2P_PENDING_MAX);
	x->c = c;
	if (h2_regular_answer(c, h, &ra, &fields)) { /* regular mode: 400, 407, 421 */
		c_answer(c, x, &ra.o);
		(void)h2_framing_msg_copy(&x->req, h);
		free(fields);
		return;
	}
	/* RFC 8441 (h2_ws.c): an extended CONNECT comes only from an h2 client
	 * (an HTTP/1.1 client's heads through h1_server.c carry no :protocol) */
	if (h->protocol && (c->h2->cops != h2ops || h2ws_request(h, &x->ws) != 0)) {
		c_status(c, x, h, 501);
		free(fields);
		return;
	}
	if (x->ws)
		h2ws_bind(x->ws, c, x->flow_id, &x->req, &x->resp);
	if (!end && !x->ws && x_collect_start(x, h, true)) { /* the hooks run once it is in */
		free(fields);
		return;
	}
	x->c = c;
	if (hooks.active && !c_hooks(c, x, h, end, NULL, &ho))
		(void)h2_framing_msg_copy(&x->req, h);
	else if (x_hold(c, x, h, true, end, ho.intercepted))
		x->up_end = end;
	else
		c_open(c, x, h, end);
	hooks_h2_out_free(&ho);
	free(fields);
}

/* The request body is collected (`whole`: all of it, else past the cap):
 * the hooks run, then the stream opens and the body follows. */
static void c_release(struct conn *c, struct h2x *x, bool whole)
{
	struct h2_msg m = x->req;
	struct hf_head hh = head_of_msg(&m, x->rq_cl);
	struct hooks_h2_out ho = {0};

	h2_msg_init(&x->req);
	x->rq_wait = false;
	if (!c_hooks(c, x, &hh, false, whole ? &x->up : NULL, &ho)) {
		x->req = m; /* for the record */
		hooks_h2_out_free(&ho);
		return;
	}
	if (ho.new_body && x_new_body(&x->up, &x->rqb, &x->up_credit, ho.body, ho.body_len) < 0) {
		x_error(x, "%s", "a hook's request body is too large");
		x->s_closed = true;
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_INTERNAL);
	} else if (!x_hold(c, x, &hh, true, x->up_end, ho.intercepted)) {
		c_open(c, x, &hh, x->up_end && buf_len(&x->up) == 0);
		if (x->ssid > 0 && !x->up_sent)
			x_drain(c, x, true);
	}
	if (x->req.method == NULL)
		(void)h2_framing_msg_copy(&x->req, &hh);
	hooks_h2_out_free(&ho);
	h2_msg_free(&m);
}

/* A script answered the request on x: the response goes to the client,
 * no stream opens on the server, the flow records the answer. */
static void c_answer(struct conn *c, struct h2x *x, const struct hooks_h2_out *o)
{
	bool empty = o->body_len == 0;

	x->s_closed = true;
	x->has_resp = h2_framing_msg_copy(&x->resp, &o->head) == 0;
	x->rs_start = x->rs_end = clock_wall();
	http_body_piece(&x->rsb, o->body, o->body_len);
	if (c->h2->cops->submit_head(c->h2->cli, x->csid, &o->head, empty) < 0 ||
	    (!empty && (c->h2->cops->submit_data(c->h2->cli, x->csid, o->body, o->body_len) !=
			    (ssize_t)o->body_len ||
			c->h2->cops->submit_end(c->h2->cli, x->csid, NULL, 0) < 0))) {
		x_error(x, "%s", "cannot send a script's local response");
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_INTERNAL);
		return;
	}
	x->down_end = x->down_sent = true;
}

/* The HTTP hooks on a new client stream; false when they ended it here. */
static bool c_hooks(struct conn *c, struct h2x *x, struct hf_head *h, bool end,
		    const struct buf *body, struct hooks_h2_out *o)
{
	switch (hooks_h2_request(c, x->flow_id, h, end, body, o)) {
	case HOOKS_H2_KILL:
		x_error(x, "%s", "killed by a hook");
		x->s_closed = true;
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_CANCEL);
		return false;
	case HOOKS_H2_ANSWER:
		c_answer(c, x, o);
		return false;
	case HOOKS_H2_CHANGED:
		*h = o->head;
		return true;
	default:
		return true;
	}
}

static void c_on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct h2x *x = by_csid(eng, sid);

	if (x && x->rq_wait)
		x_collect(eng, x, true, p, n);
	else if (x && (x->held_rq || x->srv_wait))
		x_held_data(eng, x, true, p, n);
	else if (x && x_up_gone(eng, x, n))
		return;
	else if (x && x->ssid > 0)
		x_data(eng, x, true, p, n);
}

static void c_on_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct h2x *x = by_csid(eng, sid);

	if (x)
		(void)fields_copy(&x->req_tr, f, n);
}

static void c_on_end(void *eng, int32_t sid)
{
	struct h2x *x = by_csid(eng, sid);

	if (x && x->rq_wait) {
		x->up_end = true;
		c_release(eng, x, true);
		return;
	}
	if (x && (x->held_rq || x->srv_wait)) {
		x->up_end = true;
		return;
	}
	if (x == NULL || x->ssid <= 0)
		return;
	x->up_end = true;
	x_drain(eng, x, true);
}

static void c_on_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct conn *c = eng;
	struct h2x *x = by_csid(c, sid);

	if (x == NULL)
		return;
	if (by_peer) {
		x_error(x, "client reset the stream (%s)", h2_error_name(code));
		x_server_reset(c, x, code);
	}
}

static void c_on_close(void *eng, int32_t sid)
{
	struct conn *c = eng;
	struct h2x *x = by_csid(c, sid);

	if (x == NULL)
		return;
	x->c_closed = true;
	if (x->rq_wait || x->held_rq || x->srv_wait) { /* gone before its server stream */
		x->rq_wait = x->held_rq = x->srv_wait = false;
		x->s_closed = true;
	}
	hold_h2_forget(x, &x->hold_id, x->flow_id);
	if (!(x->up_sent && x->down_sent))
		x_server_reset(c, x, HF_E_CANCEL);
	x_maybe_done(c, x);
}

static void x_abort_drained(struct conn *c, struct h2x *x);

static void c_on_send_space(void *eng, int32_t sid)
{
	struct h2x *x = by_csid(eng, sid);

	if (x && x->ssid > 0) {
		x_drain(eng, x, false);
		x_abort_drained(eng, x);
	}
}

static void conn_error(void *eng, uint32_t code, int status, const char *why, const char *side)
{
	struct conn *c = eng;

	conn_client_log(c, LOG_LVL_INFO, "HTTP/2 %s connection ended: %s", side, why);
	for (struct h2x *x = c->h2->xs; x; x = x->next)
		x_error(x, "%s", why);
}

/* An HTTP/1 client's bad head gets its status (400, 431, 505) as the
 * connection's last answer. */
static void c_on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct conn *c = eng;
	struct hf_head h = {.status = status, .content_length = -1};

	conn_error(eng, code, status, why, "client");
	if (status)
		(void)c->h2->cops->submit_head(c->h2->cli, 0, &h, true);
}

/* ---- events from the server's side ---- */

static void s_on_head_send(struct conn *c, struct h2x *x, const struct hf_head *h, bool end);

/* The HTTP hooks on a response head; false when they reset the stream. */
static bool s_hooks(struct conn *c, struct h2x *x, const struct hf_head **h, bool end,
		    const struct buf *body, struct hooks_h2_out *o)
{
	struct hf_head rq = head_of_msg(&x->req, -1);

	switch (hooks_h2_response(c, x->flow_id, &rq, *h, end, body, o)) {
	case HOOKS_H2_KILL:
		x_error(x, "%s", "killed by a hook");
		x_reset(c, x, HF_E_CANCEL);
		return false;
	case HOOKS_H2_CHANGED:
		*h = &o->head;
		return true;
	default:
		return true;
	}
}

static void s_head(struct conn *c, struct h2x *x, const struct hf_head *hin, bool end)
{
	struct hooks_h2_out ho = {0};

	if (x == NULL || x->c_closed || x->has_resp)
		return;
	if (hin->status < 200) { /* 1xx (103 Early Hints, 100 Continue): relayed, not recorded */
		if (hin->status != 101)
			(void)c->h2->cops->submit_head(c->h2->cli, x->csid, hin, false);
		return;
	}
	if (x->ws) /* a 2xx starts the WebSocket */
		h2ws_response(x->ws, hin->status);
	if (!end && !x->ws && x_collect_start(x, hin, false)) /* the hooks run once it is in */
		return;
	if (hooks.active && !s_hooks(c, x, &hin, end, NULL, &ho)) {
		hooks_h2_out_free(&ho);
		return;
	}
	if (x_hold(c, x, hin, false, end, ho.intercepted))
		x->down_end = end;
	else
		s_on_head_send(c, x, hin, end);
	hooks_h2_out_free(&ho);
	if (x->ws && x->has_resp && h2ws_event(x->ws, SCRIPT_EV_WEBSOCKET_START, NULL)) {
		conn_client_log(c, LOG_LVL_INFO, "WebSocket killed by a hook");
		x_error(x, "%s", "killed by a hook");
		x_reset(c, x, HF_E_CANCEL);
	}
}

/* The response body is collected (`whole`: all of it, else past the cap):
 * the hooks run, then the head goes to the client and the body follows. */
static void s_release(struct conn *c, struct h2x *x, bool whole)
{
	struct h2_msg m = x->resp;
	struct hf_head hh = head_of_msg(&m, x->rs_cl);
	const struct hf_head *h = &hh;
	struct hooks_h2_out ho = {0};

	h2_msg_init(&x->resp);
	x->rs_wait = false;
	if (!s_hooks(c, x, &h, false, whole ? &x->down : NULL, &ho)) {
		/* reset */
	} else if (ho.new_body &&
		   x_new_body(&x->down, &x->rsb, &x->down_credit, ho.body, ho.body_len) < 0) {
		x_error(x, "%s", "a hook's response body is too large");
		x_reset(c, x, HF_E_INTERNAL);
	} else if (!x_hold(c, x, h, false, x->down_end, ho.intercepted)) {
		s_on_head_send(c, x, h, x->down_end && buf_len(&x->down) == 0);
		if (x->has_resp && !x->down_sent)
			x_drain(c, x, false);
	}
	hooks_h2_out_free(&ho);
	h2_msg_free(&m);
}

static void s_on_head_send(struct conn *c, struct h2x *x, const struct hf_head *h, bool end)
{
	h2_msg_free(&x->resp);
	if (h2_framing_msg_copy(&x->resp, h) < 0)
		return;
	x->has_resp = true;
	x->rs_start = clock_wall();
	if (c->h2->cops->submit_head(c->h2->cli, x->csid, h, end) < 0) {
		x_error(x, "%s", "cannot send the response head");
		x_reset(c, x, HF_E_INTERNAL);
		return;
	}
	if (end) {
		x->down_end = x->down_sent = true;
		x->rs_end = x->rs_start;
	}
}

static void s_data(struct conn *c, struct h2x *x, const uint8_t *p, size_t n)
{
	if (x && !x->c_closed && x->rs_wait)
		x_collect(c, x, false, p, n);
	else if (x && !x->c_closed && x->held_rs)
		x_held_data(c, x, false, p, n);
	else if (x && !x->c_closed)
		x_data(c, x, false, p, n);
}

static void s_trailers(struct conn *c, struct h2x *x, const struct hf_field *f, size_t n)
{
	(void)c;
	if (x)
		(void)fields_copy(&x->resp_tr, f, n);
}

static void s_end(struct conn *c, struct h2x *x)
{
	if (x == NULL || x->c_closed)
		return;
	x->down_end = true;
	if (x->held_rs)
		return;
	if (x->rs_wait)
		s_release(c, x, true);
	else
		x_drain(c, x, false);
}

/* A request without a body that a shared connection's server refused
 * (REFUSED_STREAM, or above its GOAWAY's last stream id: not processed,
 * RFC 9113 8.7) opens once more, on another connection if that one takes
 * no more.  True when it did. */
static bool s_retry(struct conn *c, struct h2x *x, uint32_t code)
{
	struct h2_msg m = x->req;
	struct hf_head h;

	if (code != HF_E_REFUSED || x->sh == NULL || x->retried || x->has_resp || x->c_closed ||
	    !x->up_sent || x->rqb.total > 0 || x->rs_wait || x->held_rs)
		return false;
	conn_client_log(c, LOG_LVL_DEBUG, "HTTP/2 server refused a stream: opening it again");
	h2_shared_drop(x->sh, x->ssid);
	h2_shared_unref(x->sh, c);
	x->sh = NULL;
	x->ssid = 0;
	x->retried = true;
	x->s_failed = x->down_abort = false; /* the new stream starts afresh */
	x->s_fail = 0;
	x->up_sent = x->up_end = false;
	h2_msg_init(&x->req);
	h = head_of_msg(&m, -1);
	c_open(c, x, &h, true);
	h2_msg_free(&m);
	return true;
}

static void s_reset(struct conn *c, struct h2x *x, uint32_t code, bool by_peer)
{
	if (x == NULL || (by_peer && s_retry(c, x, code)))
		return;
	if (by_peer) {
		x_error(x, "server reset the stream (%s)", h2_error_name(code));
		if (!x->c_closed)
			(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, code);
	}
}

/* ---- the server connection failed under open streams ---- */

/* The server's GOAWAY: a stream above last_sid was not processed
 * (REFUSED_STREAM, may be retried); one at or below it ends with code. */
static void x_goaway(struct h2x *x, uint32_t code, int32_t last_sid)
{
	if (x->ssid <= 0 || x->s_closed || x->s_failed)
		return;
	x->s_failed = true;
	x->s_fail = x->ssid > last_sid ? HF_E_REFUSED : code;
}

/* The connection ended (after a GOAWAY, or without one: CANCEL for a
 * close, INTERNAL_ERROR for an error in its bytes or TLS). */
static void x_server_failed(struct h2x *x, uint32_t code, const char *why)
{
	if (x->ssid <= 0 || x->s_closed)
		return;
	if (!x->s_failed) {
		x->s_failed = true;
		x->s_fail = code == HF_E_CANCEL ? HF_E_CANCEL : HF_E_INTERNAL;
	}
	if (x->s_fail != HF_E_REFUSED)
		x_error(x, "%s", why);
}

/* The cut response's last bytes went to the client: its stream ends. */
static void x_abort_drained(struct conn *c, struct h2x *x)
{
	const struct http_framing_ops *o = c->h2->cops;

	if (!x->down_abort || x->c_closed || buf_len(&x->down) > 0)
		return;
	x->down_abort = false;
	if (o->submit_abort)
		(void)o->submit_abort(c->h2->cli, x->csid, x->s_fail);
	else
		(void)o->submit_reset(c->h2->cli, x->csid, x->s_fail);
}

/* What arrived of x's response goes to the client first (its head went),
 * then the stream ends with the failure's code; nothing is consumed from
 * the failed side any more.  A WebSocket's stream ends at once. */
static void x_cut(struct conn *c, struct h2x *x)
{
	if (x->s_fail == HF_E_REFUSED)
		x_error(x, "server reset the stream (%s)", h2_error_name(x->s_fail));
	if (!x->has_resp || x->rs_wait || x->held_rs || x->ws || x->s_fail == HF_E_REFUSED) {
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, x->s_fail);
		return;
	}
	x->down_credit = buf_len(&x->down);
	x->down_abort = true;
	x_drain(c, x, false);
	x_abort_drained(c, x);
}

static void s_close(struct conn *c, struct h2x *x)
{
	if (x == NULL)
		return;
	if (x->s_failed && !x->s_closed && x->s_fail == HF_E_REFUSED && s_retry(c, x, x->s_fail))
		return;
	x->s_closed = true;
	(void)x_up_gone(c, x, 0);
	if (!x->c_closed && !x->down_end && x->s_failed)
		x_cut(c, x);
	else if (!x->c_closed && !x->down_end)
		(void)c->h2->cops->submit_reset(c->h2->cli, x->csid, HF_E_CANCEL);
	x_maybe_done(c, x);
}

static void s_send_space(struct conn *c, struct h2x *x)
{
	if (x)
		x_drain(c, x, true);
}

/* c's own server side (an HTTP/1.1 pool, h2 not shared): x by its id. */

static void s_on_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	s_head(eng, by_ssid(eng, sid), h, end);
}

static void s_on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	s_data(eng, by_ssid(eng, sid), p, n);
}

static void s_on_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	s_trailers(eng, by_ssid(eng, sid), f, n);
}

static void s_on_end(void *eng, int32_t sid)
{
	s_end(eng, by_ssid(eng, sid));
}

static void s_on_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	s_reset(eng, by_ssid(eng, sid), code, by_peer);
}

static void s_on_close(void *eng, int32_t sid)
{
	s_close(eng, by_ssid(eng, sid));
}

static void s_on_send_space(void *eng, int32_t sid)
{
	s_send_space(eng, by_ssid(eng, sid));
}

/* c's own h2 server connection failed: its streams end (h2p_server_failed),
 * the client's connection goes on. */
static void s_on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct conn *c = eng;

	(void)status;
	conn_client_log(c, LOG_LVL_INFO, "HTTP/2 server connection ended: %s", why);
	for (struct h2x *x = c->h2->xs; x; x = x->next)
		if (x->sh == NULL)
			x_server_failed(x, code, why);
}

static void s_on_goaway(void *eng, uint32_t code, int32_t last_sid)
{
	struct conn *c = eng;

	for (struct h2x *x = c->h2->xs; x; x = x->next)
		if (x->sh == NULL)
			x_goaway(x, code, last_sid);
}

/* A shared connection's stream (h2_shared.h): eng is x.  Its client
 * connection is pumped after each event (its side is written there). */

static void xs_on_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_head(c, eng, h, end);
	conn_pump_later(c);
}

static void xs_on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_data(c, eng, p, n);
	conn_pump_later(c);
}

static void xs_on_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	(void)sid;
	s_trailers(((struct h2x *)eng)->c, eng, f, n);
}

static void xs_on_end(void *eng, int32_t sid)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_end(c, eng);
	conn_pump_later(c);
}

static void xs_on_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_reset(c, eng, code, by_peer);
	conn_pump_later(c);
}

static void xs_on_close(void *eng, int32_t sid)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_close(c, eng); /* may free x */
	conn_pump_later(c);
}

static void xs_on_send_space(void *eng, int32_t sid)
{
	struct conn *c = ((struct h2x *)eng)->c;

	(void)sid;
	s_send_space(c, eng);
	conn_pump_later(c); /* the client's WINDOW_UPDATE for what went on */
}

/* The shared connection ended under x: x's error and how its client
 * stream ends (its close follows, s_close). */
static void xs_on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct h2x *x = eng;

	(void)status;
	conn_client_log(x->c, LOG_LVL_INFO, "HTTP/2 server connection ended under a stream: %s",
			why);
	x_server_failed(x, code, why);
}

static void xs_on_goaway(void *eng, uint32_t code, int32_t last_sid)
{
	x_goaway(eng, code, last_sid);
}

static const struct hf_events client_events = {
    .on_head = c_on_head,
    .on_data = c_on_data,
    .on_trailers = c_on_trailers,
    .on_end = c_on_end,
    .on_reset = c_on_reset,
    .on_close = c_on_close,
    .on_send_space = c_on_send_space,
    .on_conn_error = c_on_conn_error,
};

static const struct hf_events server_events = {
    .on_head = s_on_head,
    .on_data = s_on_data,
    .on_trailers = s_on_trailers,
    .on_end = s_on_end,
    .on_reset = s_on_reset,
    .on_close = s_on_close,
    .on_send_space = s_on_send_space,
    .on_conn_error = s_on_conn_error,
    .on_goaway = s_on_goaway,
};

static const struct hf_events shared_events = {
    .on_head = xs_on_head,
    .on_data = xs_on_data,
    .on_trailers = xs_on_trailers,
    .on_end = xs_on_end,
    .on_reset = xs_on_reset,
    .on_close = xs_on_close,
    .on_send_space = xs_on_send_space,
    .on_conn_error = xs_on_conn_error,
    .on_goaway = xs_on_goaway,
};

/* ---- intercept's resume and kill (hold_http.c) ---- */

void h2_proxy_hold_resume(void *p, enum hold_phase phase, const Snare__Flow *edited, unsigned how)
{
	struct h2x *x = p;
	struct conn *c = x->c;
	bool up = phase == HOLD_REQUEST;
	struct h2_msg m = up ? x->req : x->resp;
	struct hf_head h = head_of_msg(&m, up ? x->rq_cl : x->rs_cl);
	struct hooks_h2_out o = {0};

	hold_h2_released(&x->hold_id, x->flow_id, how);
	h2_msg_init(up ? &x->req : &x->resp);
	*(up ? &x->held_rq : &x->held_rs) = false;
	if (edited)
		hooks_h2_edited_head(c, x->flow_id, edited, up, x->held_whole, &h, &o);
	/* a new body replaces the held one; bytes of it not consumed yet go
	 * back to the connection's window when the stream closes (h2/recv.c) */
	if (o.new_body &&
	    x_new_body(up ? &x->up : &x->down, up ? &x->rqb : &x->rsb,
		       up ? &x->up_credit : &x->down_credit, o.body, o.body_len) < 0) {
		x_error(x, "%s", "the edited body is too large");
		if (up)
			x->s_closed = true;
		x_reset(c, x, HF_E_INTERNAL);
	} else if (up) {
		c_open(c, x, &h, x->up_end && buf_len(&x->up) == 0);
		if (x->ssid > 0 && !x->up_sent)
			x_drain(c, x, true);
	} else {
		s_on_head_send(c, x, &h, x->down_end && buf_len(&x->down) == 0);
		if (x->has_resp && !x->down_sent)
			x_drain(c, x, false);
	}
	if (up && x->req.method == NULL) /* for the record */
		(void)h2_framing_msg_copy(&x->req, &h);
	hooks_h2_out_free(&o);
	h2_msg_free(&m);
	conn_pump_later(c);
}

void h2_proxy_hold_kill(void *p)
{
	struct h2x *x = p;

	hold_h2_released(&x->hold_id, x->flow_id, IPC_HOLD_KILLED);
	conn_client_log(x->c, LOG_LVL_INFO, "intercept: HTTP/2 stream killed");
	x_error(x, "%s", "killed by the user");
	if (x->held_rq)
		x->s_closed = true; /* no server stream was opened */
	x->held_rq = x->held_rs = false;
	x_reset(x->c, x, HF_E_CANCEL);
	conn_pump_later(x->c);
}

/* ---- the layer ---- */

/* Under eager the server's ALPN is mirrored (h2 only when the server took
 * it); with no TLS server session yet (lazy) or a plain server, snare
 * answers the client itself and translates to HTTP/1.1 where the server
 * does not speak h2.  Never for TLS to snare itself, raw relays or mitm.it. */
bool h2_proxy_server_ready(const struct conn *c)
{
	bool onboarding = wk->opts.onboarding && wk->opts.onboarding_host &&
			  strcasecmp(c->host, wk->opts.onboarding_host) == 0;

	if (!wk->opts.http2 || !c->tunnel || c->force_raw || onboarding)
		return false; /* mitm.it is served by the HTTP/1 engine */
	if (c->server.ssl)
		return c->server.tls_done && strcmp(c->alpn, "h2") == 0;
	return true;
}

bool h2_proxy_prior_knowledge(const struct conn *c)
{
	return !c->tls &&
	       h2_preface_check(buf_ptr(&c->client.in), buf_len(&c->client.in)) == H2_PREFACE_YES &&
	       wk->opts.http2;
}

bool h2_proxy_preface_wait(const struct conn *c)
{
	return wk->opts.http2 && !c->client.rd_eof && buf_room(&c->client.in) > 0 &&
	       h2_preface_check(buf_ptr(&c->client.in), buf_len(&c->client.in)) == H2_PREFACE_MORE;
}

static struct hf_limits h2p_limits(void)
{
	return (struct hf_limits){
	    .max_head_bytes = (size_t)wk->opts.max_header_bytes,
	    .max_fields = (size_t)wk->opts.max_headers,
	    .max_streams = 100,
	    .connect_protocol = true, /* WebSocket over h2 (RFC 8441, h2_ws.c) */
	};
}

ssize_t h2_proxy_settings(uint8_t *buf, size_t cap)
{
	struct hf_limits lim = h2p_limits();

	return h2_framing_settings(&lim, buf, cap);
}

/* A cleartext client with prior knowledge and a plain server: the server
 * is asked in h2c the same way (h2p_probe), and so is an HTTP/1.1 client's
 * (layer.c chose that).  A TLS h2 client's plain server when it already
 * sent its SETTINGS (an h2c server, connected eagerly). */
static bool h2p_h2c_wanted(const struct conn *c)
{
	return c->server.fd >= 0 && c->server.ssl == NULL &&
	       (!c->tls || c->h2->cops == &h1s_framing_ops ||
		h2_framing_server_preface(buf_ptr(&c->server.in), buf_len(&c->server.in)));
}

/* c's new h2 server connection becomes shared (h2_shared.h) where its key
 * allows: new streams go there, and so do streams opened on it before
 * (h2c, while the server was asked whether it speaks h2). */
static void h2p_adopt(struct conn *c)
{
	struct h2_proxy *p = c->h2;
	struct h2_shared *sh = h2_shared_adopt(c, p->srv);

	if (sh == NULL)
		return;
	p->srv = NULL;
	p->shared = true;
	if (p->sh)
		h2_shared_unref(p->sh, c);
	p->sh = sh;
	for (struct h2x *x = p->xs; x; x = x->next)
		if (x->ssid > 0 && !x->s_closed && x->sh == NULL &&
		    h2_shared_bind(sh, x->ssid, &shared_events, x) == 0) {
			x->sh = sh;
			h2_shared_ref(sh);
		}
}

/* The server side: h2 when the server negotiated it (shared with other
 * client connections where it may be), else a pool of HTTP/1.1
 * connections (every request answered 502 when `failed`). */
static void h2p_server_framing(struct conn *c, const char *failed)
{
	struct hf_limits lim = h2p_limits();
	const unsigned char *alpn = NULL;
	unsigned alen = 0;

	if (c->server.ssl && c->server.tls_done && !failed) {
		SSL_get0_alpn_selected(c->server.ssl, &alpn, &alen);
		snprintf(c->alpn, sizeof(c->alpn), "%.*s", (int)alen,
			 alen ? (const char *)alpn : "");
	}
	if (!failed && ((alen == 2 && memcmp(alpn, "h2", 2) == 0) || h2p_h2c_wanted(c))) {
		lim.conn_window = H2_SHARED_CONN_WINDOW;
		c->h2->sops = h2ops;
		c->h2->srv = h2ops->open(HF_CLIENT, &lim, &server_events, c);
		c->h2->probing = c->server.ssl == NULL;
		c->h2->shared = false;
		if (!c->h2->probing)
			h2p_adopt(c);
		return;
	}
	c->h2->shared = false;
	if (!failed)
		conn_client_log(c, LOG_LVL_DEBUG, "HTTP/2 client, HTTP/1.1 server: translating");
	c->h2->sops = &h1pool_ops;
	c->h2->srv = h1pool_new(c, &lim, &server_events, c, failed, NULL);
	if (failed) { /* a failed server stream would keep the pump busy */
		conn_server_disconnect(c);
		stream_close(&c->server);
		stream_init(&c->server, c, -1);
	}
}

/* The server connection of a lazy start is up (or not): TLS next where the
 * server speaks it, offering h2 and http/1.1. */
static void h2p_connected(struct conn *c, int err)
{
	conn_set_state(c, CS_H2);
	if (conn_connect_failed(c, err)) {
		h2p_server_framing(c, c->server.err[0] ? c->server.err : "connection failed");
		return;
	}
	if (c->server_tls && c->server.ssl == NULL && conn_server_tls_begin(c) < 0) {
		h2p_server_framing(c, "cannot start TLS");
		return;
	}
	/* connecting again after a release: the ClientHello is gone
	 * (h2p_on_idle), and with it the offer next_layer_alpn makes from it;
	 * an h2 client's server is offered what the lazy start offers */
	if (c->server.ssl && c->hello == NULL)
		SSL_set_alpn_protos(c->server.ssl, (const uint8_t *)"\x02h2\x08http/1.1", 12);
	if (c->server.ssl == NULL)
		h2p_server_framing(c, NULL);
}

/* Waits for the server's TLS handshake; false while it runs. */
static bool h2p_server_wait(struct conn *c, bool *progress)
{
	struct stream *s = &c->server;

	if (s->ssl && !s->tls_done && !s->failed && !s->rd_eof)
		return false;
	*progress = true;
	if (s->ssl && !s->tls_done) {
		long v = SSL_get_verify_result(s->ssl);

		conn_client_log(c, LOG_LVL_WARN, "Server TLS handshake failed. %s",
				v != X509_V_OK ? X509_verify_cert_error_string(v) : s->err);
		h2p_server_framing(c, "Server TLS handshake failed");
		return true;
	}
	h2p_server_framing(c, NULL);
	return true;
}

/* The idle timer: no stream has been open for UPSTREAM_RELEASE_MS.  The
 * h2 server side goes to the h2 pool (the next stream takes one back, or
 * connects), and both sessions give back their idle frame buffers: what an
 * idle client connection holds is its own side (docs/performance.md). */
static void h2p_on_idle(struct loop_timer *t)
{
	struct conn *c = t->arg;
	struct h2_proxy *p = c->h2;
	bool h2srv = p->srv && p->sops == h2ops && !p->probing;

	if (c->freed || p->xs != NULL || p->cli == NULL ||
	    loop_timer_idle_rearm(wk->loop, t, p->quiet_ms, UPSTREAM_RELEASE_MS))
		return;
	if (p->sh) { /* the last user gives it to the h2 pool */
		h2_shared_unref(p->sh, c);
		p->sh = NULL;
	}
	if (h2srv && h2_pool_put(c, p->srv)) {
		p->srv = NULL;
		p->released = true;
	} else if (h2srv) {
		(void)h2_framing_trim(p->srv);
	}
	if (p->cops == h2ops)
		(void)h2_framing_trim(p->cli);
	free(c->hello); /* 1.3 KiB the tunnel keeps while the client speaks h2 */
	c->hello = NULL;
}

/* No Nagle towards an h2 client (connect.c sets it on server sockets;
 * nginx's tcp_nodelay): an h2 frame written after another must not wait for
 * the client's delayed ACK of the first (40 ms on every new h2 connection,
 * docs/performance.md section j).  Only here: on HTTP/1 a response goes out
 * in one write, and setting it on every accepted socket let a burst of new
 * connections hold more server connections at once, which left about 1 KiB
 * more heap per idle connection (bench case r4).  Fails harmlessly on a
 * client side that is not a TCP socket (packet modes). */
static void h2p_nodelay(struct conn *c)
{
	if (c->client.fd >= 0)
		(void)setsockopt(c->client.fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
}

/* h2p_settings_later's timer: c looks again. */
static void h2p_on_settings_poll(struct loop_timer *t)
{
	struct conn *c = t->arg;

	if (!c->freed)
		conn_pump_later(c);
}

static void h2p_start(struct conn *c, const struct http_framing_ops *cops)
{
	struct hf_limits lim = h2p_limits();

	lim.settings_sent = c->h2_settings_sent; /* h2_proxy_settings wrote them */
	if (cops == h2ops)
		h2p_nodelay(c);
	loop_timer_init(&c->h2->idle, h2p_on_idle, c);
	loop_timer_init(&c->h2->settings_poll, h2p_on_settings_poll, c);
	c->h2->cops = cops;
	c->h2->cli = cops->open(HF_SERVER, &lim, &client_events, c);
	if (cops == &h1s_framing_ops)
		h1s_set_scheme(c->h2->cli, c->tls ? "https" : "http");
	conn_set_state(c, CS_H2);
	if (c->server.fd < 0 && c->server.failed) /* no server to ask (h2_regular.c) */
		h2p_server_framing(c, c->server.err);
	else if (c->server.fd < 0 && (c->h2->sh = h2_shared_get(c)) != NULL)
		c->h2->sops = h2ops, /* lazy, or eager answered from the h2 pool (tunnel.c) */
		    c->h2->shared = true;
	else if (c->server.fd < 0)
		conn_connect(c, c->host, c->port, h2p_connected);
	else if (c->server.ssl == NULL || c->server.tls_done)
		h2p_server_framing(c, NULL);
	conn_pump_later(c);
}

void h2_proxy_start(struct conn *c)
{
	h2p_start(c, h2ops);
}

void h2_proxy_start_h1(struct conn *c)
{
	conn_client_log(c, LOG_LVL_DEBUG, "HTTP/1.1 client, h2 server: requests as h2 streams");
	h2p_start(c, &h1s_framing_ops);
}

/* Feeds one side's received bytes; false when that side is finished.  An
 * HTTP/1 client's pipelined request stays in `in` until its turn. */
static bool h2p_feed(const struct http_framing_ops *ops, struct http_framing *f, struct stream *s,
		     bool *progress)
{
	size_t before = buf_len(&s->in);
	int r;

	if (before == 0)
		return true;
	r = ops->feed(f, &s->in);
	if (buf_len(&s->in) != before)
		*progress = true;
	return r == 0;
}

static void h2p_flush(const struct http_framing_ops *ops, struct http_framing *f, struct stream *s,
		      bool *progress)
{
	size_t before = buf_len(&s->out);

	(void)ops->flush(f, &s->out);
	if (buf_len(&s->out) != before)
		*progress = true;
}

/* An HTTP/1.1 client's plain server did not take h2c: the worker
 * remembers it (no_h2c.h), and the connection goes back to the HTTP/1
 * layer with the client's bytes untouched (they are fed only once the
 * probe is over), which connects again and talks HTTP/1.1.  c->h2 is freed. */
static void h2p_probe_refused_h1(struct conn *c)
{
	no_h2c_add(c->server_host, c->server_port);
	h2ops->free(c->h2->srv);
	c->h2->srv = NULL;
	conn_server_disconnect(c);
	next_layer(c, NL_H2C_REFUSED);
}

/* h2c with prior knowledge towards a plain server: the preface goes out,
 * and the server's first bytes decide.  Anything but a SETTINGS frame (an
 * HTTP/1.1 error page, a close) and the server connection is dropped for
 * an HTTP/1.1 pool to the same address, or for an HTTP/1.1 client, the
 * HTTP/1 layer.  True while undecided (or when the layer is left). */
static bool h2p_probe(struct conn *c, bool *progress)
{
	struct h2_proxy *p = c->h2;
	struct hf_limits lim = h2p_limits();
	union sockaddr_any peer = {0};
	size_t n = buf_len(&c->server.in);

	memcpy(&peer, &c->server.peer, sizeof(c->server.peer));
	if (n < 9 && !c->server.rd_eof && !c->server.failed) {
		h2p_flush(h2ops, p->srv, &c->server, progress);
		return true;
	}
	p->probing = false;
	*progress = true;
	if (h2_framing_server_preface(buf_ptr(&c->server.in), n)) {
		h2p_adopt(c);
		return false;
	}
	conn_client_log(c, LOG_LVL_INFO, "server does not speak h2c: HTTP/1.1 to it");
	/* the HTTP/1 layer only while the client's bytes are all untouched: on
	 * a reconnect (h2p_released_step) a stream already took its request */
	if (p->cops == &h1s_framing_ops && p->xs == NULL) {
		h2p_probe_refused_h1(c);
		return true;
	}
	h2ops->free(p->srv);
	conn_server_disconnect(c);
	stream_close(&c->server);
	stream_init(&c->server, c, -1);
	p->sops = &h1pool_ops;
	p->srv = h1pool_new(c, &lim, &server_events, c, NULL, &peer);
	return false;
}

/* The h2 server connection is over: so is the client's. */
static bool h2p_server_gone(struct conn *c)
{
	struct h2_proxy *p = c->h2;

	if (p->sops == &h1pool_ops || p->srv == NULL) /* the pool replaces its connections */
		return false;
	return p->sops->done(p->srv) || c->server.failed ||
	       (c->server.rd_eof && buf_len(&c->server.in) == 0);
}

/* The client is done with the connection (or failed). */
static bool h2p_client_over(struct conn *c)
{
	return c->h2->cops->done(c->h2->cli) || c->client.failed ||
	       (c->client.rd_eof && buf_len(&c->client.in) == 0);
}

static void h2p_closing(struct conn *c, bool *progress)
{
	c->client.shut_req = true;
	conn_set_state(c, CS_CLOSING);
	*progress = true;
}

/* A WebSocket stream waits for the h2 server's SETTINGS (x_wait_settings),
 * which have not come: nothing to retry yet. */
static bool h2p_settings_pending(const struct conn *c)
{
	const struct h2_proxy *p = c->h2;
	const struct http_framing *srv =
	    p->shared ? (p->sh && h2_shared_can_open(p->sh) ? h2_shared_framing(p->sh) : NULL)
	    : p->sops == h2ops ? p->srv
			       : NULL;

	return p->pending_settings && srv && h2_framing_peer_connect(srv) == -EAGAIN;
}

/* A shared connection's SETTINGS come in its own pass (h2_shared.c), which
 * does not wake c: c looks again shortly (H2P_SETTINGS_POLL_MS) while a
 * WebSocket waits for them.  c's own server side wakes c with its bytes. */
static void h2p_settings_later(struct conn *c)
{
	if (c->h2->shared && !loop_timer_armed(&c->h2->settings_poll))
		loop_timer_arm(wk->loop, &c->h2->settings_poll, H2P_SETTINGS_POLL_MS);
}

/* The server side is back: the streams that waited for it open there. */
static void h2p_resume(struct conn *c)
{
	c->h2->waiting = false;
	c->h2->pending_settings = false;
	for (struct h2x *x = c->h2->xs; x; x = x->next) {
		struct h2_msg m = x->req;
		struct hf_head h;

		if (!x->srv_wait)
			continue;
		h2_msg_init(&x->req);
		x->srv_wait = false;
		h = head_of_msg(&m, x->rq_cl);
		c_open(c, x, &h, x->up_end && buf_len(&x->up) == 0);
		if (x->ssid > 0 && !x->up_sent)
			x_drain(c, x, true);
		h2_msg_free(&m);
	}
}

/* The server side went to the h2 pool while idle: the client's bytes are
 * read and answered; a stream that needs the server takes a pooled
 * connection, or a new one is made (as at the start).  True when the
 * server side is back now. */
static bool h2p_released_step(struct conn *c, bool *progress)
{
	struct h2_proxy *p = c->h2;
	bool ok = h2p_feed(p->cops, p->cli, &c->client, progress);

	h2p_flush(p->cops, p->cli, &c->client, progress);
	if (!ok || h2p_client_over(c)) {
		h2p_closing(c, progress);
		return false;
	}
	if (!p->waiting)
		return false;
	p->released = false;
	*progress = true;
	p->srv = h2_pool_take(c, &server_events);
	if (p->srv) {
		p->sops = h2ops;
		return true;
	}
	conn_client_log(c, LOG_LVL_DEBUG, "HTTP/2 server side released: connecting again");
	conn_connect(c, c->host, c->port, h2p_connected);
	return false;
}

/* The h2 server connection ended (a GOAWAY, a close, an error) with no
 * stream open on it: the client's connection goes on, and its next stream
 * connects again as after a release (a server that ends connections after
 * so many requests, as nginx does, does not end its clients'). */
static void h2p_server_ended(struct conn *c, bool *progress)
{
	conn_client_log(c, LOG_LVL_DEBUG,
			"HTTP/2 server connection ended; the next stream connects again");
	h2ops->free(c->h2->srv);
	c->h2->srv = NULL;
	conn_server_disconnect(c);
	stream_close(&c->server);
	stream_init(&c->server, c, -1);
	c->h2->released = true;
	*progress = true;
}

/* c's own h2 server connection ended under open streams: each ends as its
 * failure says (x_cut); the client's connection goes on. */
static void h2p_server_failed(struct conn *c)
{
	const char *why = c->server.err[0] ? c->server.err : "server closed the connection";
	struct h2x *x, *next;

	for (x = c->h2->xs; x; x = next) {
		next = x->next;
		if (x->sh == NULL && x->ssid > 0 && !x->s_closed) {
			x_server_failed(x, HF_E_CANCEL, why);
			s_close(c, x); /* may free x */
		}
	}
}

/* What c's streams submitted on shared connections goes out. */
static void h2p_kick_shared(struct conn *c)
{
	for (struct h2x *x = c->h2->xs; x; x = x->next)
		if (x->sh)
			h2_shared_kick(x->sh);
}

/* The server side is shared (h2_shared.h): the client's bytes are read and
 * answered and its streams open on shared connections (c_open); while
 * none has room, c->server connects one more, shared once it speaks h2
 * (h2p_server_framing) and the waiting streams open there. */
static void h2p_shared_step(struct conn *c, bool *progress)
{
	struct h2_proxy *p = c->h2;
	bool okc;

	if (c->server.fd >= 0 && !h2p_server_wait(c, progress))
		return;
	if (!p->shared) { /* the new connection speaks HTTP/1.1, or failed */
		*progress = true;
		return;
	}
	if (p->waiting && h2p_settings_pending(c))
		h2p_settings_later(c);
	else if (p->waiting)
		h2p_resume(c);
	okc = h2p_feed(p->cops, p->cli, &c->client, progress);
	h2p_flush(p->cops, p->cli, &c->client, progress);
	if (okc && buf_len(&c->client.in) > 0) /* HTTP/1: a pipelined request, its stream free */
		okc = h2p_feed(p->cops, p->cli, &c->client, progress);
	h2p_kick_shared(c);
	if (!okc || h2p_client_over(c)) {
		h2p_closing(c, progress);
		return;
	}
	if (p->waiting && c->server.fd < 0 && !c->server.failed && !h2p_settings_pending(c)) {
		conn_client_log(c, LOG_LVL_DEBUG, "HTTP/2 server side released: connecting again");
		*progress = true;
		conn_connect(c, c->host, c->port, h2p_connected);
	}
}

static void h2p_step(struct conn *c, bool *progress)
{
	struct h2_proxy *p = c->h2;
	bool okc, oks, pool;

	if (p->released && !h2p_released_step(c, progress))
		return;
	if (p->shared) {
		h2p_shared_step(c, progress);
		return;
	}
	if (p->srv == NULL && !h2p_server_wait(c, progress))
		return;
	if (p->probing && h2p_probe(c, progress))
		return;
	if (p->shared) { /* the server side just became shared */
		*progress = true;
		return;
	}
	if (p->waiting && !h2p_settings_pending(c))
		h2p_resume(c);
	pool = p->sops == &h1pool_ops;
	okc = h2p_feed(p->cops, p->cli, &c->client, progress);
	oks = !okc || pool || h2p_feed(p->sops, p->srv, &c->server, progress);
	if (pool)
		h1pool_pump(p->srv, progress);
	h2p_flush(p->cops, p->cli, &c->client, progress);
	if (okc && buf_len(&c->client.in) > 0) /* HTTP/1: a pipelined request, its stream free */
		okc = h2p_feed(p->cops, p->cli, &c->client, progress);
	if (!pool)
		h2p_flush(p->sops, p->srv, &c->server, progress);
	if (okc && !h2p_client_over(c) && !pool && !p->probing && (!oks || h2p_server_gone(c))) {
		h2p_server_failed(c);
		h2p_server_ended(c, progress);
		return;
	}
	h2p_kick_shared(c);
	if (!okc || !oks || h2p_client_over(c) || h2p_server_gone(c)) {
		if (!pool && (c->server.failed || c->server.rd_eof))
			for (struct h2x *x = p->xs; x; x = x->next)
				x_error(x, "%s",
					c->server.err[0] ? c->server.err
							 : "server closed the connection");
		h2p_closing(c, progress);
	}
}

/* Records the exchanges still open and frees the framings. */
static void h2p_close(struct conn *c)
{
	struct h2_proxy *p = c->h2;
	struct h2x *x, *next;

	if (p->idle.fn)
		loop_timer_cancel(wk->loop, &p->idle);
	if (p->settings_poll.fn)
		loop_timer_cancel(wk->loop, &p->settings_poll);
	/* a quiet server connection outlives its client in the h2 pool */
	if (p->xs == NULL && p->srv && p->sops == h2ops && !p->probing && h2_pool_put(c, p->srv))
		p->srv = NULL;
	for (x = c->h2->xs; x; x = next) {
		next = x->next;
		x_error(x, "%s", c->client.failed ? "client disconnected" : "connection closed");
		x_record(c, x);
		x_free(x);
	}
	c->h2->xs = NULL;
	if (p->sh) { /* its streams were reset above; the connection serves others */
		h2_shared_unref(p->sh, c);
		p->sh = NULL;
	}
	if (c->h2->cli)
		c->h2->cops->free(c->h2->cli);
	if (c->h2->srv)
		c->h2->sops->free(c->h2->srv);
	c->h2->cli = c->h2->srv = NULL;
}

/* RFC 8441: an h2 client is offered extended CONNECT (a SETTINGS frame after
 * the first) only once c's server side is known to carry a WebSocket: an
 * HTTP/1.1 pool (h1_pool.c sends an Upgrade), or an h2 server whose SETTINGS
 * had ENABLE_CONNECT_PROTOCOL 1.  Offered before, a server without it would
 * answer 501 where the client would have opened an HTTP/1.1 WebSocket.  True
 * when the offer went out now. */
static bool h2p_ws_offer(struct conn *c)
{
	struct h2_proxy *p = c->h2;
	const struct http_framing *srv = NULL;
	bool ok;

	if (c->layer != &layer_h2 || p == NULL || p->ws_offered || p->cops != h2ops ||
	    p->cli == NULL || c->state == CS_CLOSING) /* the step may have left the layer */
		return false;
	if (p->shared)
		srv = p->sh ? h2_shared_framing(p->sh) : NULL;
	else if (p->sops == h2ops && !p->probing)
		srv = p->srv;
	ok = (p->sops == &h1pool_ops && p->srv) || (srv && h2_framing_peer_connect(srv) == 1);
	if (!ok || h2_framing_offer_connect(p->cli) != 0)
		return false;
	p->ws_offered = true;
	return true;
}

/* One step, then the offer h2p_ws_offer makes once the server side is known. */
static void h2p_step_offer(struct conn *c, bool *progress)
{
	h2p_step(c, progress);
	if (!c->freed && h2p_ws_offer(c))
		*progress = true;
}

const struct layer_ops layer_h2 = {
    .name = "h2",
    .step = h2p_step_offer,
    .close = h2p_close,
    LAYER_STATE(h2),
};
