/* Runs in a worker: websocket_message for a relayed WebSocket (relay.c).
 * While a script wants the event, each direction is handled frame by
 * frame: control frames pass unchanged, the data frames of a message are
 * held (raw and unmasked) until its last frame, then the script sees the
 * message and it goes out unchanged (the held frames), changed (one new
 * frame, masked again towards the server) or not at all (dropped).  A
 * frame or message too large to hold turns the hook off for that
 * direction; the bytes then pass as they come.  Peers and scripts are
 * untrusted; frames are parsed here only as far as their lengths. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "core/util.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

#define WS_HOLD_MAX RELAY_KEEP_MAX	     /* bytes of one held message */
#define WS_OUT_MAX (2 * RELAY_KEEP_MAX + 64) /* bytes waiting for the peer */

struct hooks_ws_dir {
	struct buf held, msg, out;
	uint8_t opcode; /* of the open message */
	bool off;	/* passing through */
};
struct hooks_ws {
	struct hooks_ws_dir d[2];	  /* [1]: from the client */
	const struct hooks_ws_view *view; /* NULL: the HTTP/1 exchange's (flow_http_view) */
};

bool hooks_ws_wanted(void)
{
	return hooks.active && script_set_wants(&hooks.scripts, SCRIPT_EV_WEBSOCKET_MESSAGE);
}

void hooks_ws_free(struct hooks_ws *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		buf_free(&w->d[i].held);
		buf_free(&w->d[i].msg);
		buf_free(&w->d[i].out);
	}
	free(w);
}

/* A frame's header length and payload length; 0 when more bytes are needed. */
static size_t frame_head(const uint8_t *p, size_t n, uint64_t *len)
{
	size_t h = 2;

	if (n < 2)
		return 0;
	*len = p[1] & 0x7f;
	if (*len == 126)
		h += 2;
	else if (*len == 127)
		h += 8;
	if (p[1] & 0x80)
		h += 4;
	if (n < h)
		return 0;
	if (*len == 126)
		*len = (uint64_t)p[2] << 8 | p[3];
	else if (*len == 127) {
		*len = 0;
		for (size_t i = 0; i < 8; i++)
			*len = *len << 8 | p[2 + i];
	}
	return h;
}

/* One frame with `payload`, masked when it goes to the server. */
static int frame_put(struct buf *out, uint8_t opcode, const uint8_t *d, size_t n, bool mask)
{
	uint8_t h[14], key[4] = {0};
	size_t hl = 2;
	int r;

	h[0] = 0x80 | opcode;
	h[1] = mask ? 0x80 : 0;
	if (n < 126) {
		h[1] |= (uint8_t)n;
	} else if (n <= 0xffff) {
		h[1] |= 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] |= 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (mask) {
		if (getrandom(key, 4, 0) != 4)
			memset(key, 0x5a, 4);
		memcpy(h + hl, key, 4);
		hl += 4;
	}
	r = buf_append(out, h, hl);
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint8_t b = d[i] ^ key[i & 3];

		r = buf_append(out, &b, 1);
	}
	return r;
}

/* The script's verdict on the held message, into dir->out. */
static void message_done(struct conn *c, struct hooks_ws *w, struct hooks_ws_dir *dir,
			 bool from_client)
{
	Snare__Flow *f = w->view ? w->view->open(w->view->arg) : flow_http_view(c);
	uint8_t *out;
	size_t len = 0;
	unsigned ch;
	int r = 0;

	f->has_websocket = f->websocket = 1;
	ch = hooks_message_run(
	    f, SCRIPT_EV_WEBSOCKET_MESSAGE, from_client, buf_ptr(&dir->msg), buf_len(&dir->msg),
	    dir->opcode == 1 ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY, &out,
	    &len);
	if (w->view)
		w->view->close(w->view->arg, f);
	else
		flow_view_free(f);
	if (ch & (SCRIPT_CH_DROP | SCRIPT_CH_KILL))
		conn_client_log(c, LOG_LVL_DEBUG, "WebSocket message dropped by a hook");
	else if (out)
		r = frame_put(&dir->out, dir->opcode, out, len, from_client);
	else
		r = buf_append(&dir->out, buf_ptr(&dir->held), buf_len(&dir->held));
	if (r < 0)
		conn_client_log(c, LOG_LVL_WARN, "WebSocket message too large to send; dropped");
	free(out);
	buf_reset(&dir->held);
	buf_reset(&dir->msg);
}

/* A frame or message too large to hold: what was held goes out first,
 * then this direction passes as it comes. */
