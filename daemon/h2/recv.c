/* Runs in the worker. libnghttp2's receive callbacks turned into the owner's neutral per-stream
 * events (h2.h). Header names and values come from the peer: counted against max_header_list
 * and copied; libnghttp2 has already checked them against RFC 9113 8.2 and 8.3. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "h2/h2_int.h"

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st;

	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st = h2_stream_find(s, f->hd.stream_id);
	if (!st && s->role == H2_SERVER && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
		st = h2_stream_new(s, f->hd.stream_id);
		nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, st);
	}
	if (st) {
		h2_msg_free(&st->in);
		h2_msg_init(&st->in);
		st->head_bytes = 0;
	}
	return 0;
}

static const struct {
	const char *name;
	size_t off;
} pseudo_slots[] = {
    {":method", offsetof(struct h2_msg, method)},
    {":scheme", offsetof(struct h2_msg, scheme)},
    {":authority", offsetof(struct h2_msg, authority)},
    {":path", offsetof(struct h2_msg, path)},
    {":protocol", offsetof(struct h2_msg, protocol)}, /* RFC 8441, when connect_protocol */
};

static void set_pseudo(struct h2_msg *m, const char *name, const char *value, size_t vlen)
{
	if (strcmp(name, ":status") == 0) {
		m->status = atoi(value);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pseudo_slots); i++) {
		char **slot = (char **)((char *)m + pseudo_slots[i].off);

		if (strcmp(name, pseudo_slots[i].name) == 0) {
			free(*slot);
			*slot = xstrndup(value, vlen);
			return;
		}
	}
	/* libnghttp2 lets no other through (:protocol only when connect_protocol is on). */
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
		     const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st = h2_stream_find(s, f->hd.stream_id);

	if (!st || st->refused)
		return 0;
	st->head_bytes += nlen + vlen + 32; /* RFC 9113 6.5.2 */
	if (st->head_bytes > s->opt.max_header_list) {
		st->refused = true;
		return 0;
	}
	if (nlen && name[0] == ':')
		set_pseudo(&st->in, (const char *)name, (const char *)value, vlen);
	else if (h2_msg_add(&st->in, (const char *)name, nlen, (const char *)value, vlen) != 0)
		st->refused = true;
	return 0;
}

/* A header list above our limit: 431 to a client, a reset to a server. */
static void refuse(struct h2_session *s, struct h2_stream *st)
{
	static const nghttp2_nv too_large[] = {
	    {(uint8_t *)":status", (uint8_t *)"431", 7, 3, NGHTTP2_NV_FLAG_NONE},
	};

	h2_msg_free(&st->in);
	h2_msg_init(&st->in);
	if (s->role == H2_SERVER && !st->announced)
		nghttp2_submit_response(s->ng, st->sid, too_large, 1, NULL);
	else
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->sid, H2_PROTOCOL_ERROR);
}

/* libnghttp2 drops invalid fields (upper case, bad bytes, a connection-specific field) unless
 * told; RFC 9113 8.1.1 makes the message malformed, and a proxy must not pass it on. */
static int on_invalid_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
			     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
			     void *user)
{
	struct h2_stream *st = h2_stream_find(user, f->hd.stream_id);

	if (st)
		st->malformed = true;
	return 0;
}

static void headers_received(struct h2_session *s, struct h2_stream *st, bool end)
{
	struct h2_head h;

	if (st->malformed) {
		h2_msg_free(&st->in);
		h2_msg_init(&st->in);
		st->refused = true; /* its data is given back unseen */
		nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->sid, H2_PROTOCOL_ERROR);
		return;
	}
	if (st->refused) {
		refuse(s, st);
		return;
	}
	h = h2_msg_head(&st->in);
	if (h.method || h.status) {
		st->announced = true;
		if (s->cb.on_head)
			s->cb.on_head(s->owner, st->sid, &h, end);
	} else if (st->announced && s->cb.on_trailers) {
		s->cb.on_trailers(s->owner, st->sid, h.fields, h.nfields);
	}
	h2_msg_free(&st->in);
	h2_msg_init(&st->in);
}

/* on_reset; told once from a stream's close (on_stream_close), more than once from frames. */
static void tell_reset(struct h2_session *s, struct h2_stream *st, uint32_t code, bool by_peer)
{
	if (!st->announced || !s->cb.on_reset)
		return;
	st->reset_told = true;
	s->cb.on_reset(s->owner, st->sid, code, by_peer);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st = h2_stream_find(s, f->hd.stream_id);
	bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;

	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		if (st)
			headers_received(s, st, end);
		break;
	case NGHTTP2_DATA:
		break;
	case NGHTTP2_RST_STREAM:
		if (st)
			tell_reset(s, st, f->rst_stream.error_code, true);
		return h2_rst_received(s);
	case NGHTTP2_SETTINGS:
		s->settings_seen |= !(f->hd.flags & NGHTTP2_FLAG_ACK);
		return 0;
	case NGHTTP2_GOAWAY:
		if (s->cb.on_goaway)
			s->cb.on_goaway(s->owner, f->goaway.error_code, f->goaway.last_stream_id,
					true);
		return 0;
	default:
		return 0;
	}
	if (end && st && st->announced && !st->refused && s->cb.on_end)
		s->cb.on_end(s->owner, st->sid);
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t sid, const uint8_t *p,
			 size_t n, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st = h2_stream_find(s, sid);

	if (!st || !st->announced || st->refused)
		return nghttp2_session_consume(ng, sid, n);
	st->unconsumed += n;
	if (s->cb.on_data)
		s->cb.on_data(s->owner, sid, p, n);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t sid, uint32_t code, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st = h2_stream_find(s, sid);

	if (!st)
		return 0;
	/* Bytes the owner will never consume still hold the connection window. */
	if (st->unconsumed)
		nghttp2_session_consume_connection(ng, st->unconsumed);
	/* A stream of ours above the last stream id of the server's GOAWAY: libnghttp2 closes it
	 * with REFUSED_STREAM and no frame said so; the peer did (RFC 9113 6.8). */
	if (code != NGHTTP2_NO_ERROR && s->role == H2_CLIENT && !st->reset_told)
		tell_reset(s, st, code, true);
	if (st->announced && s->cb.on_close)
		s->cb.on_close(s->owner, sid, code);
	nghttp2_session_set_stream_user_data(ng, sid, NULL);
	h2_stream_free(s, st);
	return 0;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *f, void *user)
{
	struct h2_session *s = user;
	struct h2_stream *st;

	if (f->hd.type == NGHTTP2_RST_STREAM) {
		st = h2_stream_find(s, f->hd.stream_id);
		if (st)
			tell_reset(s, st, f->rst_stream.error_code, false);
	} else if (f->hd.type == NGHTTP2_GOAWAY && s->cb.on_goaway) {
		s->cb.on_goaway(s->owner, f->goaway.error_code, f->goaway.last_stream_id, false);
	}
	return 0;
}

void h2_recv_callbacks(nghttp2_session_callbacks *cbs)
{
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_invalid_header_callback(cbs, on_invalid_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
}
