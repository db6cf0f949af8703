/* Runs in a worker: server replay (`server_replay`).  The coordinator sends
 * every recorded flow of the files after the configuration; this worker
 * indexes its own copy (daemon/replay), so with several workers each one
 * serves and pops its own set: a recorded response is served once per
 * worker, not once in all.  A request is matched after routing, with its
 * body: a Content-Length body that fits the client buffer is waited for
 * (c->http->replay_wait); a larger or chunked one is matched only under
 * server_replay_ignore_content, otherwise the request goes to the server.  The match is made in the
 * HTTP/1 engine, so while server replay is on the worker speaks HTTP/1.1
 * with clients (as with http2=false).  The answer is the recorded
 * response (refreshed), sent without any server connection, and its flow
 * is marked is_replay = "response".  The recorded flows are a file's word:
 * only protobuf-c's shape is trusted, and the response is re-framed here
 * (Content-Length from the content, Transfer-Encoding dropped). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "output/dump.h"
#include "replay/replay.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/replay_worker.h"
#include "worker/worker_ctx.h"

#define REPLAY_HEAD_MAX 2048 /* status line and framing header we add */

static struct {
	struct replay_server *index; /* NULL: no server replay */
	uint32_t pending;	     /* flows announced, not yet received */
} srv;

int replay_worker_configure(const Snare__WorkerConfig *cfg, char *err, size_t errlen)
{
	const struct options *o = &wk->opts;
	struct replay_server_opts ro = {
	    .ignore_content = o->server_replay_ignore_content,
	    .ignore_host = o->server_replay_ignore_host,
	    .ignore_port = o->server_replay_ignore_port,
	    .reuse = o->server_replay_reuse || o->server_replay_nopop,
	    .refresh = o->server_replay_refresh,
	    .ignore_params = (const char *const *)o->server_replay_ignore_params.v,
	    .n_ignore_params = o->server_replay_ignore_params.n,
	    .ignore_payload_params = (const char *const *)o->server_replay_ignore_payload_params.v,
	    .n_ignore_payload_params = o->server_replay_ignore_payload_params.n,
	    .use_headers = (const char *const *)o->server_replay_use_headers.v,
	    .n_use_headers = o->server_replay_use_headers.n,
	};

	srv.pending = cfg->has_server_replay_flows ? cfg->server_replay_flows : 0;
	if (o->server_replay.n == 0)
		return 0;
	wk->opts.http2 = false; /* every request through the HTTP/1 engine */
	if (replay_extra_parse(o->server_replay_extra ? o->server_replay_extra : "forward",
			       &ro.extra, &ro.extra_status) < 0) {
		snprintf(err, errlen, "server_replay_extra: %s", o->server_replay_extra);
		return -EINVAL;
	}
	if (o->server_replay_kill_extra)
		ro.extra = REPLAY_EXTRA_KILL;
	if (replay_server_new(&ro, &srv.index) < 0) {
		snprintf(err, errlen, "server replay: out of memory");
		return -ENOMEM;
	}
	return 0;
}

bool replay_worker_ready(void)
{
	return srv.pending == 0;
}

static void on_server_flow(const Snare__Flow *f)
{
	if (srv.pending > 0)
		srv.pending--;
	if (srv.index && replay_server_add(srv.index, f) == -ENOMEM)
		log_warn("worker %u: server replay: out of memory", wk->index);
}

/* The recorded response as HTTP/1.1 bytes, framed by its content. */
static int response_wire(const Snare__HttpResponse *rs, struct buf *b)
{
	char line[REPLAY_HEAD_MAX];
	unsigned code = rs->has_status_code && rs->status_code >= 100 && rs->status_code <= 999
			    ? rs->status_code
			    : 200;
	int r;

	/* an HTTP/2 recording has no reason: the usual one for its status */
	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", code,
		 rs->reason && rs->reason[0] && !strpbrk(rs->reason, "\r\n")
		     ? rs->reason
		     : dump_status_reason(code));
	r = buf_append(b, line, strlen(line));
	for (size_t i = 0; r == 0 && i < rs->n_headers; i++) {
		const ProtobufCBinaryData *n = &rs->headers[i]->name, *v = &rs->headers[i]->value;

		if ((n->len == 14 && strncasecmp((char *)n->data, "content-length", 14) == 0) ||
		    (n->len == 17 && strncasecmp((char *)n->data, "transfer-encoding", 17) == 0) ||
		    memchr(n->data, '\n', n->len) || memchr(v->data, '\n', v->len) ||
		    memchr(n->data, '\r', n->len) || memchr(v->data, '\r', v->len) ||
		    (n->len > 0 && n->data[0] == ':'))
			continue;
		r |= buf_append(b, n->data, n->len);
		r |= buf_append(b, ": ", 2);
		r |= buf_append(b, v->data, v->len);
		r |= buf_append(b, "\r\n", 2);
	}
	snprintf(line, sizeof(line), "content-length: %zu\r\n\r\n", rs->content.len);
	r |= buf_append(b, line, strlen(line));
	if (rs->content.len)
		r |= buf_append(b, rs->content.data, rs->content.len);
	return r ? -ENOBUFS : 0;
}

/* Sends bytes as our answer and records the flow as a server replay's; the
 * connection is kept when the request was read whole. */
