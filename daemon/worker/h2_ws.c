/* Runs in a worker: WebSocket over HTTP/2 (RFC 8441) for h2_proxy.c.  The
 * client's extended CONNECT and both peers' frames are untrusted: the
 * frames are parsed only to record messages (daemon/ws/, the same parser
 * and limits as the HTTP/1 relay), the bytes go on unchanged unless a
 * script's websocket_message hook changes or drops a message (hooks_ws.c,
 * the same frame handling as the HTTP/1 relay, here between buffers). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/unconst.h"
#include "core/util.h"
#include "h2/h2.h"
#include "ws/ws.h"
#include "worker/conn.h"
#include "worker/h2_framing.h"
#include "worker/h2_ws.h"
#include "worker/hooks.h"
#include "worker/relay.h"
#include "worker/worker_ctx.h"

#define H2WS_IN_MAX (3 * STREAM_BUF_MAX) /* a frame being held and a window more */

struct h2ws {
	struct ws_parser c2s, s2c;
	bool open;	  /* the server answered 2xx: frames are parsed */
	bool failed;	  /* a protocol error: no more recording */
	bool dir_client;  /* the direction being parsed */
	Snare__Flow msgs; /* messages and close code only */
	size_t bytes;
	/* the stream, for the scripts' view of the flow */
	struct conn *c;
	char *flow_id;
	const struct h2_msg *req, *resp;
	struct hooks_h2_out hout;
	/* websocket_message (decided when the WebSocket starts) */
	bool hooked;
	bool pass[2]; /* [1]: from the client; a frame too large to hold: bytes as they come */
	struct hooks_ws *hws;
	struct hooks_ws_view view;
	struct buf in[2]; /* bytes taken from the sender, not through the hooks yet */
	size_t owed[2];	  /* ... and not consumed (the sender's window) yet */
};

int h2ws_request(const struct hf_head *h, struct h2ws **ws)
{
	if (!h2_ws_connect(h->method, h->protocol))
		return 501;
	*ws = xcalloc(1, sizeof(**ws));
	snare__flow__init(&(*ws)->msgs);
	return 0;
}

void h2ws_bind(struct h2ws *ws, struct conn *c, char *flow_id, const struct h2_msg *req,
	       const struct h2_msg *resp)
{
	ws->c = c;
	ws->flow_id = flow_id;
	ws->req = req;
	ws->resp = resp;
}

int h2ws_server_status(const struct http_framing *h2srv)
{
	int r = h2srv ? h2_framing_peer_connect(h2srv) : 1;

	return r < 0 ? r : r == 0 ? 501 : 0;
}

struct hf_field *h2ws_server_head(struct hf_head *h)
{
	struct hf_field *f = xcalloc(h->nfields ? h->nfields : 1, sizeof(*f));
	size_t n = 0;

	for (size_t i = 0; i < h->nfields; i++)
		if (!(h->fields[i].name_len == 24 &&
		      strncasecmp(h->fields[i].name, "sec-websocket-extensions", 24) == 0))
			f[n++] = h->fields[i];
	h->fields = f;
	h->nfields = n;
	h->protocol = "websocket";
	return f;
}

/* ---- the flow the scripts see ---- */

static struct hf_head head_of(const struct h2_msg *m)
{
	return (struct hf_head){.method = m->method,
				.scheme = m->scheme,
				.authority = m->authority,
				.path = m->path,
				.protocol = m->protocol,
				.status = m->status,
				.version = 20,
				.fields = (const struct hf_field *)(const void *)m->fields,
				.nfields = m->nfields,
				.content_length = -1};
}

static Snare__Flow *view_open(void *arg)
{
	struct h2ws *ws = arg;
	struct hf_head rq = head_of(ws->req), rs = head_of(ws->resp);
	Snare__Flow *f =
	    hooks_h2_view(ws->c, ws->flow_id, &rq, true, NULL, &rs, false, NULL, &ws->hout);

	f->has_websocket = f->websocket = 1;
	return f;
}

static void view_close(void *arg, Snare__Flow *f)
{
	struct h2ws *ws = arg;

	(void)f;
	hooks_h2_out_free(&ws->hout);
}

