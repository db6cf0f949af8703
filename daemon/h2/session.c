/* Runs in the worker. An HTTP/2 session's life and bytes: settings from the options, feeding the
 * peer's bytes to libnghttp2 and offering what it wants sent. Trusts nothing in the bytes;
 * libnghttp2 (Debian's, with the Rapid Reset and CONTINUATION fixes) does the framing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "h2/h2_int.h"

void h2_options_default(struct h2_options *o)
{
	*o = (struct h2_options){
	    .max_streams = 100,
	    .max_header_list = 65536,
	    .header_table = 4096,
	    .stream_window = 65535,
	    .conn_window = 1 << 20,
	    .send_buffer = 64 << 10,
	    .rst_burst = 200,
	    .rst_rate = 100,
	    .max_continuations = 8,
	    .peer_streams_before = 100,
	};
}

static nghttp2_option *make_option(const struct h2_options *o)
{
	nghttp2_option *opt;

	if (nghttp2_option_new(&opt) != 0)
		fatal("out of memory");
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, o->header_table);
	nghttp2_option_set_peer_max_concurrent_streams(opt, o->peer_streams_before);
	nghttp2_option_set_max_continuations(opt, o->max_continuations);
	/* Our own bucket (guard.c) answers first; libnghttp2's stays as a backstop. */
	nghttp2_option_set_stream_reset_rate_limit(opt, (uint64_t)o->rst_burst * 2,
						   (uint64_t)o->rst_rate * 2);
	return opt;
}

#define N_SETTINGS 5

/* Our first SETTINGS, in the order they go on the wire: how many.  No
 * SETTINGS_ENABLE_CONNECT_PROTOCOL: a server offers extended CONNECT later
 * (h2_offer_connect_protocol), once its owner knows it can be carried. */
static size_t settings_of(const struct h2_options *o, nghttp2_settings_entry iv[N_SETTINGS])
{
	iv[0] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
	iv[1] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o->max_streams};
	iv[2] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, o->max_header_list};
	iv[3] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, o->header_table};
	iv[4] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, o->stream_window};
	return N_SETTINGS;
}

/* RFC 8441 section 3: SETTINGS_ENABLE_CONNECT_PROTOCOL 1 in a SETTINGS frame of its own
 * after the first, once; it is never taken back.  libnghttp2 takes :protocol from the
 * client as soon as the frame is submitted (its pending local setting), and the client
 * sends none before it has the frame. 0, -EINVAL, or an nghttp2 error. */
int h2_offer_connect_protocol(struct h2_session *s)
{
	nghttp2_settings_entry e = {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
	int rv;

	if (s->role != H2_SERVER || !s->opt.connect_protocol || s->dead)
		return -EINVAL;
	if (s->connect_offered)
		return 0;
	rv = nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, &e, 1);
	if (rv == 0)
		s->connect_offered = true;
	return rv;
}

/* The frame nghttp2_submit_settings makes of the same entries: a 9-byte header (length,
 * type 4, no flags, stream 0) and nghttp2_pack_settings_payload's payload. */
ssize_t h2_settings_frame(const struct h2_options *o, uint8_t *buf, size_t cap)
{
	nghttp2_settings_entry iv[N_SETTINGS];
	size_t k = settings_of(o, iv);
	ssize_t n;

	if (cap < 9)
		return -ENOBUFS;
	n = nghttp2_pack_settings_payload(buf + 9, cap - 9, iv, k);
	if (n < 0)
		return -ENOBUFS;
	buf[0] = (uint8_t)(n >> 16);
	buf[1] = (uint8_t)(n >> 8);
	buf[2] = (uint8_t)n;
	buf[3] = NGHTTP2_SETTINGS;
	memset(buf + 4, 0, 5);
	return n + 9;
}

/* The session submits its SETTINGS as always, also when the owner wrote them already
 * (settings_sent): libnghttp2 then counts them in flight and takes the peer's one ACK, and
 * h2_out leaves the frame out (skip_presettings).  Dropping the peer's ACK of a second copy
 * instead would mean walking the peer's frames before libnghttp2 does. */
static int send_settings(struct h2_session *s)
{
	const struct h2_options *o = &s->opt;
	nghttp2_settings_entry iv[N_SETTINGS];
	ssize_t n;
	int rv;

	rv = nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, settings_of(o, iv));
	if (rv == 0)
		rv = nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0,
							   (int32_t)o->conn_window);
	if (rv == 0 && o->settings_sent && s->role == H2_SERVER) {
		n = h2_settings_frame(o, s->pre, sizeof(s->pre));
		if (n < 0)
			return (int)n;
		s->pre_len = (size_t)n;
	}
	return rv;
}

/* Leaves out of the chunk just made what the owner already wrote; true when nothing is left
 * of it.  A difference would be a bug here: the connection then ends with INTERNAL_ERROR. */
