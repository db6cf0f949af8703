/* Runs in a worker: WebSocket over HTTP/2 (RFC 8441) for h2_proxy.c.  The
 * client's extended CONNECT and both peers' frames are untrusted: the
 * frames are parsed only to record messages (daemon/ws/, the same parser
 * and limits as the HTTP/1 relay), the bytes go on unchanged. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "h2/h2.h"
#include "ws/ws.h"
#include "worker/h2_framing.h"
#include "worker/h2_ws.h"
#include "worker/relay.h"
#include "worker/worker_ctx.h"

struct h2ws {
	struct ws_parser c2s, s2c;
	bool open;	  /* the server answered 2xx: frames are parsed */
	bool failed;	  /* a protocol error: no more recording */
	bool dir_client;  /* the direction being parsed */
	Snare__Flow msgs; /* messages and close code only */
	size_t bytes;
};

int h2ws_request(const struct hf_head *h, struct h2ws **ws)
{
	if (!h2_ws_connect(h->method, h->protocol))
		return 501;
	*ws = xcalloc(1, sizeof(**ws));
	snare__flow__init(&(*ws)->msgs);
	return 0;
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

void h2ws_response(struct h2ws *ws, int status)
{
	if (ws->open || status < 200 || status > 299)
		return;
	ws->open = true;
	ws_parser_init(&ws->c2s, true, RELAY_KEEP_MAX);
	ws_parser_init(&ws->s2c, false, RELAY_KEEP_MAX);
}

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
	if (!ws->open || ws->failed || !wk->want_flows)
		return;
	ws->dir_client = up;
	if (ws_parser_feed(up ? &ws->c2s : &ws->s2c, p, n, on_message, on_close, ws) < 0)
		ws->failed = true;
}

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
	relay_msgs_free(&ws->msgs);
	free(ws);
}
