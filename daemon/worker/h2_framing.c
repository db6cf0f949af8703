/* Runs in a worker: HTTP/2 as an http_framing (http_framing.h) over the h2
 * module.  The h2 module does the wire (frames, HPACK, flow control,
 * floods); this file maps its per-stream events to the engine's (heads with
 * version 20 and their Content-Length, GOAWAY and floods as connection
 * errors) and enforces the one limit the module has not: max_headers.  The
 * peer's bytes are untrusted; the engine's submissions are trusted. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "h2/h2.h"
#include "worker/h2_framing.h"

/* hf_field is laid out as h2_field so field lists pass through unchanged. */
_Static_assert(sizeof(struct hf_field) == sizeof(struct h2_field), "hf_field layout");
_Static_assert(offsetof(struct hf_field, name_len) == offsetof(struct h2_field, name_len),
	       "hf_field layout");
_Static_assert(offsetof(struct hf_field, value) == offsetof(struct h2_field, value),
	       "hf_field layout");
_Static_assert(offsetof(struct hf_field, value_len) == offsetof(struct h2_field, value_len),
	       "hf_field layout");

/* Stream data marking a stream refused here (too many fields): the engine
 * never hears of it. */
static char refused_mark;

struct http_framing {
	struct h2_session *s;
	enum hf_side side;
	struct hf_events ev;
	void *eng;
	size_t max_fields;
	bool failed;	   /* on_conn_error was called */
	int32_t reset_sid; /* the stream on_reset told of last (its close follows) */
};

static const struct hf_field *to_hf(const struct h2_field *f)
{
	return (const struct hf_field *)(const void *)f;
}

static const struct h2_field *to_h2(const struct hf_field *f)
{
	return (const struct h2_field *)(const void *)f;
}

static bool hidden(struct http_framing *f, int32_t sid)
{
	return h2_stream_get_data(f->s, sid) == &refused_mark;
}

/* The Content-Length field's value, -1 when absent or not a number (the
 * h2 module has already rejected a message whose lengths disagree). */
static int64_t content_length(const struct h2_field *fl, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *end;
		unsigned long long v;

		if (fl[i].name_len != 14 || strcasecmp(fl[i].name, "content-length") != 0)
			continue;
		v = strtoull(fl[i].value, &end, 10);
		if (end == fl[i].value || *end != '\0' || v > INT64_MAX)
			return -1;
		return (int64_t)v;
	}
	return -1;
}

static void on_head(void *owner, int32_t sid, const struct h2_head *h, bool end_stream)
{
	struct http_framing *f = owner;
	struct hf_head hh = {
	    .method = h->method,
	    .scheme = h->scheme,
	    .authority = h->authority,
	    .path = h->path,
	    .protocol = h->protocol,
	    .status = h->status,
	    .version = 20,
	    .fields = to_hf(h->fields),
	    .nfields = h->nfields,
	    .content_length = content_length(h->fields, h->nfields),
	};

	if (hidden(f, sid))
		return;
	if (f->max_fields && h->nfields > f->max_fields) {
		h2_stream_set_data(f->s, sid, &refused_mark);
		(void)h2_submit_reset(f->s, sid,
				      f->side == HF_SERVER ? HF_E_REFUSED : HF_E_PROTOCOL);
		return;
	}
	f->ev.on_head(f->eng, sid, &hh, end_stream);
}

static void on_data(void *owner, int32_t sid, const uint8_t *p, size_t n)
{
	struct http_framing *f = owner;

	if (hidden(f, sid)) {
		(void)h2_consume(f->s, sid, n);
		return;
	}
	f->ev.on_data(f->eng, sid, p, n);
}

static void on_trailers(void *owner, int32_t sid, const struct h2_field *fl, size_t n)
{
	struct http_framing *f = owner;

	if (!hidden(f, sid))
		f->ev.on_trailers(f->eng, sid, to_hf(fl), n);
}

static void on_end(void *owner, int32_t sid)
{
	struct http_framing *f = owner;

	if (!hidden(f, sid))
		f->ev.on_end(f->eng, sid);
}

static void on_reset(void *owner, int32_t sid, uint32_t code, bool by_peer)
{
	struct http_framing *f = owner;

	f->reset_sid = sid;
	if (!hidden(f, sid))
		f->ev.on_reset(f->eng, sid, code, by_peer);
}

