/* Runs in the worker; trusts nothing in the bytes. Drives the frame reader over one direction
 * of a WebSocket stream, unmasks payloads and reassembles data messages (kept up to max_message
 * bytes, counted beyond) and close codes for the flow record. The bytes themselves are forwarded
 * elsewhere, unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ws/ws_int.h"

#define WS_MSG_MIN_CAP 256
#define WS_MSG_KEEP_CAP 16384 /* larger message buffers are released after each message */

struct ws_sink {
	ws_message_fn on_message;
	ws_close_fn on_close;
	void *arg;
};

void ws_parser_init(struct ws_parser *w, bool from_client, size_t max_message)
{
	memset(w, 0, sizeof(*w));
	w->from_client = from_client;
	w->max_message = max_message;
	w->state = WS_ST_HEADER;
}

void ws_parser_free(struct ws_parser *w)
{
	free(w->msg);
	w->msg = NULL;
	w->msg_cap = 0;
	w->msg_len = 0;
}

/* Grows the message buffer to hold need bytes (need <= max_message). */
static void msg_reserve(struct ws_parser *w, size_t need)
{
	size_t cap = w->msg_cap ? w->msg_cap : WS_MSG_MIN_CAP;

	if (need <= w->msg_cap)
		return;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > w->max_message)
		cap = w->max_message;
	w->msg = xrealloc(w->msg, cap);
	w->msg_cap = cap;
}

static void unmask_into(const struct ws_parser *w, uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] ^ w->mask[(w->frame_pos + i) & 3];
}

static void payload_data(struct ws_parser *w, const uint8_t *p, size_t n)
{
	size_t room = w->max_message - w->msg_len;
	size_t keep = n < room ? n : room;

	if (keep > 0) {
		msg_reserve(w, w->msg_len + keep);
		unmask_into(w, w->msg + w->msg_len, p, keep);
		w->msg_len += keep;
	}
	w->msg_total = UINT64_MAX - w->msg_total < n ? UINT64_MAX : w->msg_total + n;
}

/* Consumes payload bytes of the current frame; returns how many. */
static size_t payload_feed(struct ws_parser *w, const uint8_t *p, size_t n)
{
	uint64_t left = w->frame_len - w->frame_pos;
	size_t take = left < n ? (size_t)left : n;

	if (take == 0)
		return 0;
	if (w->opcode & WS_OP_CONTROL) {
		unmask_into(w, w->ctl + w->ctl_len, p, take);
		w->ctl_len += take;
	} else {
		payload_data(w, p, take);
	}
	w->frame_pos += take;
	return take;
}

static void frame_begin(struct ws_parser *w)
{
	w->ctl_len = 0;
	if (w->opcode == WS_OP_TEXT || w->opcode == WS_OP_BINARY) {
		w->msg_open = true;
		w->msg_kind = w->opcode == WS_OP_TEXT ? WS_TEXT : WS_BINARY;
		w->msg_len = 0;
		w->msg_total = 0;
	}
}

static void message_done(struct ws_parser *w, const struct ws_sink *s)
{
	static const uint8_t empty[1];
	bool truncated = w->msg_total > w->msg_len;

	if (s->on_message != NULL)
		s->on_message(s->arg, w->msg_kind, w->msg_len > 0 ? w->msg : empty, w->msg_len,
			      truncated);
	w->msg_open = false;
	w->msg_len = 0;
	w->msg_total = 0;
	if (w->msg_cap > WS_MSG_KEEP_CAP) {
		free(w->msg);
		w->msg = NULL;
		w->msg_cap = 0;
	}
}

/* RFC 6455 7.4: codes an endpoint may send (1004-1006 and 1015 are reserved or local only). */
static bool close_code_ok(uint16_t code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int close_frame(struct ws_parser *w, const struct ws_sink *s)
{
	uint16_t code = WS_CLOSE_NO_STATUS;

	if (w->ctl_len == 1)
		return -EPROTO;
	if (w->ctl_len >= 2) {
		code = (uint16_t)(w->ctl[0] << 8 | w->ctl[1]);
		if (!close_code_ok(code))
			return -EPROTO;
	}
	w->state = WS_ST_CLOSED;
	if (s->on_close != NULL)
		s->on_close(s->arg, code);
	return 0;
}

static int frame_end(struct ws_parser *w, const struct ws_sink *s)
{
	switch (w->opcode) {
	case WS_OP_CLOSE:
		return close_frame(w, s);
	case WS_OP_PING:
	case WS_OP_PONG:
		return 0;
	default:
		if (w->fin)
			message_done(w, s);
		return 0;
	}
}

int ws_parser_feed(struct ws_parser *w, const uint8_t *p, size_t n, ws_message_fn on_message,
		   ws_close_fn on_close, void *arg)
{
	const struct ws_sink s = {on_message, on_close, arg};
	size_t off = 0, used;
	int r = 0;

	if (w->state == WS_ST_FAILED)
		return -EPROTO;
	if (n == 0)
		return 0;
	while (w->state == WS_ST_HEADER || w->state == WS_ST_PAYLOAD) {
		if (w->state == WS_ST_HEADER) {
			r = ws_header_feed(w, p + off, n - off, &used);
			off += used;
			if (r <= 0)
				break;
			r = 0;
			frame_begin(w);
			w->state = WS_ST_PAYLOAD;
		}
		off += payload_feed(w, p + off, n - off);
		if (w->frame_pos < w->frame_len)
			break;
		w->state = WS_ST_HEADER;
		r = frame_end(w, &s);
		if (r < 0)
			break;
	}
	if (r < 0)
		w->state = WS_ST_FAILED;
	return r;
}