static bool go_off(struct conn *c, struct hooks_ws_dir *dir)
{
	dir->off = true;
	if (buf_append(&dir->out, buf_ptr(&dir->held), buf_len(&dir->held)) < 0)
		conn_client_log(c, LOG_LVL_WARN, "WebSocket: held frames lost");
	buf_reset(&dir->held);
	buf_reset(&dir->msg);
	return false;
}

/* A data frame's raw bytes into held and its payload, unmasked, into msg. */
static int hold_frame(struct hooks_ws_dir *dir, const uint8_t *p, size_t h, size_t len)
{
	uint8_t *u = xmalloc(len ? len : 1);
	int r;

	for (size_t i = 0; i < len; i++)
		u[i] = p[h + i] ^ ((p[1] & 0x80) ? p[h - 4 + (i & 3)] : 0);
	r = buf_append(&dir->held, p, h + len);
	if (r == 0)
		r = buf_append(&dir->msg, u, len);
	free(u);
	return r;
}

/* Takes one complete frame from `in`; false when there is none yet or
 * the direction goes off. */
static bool frame_take(struct conn *c, struct hooks_ws *w, struct hooks_ws_dir *dir, struct buf *in,
		       bool from_client)
{
	const uint8_t *p = buf_ptr(in);
	uint64_t len;
	size_t h = frame_head(p, buf_len(in), &len);
	uint8_t op;
	bool fin;

	if (h == 0)
		return false;
	if (len > WS_HOLD_MAX || h + len > STREAM_BUF_MAX)
		return go_off(c, dir);
	if (buf_len(in) < h + len)
		return false;
	op = p[0] & 0x0f;
	fin = p[0] & 0x80;
	if (op >= 8) { /* control frames pass as they are */
		if (buf_append(&dir->out, p, h + len) < 0)
			return false;
		buf_consume(in, h + len);
		return true;
	}
	if (buf_len(&dir->msg) + len > WS_HOLD_MAX || hold_frame(dir, p, h, len) < 0)
		return go_off(c, dir);
	if (op != 0)
		dir->opcode = op;
	buf_consume(in, h + len);
	if (fin)
		message_done(c, w, dir, from_client);
	return true;
}

static struct hooks_ws *ws_new(const struct hooks_ws_view *view)
{
	struct hooks_ws *w = xcalloc(1, sizeof(*w));

	for (int i = 0; i < 2; i++) {
		buf_init(&w->d[i].held, WS_HOLD_MAX + 64);
		buf_init(&w->d[i].msg, WS_HOLD_MAX);
		buf_init(&w->d[i].out, WS_OUT_MAX);
	}
	w->view = view;
	return w;
}

/* Moves frames from `in` to `out` as far as out's room allows. */
static bool ws_move(struct conn *c, struct hooks_ws *w, struct buf *in, struct buf *out,
		    bool from_client,
		    void (*sent)(struct conn *c, bool from_client, const uint8_t *p, size_t n),
		    bool *progress)
{
	struct hooks_ws_dir *dir = &w->d[from_client];
	size_t n;

	for (;;) {
		n = buf_len(&dir->out);
		if (n > buf_room(out))
			n = buf_room(out);
		if (n > 0 && buf_append(out, buf_ptr(&dir->out), n) == 0) {
			if (sent)
				sent(c, from_client, buf_ptr(&dir->out), n);
			buf_consume(&dir->out, n);
			*progress = true;
		}
		if (buf_len(&dir->out) > 0 || dir->off || !frame_take(c, w, dir, in, from_client))
			break;
		*progress = true;
	}
	return !dir->off || buf_len(&dir->out) > 0;
}

bool hooks_ws_relay(struct conn *c, struct hooks_ws **wp, struct stream *from, struct stream *to,
		    bool from_client,
		    void (*sent)(struct conn *c, bool from_client, const uint8_t *p, size_t n),
		    bool *progress)
{
	if (*wp == NULL)
		*wp = ws_new(NULL);
	return ws_move(c, *wp, &from->in, &to->out, from_client, sent, progress);
}

bool hooks_ws_pending(const struct hooks_ws *w, bool from_client)
{
	return w && buf_len(&w->d[from_client].out) > 0;
}

bool hooks_ws_filter(struct conn *c, struct hooks_ws **wp, const struct hooks_ws_view *view,
		     bool from_client, struct buf *in, struct buf *out)
{
	bool progress = false;

	if (*wp == NULL)
		*wp = ws_new(view);
	return ws_move(c, *wp, in, out, from_client, NULL, &progress);
}