bool h2ws_event(struct h2ws *ws, enum script_event ev, const char *error)
{
	Snare__Flow *f;
	unsigned ch;

	if (!ws || !ws->open || !ws->c || !hooks.active || !script_set_wants(&hooks.scripts, ev))
		return false;
	f = view_open(ws);
	f->error = unconst(error);
	ch = hooks_event_run(f, ev);
	f->error = NULL;
	view_close(ws, f);
	return ch & SCRIPT_CH_KILL;
}

void h2ws_response(struct h2ws *ws, int status)
{
	if (ws->open || status < 200 || status > 299)
		return;
	ws->open = true;
	ws_parser_init(&ws->c2s, true, RELAY_KEEP_MAX);
	ws_parser_init(&ws->s2c, false, RELAY_KEEP_MAX);
	ws->hooked = ws->c && hooks_ws_wanted();
	if (ws->hooked) {
		ws->view = (struct hooks_ws_view){view_open, view_close, ws};
		buf_init(&ws->in[0], H2WS_IN_MAX);
		buf_init(&ws->in[1], H2WS_IN_MAX);
	}
}

/* ---- recording ---- */

static void on_message(void *arg, enum ws_msg_kind kind, const uint8_t *d, size_t n, bool truncated)
{
	struct h2ws *ws = arg;

	relay_msg_add(&ws->msgs, &ws->bytes, ws->dir_client, d, n,
		      kind == WS_TEXT ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY,
		      truncated);
}

static void on_close(void *arg, uint16_t code)
{
	struct h2ws *ws = arg;

	ws->msgs.has_websocket_close_code = 1;
	ws->msgs.websocket_close_code = code;
}

void h2ws_data(struct h2ws *ws, bool up, const uint8_t *p, size_t n)
{
	if (!ws->open || ws->failed || !wk->want_flows || n == 0)
		return;
	ws->dir_client = up;
	if (ws_parser_feed(up ? &ws->c2s : &ws->s2c, p, n, on_message, on_close, ws) < 0)
		ws->failed = true;
}

/* ---- websocket_message ---- */

bool h2ws_hooked(const struct h2ws *ws, bool up)
{
	return ws && ws->hooked &&
	       !(ws->pass[up] && buf_len(&ws->in[up]) == 0 && ws->owed[up] == 0 &&
		 !hooks_ws_pending(ws->hws, up));
}

/* What is in `in` goes on as it is, as far as out's room allows. */
static void pass_on(struct buf *in, struct buf *out)
{
	size_t k = buf_len(in) < buf_room(out) ? buf_len(in) : buf_room(out);

	if (k > 0 && buf_append(out, buf_ptr(in), k) == 0)
		buf_consume(in, k);
}

int h2ws_filter(struct h2ws *ws, bool up, const uint8_t *p, size_t n, struct buf *out)
{
	struct buf *in = &ws->in[up];
	size_t before = buf_len(out);

	ws->owed[up] += n;
	if (n > 0 && buf_append(in, p, n) < 0)
		return -ENOBUFS;
	if (!ws->pass[up] && !hooks_ws_filter(ws->c, &ws->hws, &ws->view, up, in, out)) {
		conn_client_log(ws->c, LOG_LVL_DEBUG,
				"WebSocket frame too large for the hooks; passed on as it is");
		ws->pass[up] = true;
	}
	if (ws->pass[up])
		pass_on(in, out);
	h2ws_data(ws, up, buf_ptr(out) + before, buf_len(out) - before);
	return 0;
}

bool h2ws_pending(const struct h2ws *ws, bool up)
{
	return ws->hooked &&
	       (hooks_ws_pending(ws->hws, up) || (ws->pass[up] && buf_len(&ws->in[up])));
}

size_t h2ws_owed(struct h2ws *ws, bool up)
{
	size_t n = ws->owed[up];

	ws->owed[up] = 0;
	return n;
}

/* ---- the end ---- */

const char *h2ws_error(const struct h2ws *ws)
{
	return ws && ws->failed ? "WebSocket protocol error" : NULL;
}

const Snare__Flow *h2ws_flow(const struct h2ws *ws)
{
	return ws && ws->open ? &ws->msgs : NULL;
}

void h2ws_free(struct h2ws *ws)
{
	if (ws == NULL)
		return;
	if (ws->open) {
		ws_parser_free(&ws->c2s);
		ws_parser_free(&ws->s2c);
	}
	if (ws->hooked) {
		buf_free(&ws->in[0]);
		buf_free(&ws->in[1]);
	}
	hooks_ws_free(ws->hws);
	relay_msgs_free(&ws->msgs);
	free(ws);
}