static bool skip_presettings(struct h2_session *s, bool *bad)
{
	size_t n = s->pre_len - s->pre_off;

	if (n > s->out_len)
		n = s->out_len;
	if (n == 0)
		return false;
	if (memcmp(s->out, s->pre + s->pre_off, n) != 0) {
		*bad = true;
		return false;
	}
	s->pre_off += n;
	s->out += n;
	s->out_len -= n;
	return s->out_len == 0;
}

/* The next chunk libnghttp2 has to send, without what the owner already wrote. */
static int next_chunk(struct h2_session *s)
{
	bool bad = false;
	ssize_t rv;

	do {
		rv = nghttp2_session_mem_send(s->ng, &s->out);
		if (rv < 0)
			return h2_fatal(s, (int)rv);
		s->out_len = (size_t)rv;
	} while (rv > 0 && skip_presettings(s, &bad));
	if (bad) {
		s->out_len = 0;
		return h2_fatal(s, NGHTTP2_ERR_CALLBACK_FAILURE);
	}
	return 0;
}

struct h2_session *h2_new(enum h2_role role, const struct h2_options *o,
			  const struct h2_callbacks *cb, void *owner)
{
	struct h2_session *s = xcalloc(1, sizeof(*s));
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	nghttp2_mem mem = h2_mem_allocator(&s->mem);
	int rv;

	s->role = role;
	s->owner = owner;
	s->cb = *cb;
	if (o)
		s->opt = *o;
	else
		h2_options_default(&s->opt);
	s->rst_tokens = s->opt.rst_burst;
	s->rst_ms = clock_ms();
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		fatal("out of memory");
	h2_recv_callbacks(cbs);
	opt = make_option(&s->opt);
	s->mem.creating = true;
	if (role == H2_SERVER)
		rv = nghttp2_session_server_new3(&s->ng, cbs, s, opt, &mem);
	else
		rv = nghttp2_session_client_new3(&s->ng, cbs, s, opt, &mem);
	s->mem.creating = false;
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	if (rv != 0)
		fatal("out of memory");
	if (send_settings(s) != 0)
		fatal("h2: settings refused");
	return s;
}

void h2_free(struct h2_session *s)
{
	if (!s)
		return;
	nghttp2_session_del(s->ng);
	while (s->streams)
		h2_stream_free(s, s->streams);
	free(s);
}

int h2_feed(struct h2_session *s, const uint8_t *p, size_t n)
{
	ssize_t rv;

	if (s->dead)
		return -EPROTO;
	rv = nghttp2_session_mem_recv(s->ng, p, n);
	if (rv < 0)
		return h2_fatal(s, (int)rv);
	return s->dead ? -EPROTO : 0;
}

int h2_out(struct h2_session *s, const uint8_t **p, size_t *n)
{
	ssize_t rv;

	if (s->out_len == 0 && s->dead && !s->goaway_sent) {
		s->goaway_sent = true;
		s->out = s->goaway;
		s->out_len = sizeof(s->goaway);
	} else if (s->out_len == 0 && !s->dead) {
		rv = next_chunk(s);
		if (rv < 0)
			return (int)rv;
		h2_notify_space(s);
	}
	*p = s->out;
	*n = s->out_len;
	return 0;
}

void h2_out_done(struct h2_session *s, size_t n)
{
	if (n > s->out_len)
		n = s->out_len;
	s->out += n;
	s->out_len -= n;
}

bool h2_done(const struct h2_session *s)
{
	if (s->out_len)
		return false;
	if (s->dead)
		return s->goaway_sent;
	return !nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng);
}

bool h2_idle(const struct h2_session *s)
{
	return s->streams == NULL && s->out_len == 0 && !s->dead &&
	       nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng);
}

size_t h2_trim(struct h2_session *s)
{
	return h2_idle(s) ? h2_mem_trim(&s->mem) : 0;
}

uint32_t h2_streams_free(const struct h2_session *s)
{
	uint32_t max = h2_peer_setting(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), open = 0;

	if (s->role != H2_CLIENT || s->dead || !nghttp2_session_check_request_allowed(s->ng))
		return 0;
	for (const struct h2_stream *st = s->streams; st; st = st->next)
		open++;
	return open < max ? max - open : 0;
}

uint32_t h2_peer_setting(const struct h2_session *s, int id)
{
	return nghttp2_session_get_remote_settings(s->ng, (nghttp2_settings_id)id);
}

static const char *const error_names[] = {
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
};

bool h2_peer_settings_seen(const struct h2_session *s)
{
	return s->settings_seen;
}

const char *h2_error_name(uint32_t code)
{
	return code < ARRAY_SIZE(error_names) ? error_names[code] : "UNKNOWN_ERROR";
}

const char *h2_abuse_name(enum h2_abuse what)
{
	static const char *const names[] = {
	    [H2_ABUSE_RAPID_RESET] = "rapid reset",
	    [H2_ABUSE_CONTINUATION] = "CONTINUATION flood",
	    [H2_ABUSE_FLOOD] = "control frame flood",
	};

	return (unsigned)what < ARRAY_SIZE(names) ? names[what] : "flood";
}
