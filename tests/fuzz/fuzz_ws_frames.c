/* Fuzz target for the worker's WebSocket frame observer (ws). Input: one flag byte (bit 0: the
 * client direction; bits 1-4: a chunk size), one byte of max_message, then the stream. Feeds it
 * whole and in chunks and checks both report the same events and the same verdict. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ws/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A running FNV-1a hash of every callback, plus a count. */
struct transcript {
	uint64_t h;
	size_t events;
	size_t max_message;
};

static void mix(struct transcript *t, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		t->h = (t->h ^ b[i]) * 0x100000001b3ull;
}

static void on_message(void *arg, enum ws_msg_kind kind, const uint8_t *data, size_t len,
		       bool truncated)
{
	struct transcript *t = arg;

	assert(kind == WS_TEXT || kind == WS_BINARY);
	assert(len <= t->max_message);
	mix(t, &kind, sizeof(kind));
	mix(t, &len, sizeof(len));
	mix(t, &truncated, sizeof(truncated));
	mix(t, data, len);
	t->events++;
}

static void on_close(void *arg, uint16_t code)
{
	struct transcript *t = arg;

	mix(t, "close", 5);
	mix(t, &code, sizeof(code));
	t->events++;
}

static int run(const uint8_t *p, size_t n, bool from_client, size_t max, size_t step,
	       struct transcript *t)
{
	struct ws_parser w;
	int r = 0;

	t->h = 0xcbf29ce484222325ull;
	t->events = 0;
	t->max_message = max;
	ws_parser_init(&w, from_client, max);
	for (size_t off = 0; off < n && r == 0; off += step)
		r = ws_parser_feed(&w, p + off, n - off < step ? n - off : step, on_message,
				   on_close, t);
	assert(r == 0 || r == -EPROTO);
	ws_parser_free(&w);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript whole, parts;
	bool from_client;
	size_t max, step;
	int r1, r2;

	if (size < 2)
		return 0;
	from_client = data[0] & 1;
	step = 1 + ((data[0] >> 1) & 0x0f);
	max = data[1];
	r1 = run(data + 2, size - 2, from_client, max, size, &whole);
	r2 = run(data + 2, size - 2, from_client, max, step, &parts);
	assert(r1 == r2);
	assert(whole.events == parts.events && whole.h == parts.h);
	return 0;
}
