/* Runs in the worker. Floods and fatal errors on an h2 session. The Rapid Reset bucket is ours
 * although libnghttp2 has one: libnghttp2's answers INTERNAL_ERROR and tells the owner nothing,
 * ours answers ENHANCE_YOUR_CALM and reports once (libnghttp2's stays as a looser backstop).
 * After a fatal error libnghttp2's session must not send again, so the GOAWAY is built here. */
#include <errno.h>

#include "core/util.h"
#include "h2/h2_int.h"

void h2_abuse(struct h2_session *s, enum h2_abuse what)
{
	if (s->abuse_reported)
		return;
	s->abuse_reported = true;
	if (s->cb.on_abuse)
		s->cb.on_abuse(s->owner, what);
}

/* A client's RST_STREAM: one token from a bucket of rst_burst refilled at rst_rate a second. */
int h2_rst_received(struct h2_session *s)
{
	uint64_t now = clock_ms();

	if (s->role != H2_SERVER || s->abuse_reported)
		return 0;
	s->rst_tokens += (double)(now - s->rst_ms) * s->opt.rst_rate / 1000.0;
	if (s->rst_tokens > s->opt.rst_burst)
		s->rst_tokens = s->opt.rst_burst;
	s->rst_ms = now;
	if (s->rst_tokens >= 1) {
		s->rst_tokens -= 1;
		return 0;
	}
	h2_abuse(s, H2_ABUSE_RAPID_RESET);
	return nghttp2_session_terminate_session(s->ng, H2_ENHANCE_YOUR_CALM) == 0
		   ? 0
		   : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static const struct {
	int ngerr;
	uint32_t code;
	int abuse; /* an enum h2_abuse, or -1 */
} fatal_map[] = {
    {NGHTTP2_ERR_FLOODED, H2_ENHANCE_YOUR_CALM, H2_ABUSE_FLOOD},
    {NGHTTP2_ERR_TOO_MANY_CONTINUATIONS, H2_ENHANCE_YOUR_CALM, H2_ABUSE_CONTINUATION},
    {NGHTTP2_ERR_NOMEM, H2_INTERNAL_ERROR, -1},
    {NGHTTP2_ERR_CALLBACK_FAILURE, H2_INTERNAL_ERROR, -1},
};

/* libnghttp2 gave up on the connection: answer GOAWAY with the matching code and finish. */
int h2_fatal(struct h2_session *s, int ngerr)
{
	uint32_t code = H2_PROTOCOL_ERROR;
	int32_t last = nghttp2_session_get_last_proc_stream_id(s->ng);

	for (size_t i = 0; i < ARRAY_SIZE(fatal_map); i++) {
		if (fatal_map[i].ngerr != ngerr)
			continue;
		code = fatal_map[i].code;
		if (fatal_map[i].abuse >= 0)
			h2_abuse(s, (enum h2_abuse)fatal_map[i].abuse);
	}
	s->dead = true;
	put32(s->goaway, 8 << 8 | NGHTTP2_GOAWAY); /* length 8, type, then flags 0 */
	s->goaway[4] = 0;
	put32(s->goaway + 5, 0); /* stream 0 */
	put32(s->goaway + 9, (uint32_t)last & 0x7fffffff);
	put32(s->goaway + 13, code);
	if (s->cb.on_goaway)
		s->cb.on_goaway(s->owner, code, last, false);
	return -EPROTO;
}