static void on_close(void *owner, int32_t sid, uint32_t code)
{
	struct http_framing *f = owner;

	/* on_reset told the engine of a reset already, but not of a request
	 * the server never processed (above its GOAWAY's last stream id):
	 * REFUSED_STREAM, which the engine may retry (RFC 9113 8.7) */
	if (code == HF_E_REFUSED && f->side == HF_CLIENT && f->reset_sid != sid && !hidden(f, sid))
		f->ev.on_reset(f->eng, sid, code, true);
	if (!hidden(f, sid))
		f->ev.on_close(f->eng, sid);
}

static void conn_error(struct http_framing *f, uint32_t code, const char *why)
{
	if (f->failed)
		return;
	f->failed = true;
	f->ev.on_conn_error(f->eng, code, 0, why);
}

/* A graceful GOAWAY from the peer (NO_ERROR) only stops new streams
 * (can_open says so); any other, and every one we send, ends the side.
 * The engine hears which streams a peer's one says were processed. */
static void on_goaway(void *owner, uint32_t code, int32_t last_sid, bool by_peer)
{
	struct http_framing *f = owner;
	char why[96];

	if (by_peer && code == HF_E_NO_ERROR)
		return;
	if (by_peer && !f->failed && f->ev.on_goaway)
		f->ev.on_goaway(f->eng, code, last_sid);
	snprintf(why, sizeof(why), "GOAWAY %s %s",
		 by_peer ? "received:" : "sent:", h2_error_name(code));
	conn_error(f, code, why);
}

static void on_send_space(void *owner, int32_t sid)
{
	struct http_framing *f = owner;

	if (!hidden(f, sid))
		f->ev.on_send_space(f->eng, sid);
}

static void on_abuse(void *owner, enum h2_abuse what)
{
	conn_error(owner, HF_E_CALM, h2_abuse_name(what));
}

static const struct h2_callbacks h2_cbs = {
    .on_head = on_head,
    .on_data = on_data,
    .on_trailers = on_trailers,
    .on_end = on_end,
    .on_reset = on_reset,
    .on_close = on_close,
    .on_goaway = on_goaway,
    .on_send_space = on_send_space,
    .on_abuse = on_abuse,
};

/* The session's options from the engine's limits (lim may be NULL). */
static void options_of(enum hf_side side, const struct hf_limits *lim, struct h2_options *o)
{
	h2_options_default(o);
	if (lim == NULL)
		return;
	if (lim->max_head_bytes && lim->max_head_bytes < UINT32_MAX)
		o->max_header_list = (uint32_t)lim->max_head_bytes;
	if (lim->max_streams)
		o->max_streams = lim->max_streams;
	if (lim->conn_window)
		o->conn_window = lim->conn_window;
	o->settings_sent = side == HF_SERVER && lim->settings_sent;
	o->connect_protocol = lim->connect_protocol;
}

ssize_t h2_framing_settings(const struct hf_limits *lim, uint8_t *buf, size_t cap)
{
	struct h2_options o;

	options_of(HF_SERVER, lim, &o);
	return h2_settings_frame(&o, buf, cap);
}

static struct http_framing *h2f_open(enum hf_side side, const struct hf_limits *lim,
				     const struct hf_events *ev, void *eng)
{
	struct http_framing *f = xcalloc(1, sizeof(*f));
	struct h2_options o;

	options_of(side, lim, &o);
	if (lim)
		f->max_fields = lim->max_fields;
	f->side = side;
	f->ev = *ev;
	f->eng = eng;
	f->s = h2_new(side == HF_SERVER ? H2_SERVER : H2_CLIENT, &o, &h2_cbs, f);
	return f;
}

static void h2f_free(struct http_framing *f)
{
	if (!f)
		return;
	h2_free(f->s);
	free(f);
}

static int h2f_feed(struct http_framing *f, struct buf *in)
{
	int r = h2_feed(f->s, buf_ptr(in), buf_len(in));

	buf_consume(in, buf_len(in));
	return r;
}

static int h2f_flush(struct http_framing *f, struct buf *out)
{
	for (;;) {
		const uint8_t *p;
		size_t n, room = buf_room(out);
		int r;

		if (room == 0)
			return 0;
		r = h2_out(f->s, &p, &n);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		if (n > room)
			n = room;
		if (buf_append(out, p, n) < 0)
			return -ENOBUFS;
		h2_out_done(f->s, n);
	}
}