static void answer(struct conn *c, const uint8_t *p, size_t n)
{
	bool keep = c->http->req.body.done && c->http->req.head->keep_alive;

	c->http->req.ts_end = clock_wall();
	http_local_response(c, p, n);
	if (c->freed)
		return;
	c->replay_mark = "response";
	flow_send_http(c, NULL);
	c->replay_mark = NULL;
	c->http->flow_sent = true;
	http_exchange_next(c, keep);
}

static void take_body(struct conn *c, bool whole, size_t n);

/* False when the response does not fit the client's buffer: nothing was
 * taken, the request goes to the server. */
static bool answer_flow(struct conn *c, const Snare__HttpResponse *rs, bool whole, size_t n)
{
	struct buf b;
	bool ok;

	buf_init(&b, STREAM_BUF_MAX);
	ok = response_wire(rs, &b) == 0 && buf_room(&c->client.out) >= buf_len(&b);
	if (ok) {
		take_body(c, whole, n);
		answer(c, buf_ptr(&b), buf_len(&b));
	} else
		conn_client_log(c, LOG_LVL_WARN,
				"server replay: the recorded response is larger than %u bytes; "
				"the request goes to the server",
				(unsigned)buf_room(&c->client.out));
	buf_free(&b);
	return ok;
}

static void answer_status(struct conn *c, unsigned status)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\ncontent-length: 0\r\n\r\n", status,
			 dump_status_reason(status));

	answer(c, (const uint8_t *)line, (size_t)n);
}

/* The request body when all of it is already here (*n bytes at *p; none:
 * 0).  False when it is still on its way. */
static bool body_here(struct conn *c, const uint8_t **p, size_t *n)
{
	const struct http1_head *h = c->http->req.head;

	*p = NULL;
	*n = 0;
	if (h->body == HTTP1_BODY_NONE)
		return true;
	if (h->body != HTTP1_BODY_LENGTH || h->content_length > buf_len(&c->client.in))
		return false;
	*p = buf_ptr(&c->client.in);
	*n = (size_t)h->content_length;
	return true;
}

/* Answering: the body is ours to record and the request is complete. */
static void take_body(struct conn *c, bool whole, size_t n)
{
	struct body_xfer *b = &c->http->req.body;

	if (!whole)
		return;
	if (n) {
		http_body_piece(b, buf_ptr(&c->client.in), n);
		buf_consume(&c->client.in, n);
	}
	b->done = true;
}

static struct replay_answer lookup(struct conn *c, const uint8_t *body, size_t n)
{
	struct replay_answer a;
	Snare__Flow *view = flow_http_view(c);

	if (body) {
		view->request->has_content = 1;
		view->request->content.data = (uint8_t *)(uintptr_t)body;
		view->request->content.len = n;
	}
	if (replay_server_lookup(srv.index, view->request, clock_wall(), &a) < 0)
		a.verdict = REPLAY_FORWARD;
	flow_view_free(view);
	return a;
}

/* The verdict for a request whose body is here (whole) or not needed:
 * true when it was answered or killed. */
static bool decide(struct conn *c, bool whole, const uint8_t *body, size_t n)
{
	struct replay_answer a = lookup(c, body, n);
	bool done = true;

	if (a.verdict == REPLAY_ANSWER) {
		done = answer_flow(c, a.flow->response, whole, n);
	} else if (a.verdict == REPLAY_STATUS) {
		take_body(c, whole, n);
		answer_status(c, a.status);
	} else if (a.verdict == REPLAY_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "server replay: no recorded response; killed");
		flow_send_http(c, "Killed by server replay (server_replay_extra)");
		c->http->flow_sent = true;
		conn_close(c);
	} else {
		done = false;
	}
	replay_answer_free(&a);
	return done;
}

bool replay_http_request(struct conn *c)
{
	const struct http1_head *h = c->http->req.head;
	const uint8_t *body;
	size_t n;
	bool whole;

	if (srv.index == NULL || replay_server_count(srv.index) == 0)
		return false;
	whole = body_here(c, &body, &n);
	if (!whole && !wk->opts.server_replay_ignore_content) {
		/* a Content-Length body that fits the buffer: wait for it;
		 * otherwise (chunked, larger) the server answers */
		if (h->body != HTTP1_BODY_LENGTH || h->content_length > c->client.in.max)
			return false;
		c->http->replay_wait = true;
		conn_set_state(c, CS_EXCHANGE);
		return true;
	}
	return decide(c, whole, body, n);
}

void replay_http_body_step(struct conn *c, bool *progress)
{
	const uint8_t *body;
	size_t n;

	if (!body_here(c, &body, &n)) {
		if (c->client.rd_eof || c->client.failed)
			conn_close(c); /* the client gave up before its body was in */
		return;
	}
	c->http->replay_wait = false;
	*progress = true;
	if (srv.index == NULL || !decide(c, true, body, n))
		http_route_forward(c);
}

void replay_worker_on_flow(struct ipc_chan *ch, struct ipc_frame *f)
{
	const Snare__ReplayFlow *m = ((Snare__CoordToWorker *)f->msg)->replay;

	(void)ch;
	if (m->server) {
		on_server_flow(m->flow);
		return;
	}
	replay_client_queue(m->flow, ipc_frame_take_fd(f, 0), ipc_frame_take_fd(f, 1));
}
