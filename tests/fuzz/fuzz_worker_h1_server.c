/* Fuzz target for the HTTP/1.1 server framing (worker/h1_server.c): the
 * input is what a client sends, in pieces each led by a control byte (the
 * piece's size, how the engine answers the request in progress: a length,
 * chunks with trailers, nothing, a reset).  Every stream the engine saw
 * must be closed exactly once, with increasing odd ids, body bytes are only
 * delivered within the window, and a bad head's answer goes out once. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "worker/h1_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_framing_ops *ops = &h1s_framing_ops;

struct count {
	struct http_framing *f;
	int opened, closed, errors;
	int32_t sid, last_sid;
	bool answered;
	size_t unconsumed;
};

static void on_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct count *c = eng;

	assert(sid > c->last_sid && (sid & 1) == 1);
	assert(h->method && h->method[0]);
	assert(h->version == 10 || h->version == 11);
	c->opened++;
	c->sid = c->last_sid = sid;
	c->answered = false;
}

static void on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct count *c = eng;

	assert(sid == c->sid);
	c->unconsumed += n;
	assert(c->unconsumed <= 65536);
}

static void on_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert(f[i].name_len > 0);
}

static void on_end(void *eng, int32_t sid)
{
}

static void on_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
}

static void on_close(void *eng, int32_t sid)
{
	struct count *c = eng;

	assert(sid == c->sid);
	c->closed++;
	assert(c->closed <= c->opened);
	c->sid = 0;
	c->unconsumed = 0;
}

static void on_space(void *eng, int32_t sid)
{
}

static void on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	struct count *c = eng;
	struct hf_head h = {.status = status, .content_length = -1};

	assert(++c->errors == 1);
	if (status)
		assert(ops->submit_head(c->f, 0, &h, true) == 0);
}

static const struct hf_events events = {on_head,  on_data,  on_trailers,   on_end, on_reset,
					on_close, on_space, on_conn_error, NULL};

/* The engine's answer to the stream in progress, chosen by `kind`. */
static void answer(struct count *c, uint8_t kind)
{
	struct hf_field cl[] = {{"content-length", 14, "4", 1}};
	struct hf_field tr[] = {{"grpc-status", 11, "0", 1}};
	struct hf_head h = {.status = 200, .content_length = -1};
	int32_t sid = c->sid;

	if (sid == 0 || c->answered)
		return;
	c->answered = true;
	switch (kind % 4) {
	case 0:
		h.fields = cl;
		h.nfields = 1;
		assert(ops->submit_head(c->f, sid, &h, false) == 0);
		assert(ops->submit_data(c->f, sid, (const uint8_t *)"body", 4) == 4);
		assert(ops->submit_end(c->f, sid, NULL, 0) == 0);
		break;
	case 1:
		assert(ops->submit_head(c->f, sid, &h, false) == 0);
		assert(ops->submit_data(c->f, sid, (const uint8_t *)"body", 4) == 4);
		assert(ops->submit_end(c->f, sid, tr, 1) == 0);
		break;
	case 2:
		h.status = 204;
		assert(ops->submit_head(c->f, sid, &h, true) == 0);
		break;
	default:
		assert(ops->submit_reset(c->f, sid, 0x8) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hf_limits lim = {.max_head_bytes = 4096, .max_fields = 32, .max_streams = 1};
	struct count c = {0};
	struct buf in, out;
	size_t i = 0;
	bool over = false;

	c.f = ops->open(HF_SERVER, &lim, &events, &c);
	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 20);
	while (i < size && !over) {
		uint8_t ctl = data[i++]; /* a control byte before each piece */
		size_t step = (ctl % 61) + 1, n = size - i < step ? size - i : step;

		if (buf_append(&in, data + i, n) < 0)
			break;
		i += n;
		for (int k = 0; k < 4 && !over; k++) { /* pipelined requests come one by one */
			over = ops->feed(c.f, &in) < 0;
			(void)ops->consume(c.f, c.sid, c.unconsumed);
			c.unconsumed = 0;
			if (ctl & 0x80)
				answer(&c, ctl >> 2);
			(void)ops->flush(c.f, &out);
			buf_consume(&out, buf_len(&out));
		}
	}
	h1s_eof(c.f);
	answer(&c, 2);
	(void)ops->flush(c.f, &out);
	assert(c.closed == c.opened);
	assert(ops->done(c.f));
	ops->free(c.f);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