static bool h2f_done(const struct http_framing *f)
{
	return h2_done(f->s);
}

static int32_t h2f_submit_head(struct http_framing *f, int32_t sid, const struct hf_head *h,
			       bool end_stream)
{
	struct h2_head hh = {
	    .method = h->method,
	    .scheme = h->scheme,
	    .authority = h->authority,
	    .path = h->path,
	    .protocol = h->protocol,
	    .status = h->status,
	    .fields = to_h2(h->fields),
	    .nfields = h->nfields,
	};

	int32_t r = h2_submit_head(f->s, sid, &hh, end_stream);

	return f->side == HF_SERVER && r > 0 ? 0 : r;
}

static ssize_t h2f_submit_data(struct http_framing *f, int32_t sid, const uint8_t *p, size_t n)
{
	return h2_submit_data(f->s, sid, p, n);
}

static int h2f_submit_end(struct http_framing *f, int32_t sid, const struct hf_field *t, size_t n)
{
	return h2_submit_end(f->s, sid, to_h2(t), n);
}

static int h2f_submit_reset(struct http_framing *f, int32_t sid, uint32_t code)
{
	return h2_submit_reset(f->s, sid, code);
}

static int h2f_submit_abort(struct http_framing *f, int32_t sid, uint32_t code)
{
	return h2_submit_reset_after(f->s, sid, code);
}

static int h2f_consume(struct http_framing *f, int32_t sid, size_t n)
{
	return h2_consume(f->s, sid, n);
}

static bool h2f_can_open(const struct http_framing *f)
{
	return f->side == HF_CLIENT && !f->failed && h2_streams_free(f->s) > 0;
}

void h2_framing_rebind(struct http_framing *f, const struct hf_events *ev, void *eng)
{
	f->ev = *ev;
	f->eng = eng;
}

bool h2_framing_idle(const struct http_framing *f)
{
	return !f->failed && h2_idle(f->s);
}

size_t h2_framing_trim(struct http_framing *f)
{
	return f->failed ? 0 : h2_trim(f->s);
}

int h2_framing_msg_copy(struct h2_msg *m, const struct hf_head *h)
{
	h2_msg_init(m);
	m->method = h->method ? xstrdup(h->method) : NULL;
	m->scheme = h->scheme ? xstrdup(h->scheme) : NULL;
	m->authority = h->authority ? xstrdup(h->authority) : NULL;
	m->path = h->path ? xstrdup(h->path) : NULL;
	m->protocol = h->protocol ? xstrdup(h->protocol) : NULL;
	m->status = h->status;
	for (size_t i = 0; i < h->nfields; i++)
		if (h2_msg_add(m, h->fields[i].name, h->fields[i].name_len, h->fields[i].value,
			       h->fields[i].value_len) < 0)
			return -ENOMEM;
	return 0;
}

int h2_framing_peer_connect(const struct http_framing *f)
{
	if (f->side != HF_CLIENT || f->failed)
		return 0;
	if (!h2_peer_settings_seen(f->s))
		return -EAGAIN;
	return h2_peer_setting(f->s, H2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 1;
}

int h2_framing_offer_connect(struct http_framing *f)
{
	if (f->side != HF_SERVER || f->failed)
		return -EINVAL;
	return h2_offer_connect_protocol(f->s);
}

bool h2_framing_server_preface(const uint8_t *b, size_t n)
{
	return n >= 9 && b[3] == 0x04 && (b[4] & 0x01) == 0 && (b[5] | b[6] | b[7] | b[8]) == 0;
}

const struct http_framing_ops h2_framing_ops = {
    .name = "HTTP/2.0",
    .alpn = "h2",
    .open = h2f_open,
    .free = h2f_free,
    .feed = h2f_feed,
    .flush = h2f_flush,
    .done = h2f_done,
    .submit_head = h2f_submit_head,
    .submit_data = h2f_submit_data,
    .submit_end = h2f_submit_end,
    .submit_reset = h2f_submit_reset,
    .submit_abort = h2f_submit_abort,
    .consume = h2f_consume,
    .can_open = h2f_can_open,
};
