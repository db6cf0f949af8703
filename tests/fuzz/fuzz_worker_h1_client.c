/* Fuzz target for the HTTP/1.1 client framing (worker/h1_client.c): the
 * input is what a server sends back, in pieces each led by a control byte
 * (the piece's size, the next request's method), to requests (GET, HEAD, POST with a chunked body)
 * opened whenever the framing is idle.  Every stream the framing opens must be closed exactly once,
 * body bytes are only delivered within the window, and the framing never reads past a response it
 * has not been asked for. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "worker/h1_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct count {
	int opened, closed, heads;
	size_t unconsumed;
};

static void on_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	assert(h->status >= 100 && h->status <= 999);
	((struct count *)eng)->heads++;
}

static void on_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	((struct count *)eng)->unconsumed += n;
	assert(((struct count *)eng)->unconsumed <= 65536);
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

	c->closed++;
	assert(c->closed <= c->opened);
	c->unconsumed = 0;
}

static void on_space(void *eng, int32_t sid)
{
}

static void on_conn_error(void *eng, uint32_t code, int status, const char *why)
{
}

static const struct hf_events events = {on_head,  on_data,  on_trailers,   on_end, on_reset,
					on_close, on_space, on_conn_error, NULL};

static void open_request(const struct http_framing_ops *ops, struct http_framing *f,
			 struct count *c, uint8_t kind)
{
	static const char *const methods[] = {"GET", "HEAD", "POST"};
	struct hf_field fl[] = {{"cookie", 6, "a=1", 3}, {"cookie", 6, "b=2", 3}};
	struct hf_head h = {.method = methods[kind % 3],
			    .scheme = "https",
			    .authority = "fuzz.example",
			    .path = "/",
			    .fields = fl,
			    .nfields = 2,
			    .content_length = -1};
	int32_t sid = ops->submit_head(f, 0, &h, kind % 3 != 2);

	assert(sid > 0);
	c->opened++;
	if (kind % 3 == 2) {
		assert(ops->submit_data(f, sid, (const uint8_t *)"body", 4) == 4);
		assert(ops->submit_end(f, sid, fl, 1) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_framing_ops *ops = &h1c_framing_ops;
	struct hf_limits lim = {.max_head_bytes = 4096, .max_fields = 32, .max_streams = 1};
	struct count c = {0};
	struct http_framing *f = ops->open(HF_CLIENT, &lim, &events, &c);
	struct buf in, out;
	size_t i = 0, step;

	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 20);
	while (i < size) {
		uint8_t ctl = data[i++]; /* a control byte before each piece */
		size_t n;

		if (ops->can_open(f))
			open_request(ops, f, &c, ctl);
		step = (ctl % 61) + 1;
		n = size - i < step ? size - i : step;
		if (buf_append(&in, data + i, n) < 0)
			break;
		i += n;
		if (ops->feed(f, &in) < 0)
			break;
		(void)ops->flush(f, &out);
		buf_consume(&out, buf_len(&out));
		(void)ops->consume(f, 0, c.unconsumed);
		c.unconsumed = 0;
	}
	h1c_eof(f);
	(void)ops->flush(f, &out);
	assert(c.closed == c.opened);
	ops->free(f);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
