/* Unit tests for the ws module (worker-side WebSocket frame observer). Frames are the RFC 6455
 * section 5.7 examples plus ones built here; each test checks what the parser reports for the
 * flow record, and every protocol error it must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ws/ws.h"

#define MAX_EVENTS 16

/* What the callbacks saw, in order. */
struct event {
	bool is_close;
	enum ws_msg_kind kind;
	uint8_t *data;
	size_t len;
	bool truncated;
	uint16_t code;
};

struct recorder {
	struct event ev[MAX_EVENTS];
	size_t n;
};

static void on_message(void *arg, enum ws_msg_kind kind, const uint8_t *data, size_t len,
		       bool truncated)
{
	struct recorder *r = arg;
	struct event *e = &r->ev[r->n];

	assert_true(r->n < MAX_EVENTS);
	assert_non_null(data);
	e->kind = kind;
	e->data = malloc(len + 1);
	assert_non_null(e->data);
	memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	e->truncated = truncated;
	r->n++;
}

static void on_close(void *arg, uint16_t code)
{
	struct recorder *r = arg;

	assert_true(r->n < MAX_EVENTS);
	r->ev[r->n].is_close = true;
	r->ev[r->n].code = code;
	r->n++;
}

static void recorder_free(struct recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ev[i].data);
	memset(r, 0, sizeof(*r));
}

static void assert_same_events(const struct recorder *a, const struct recorder *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->ev[i].is_close, b->ev[i].is_close);
		assert_int_equal(a->ev[i].kind, b->ev[i].kind);
		assert_int_equal(a->ev[i].len, b->ev[i].len);
		assert_int_equal(a->ev[i].truncated, b->ev[i].truncated);
		assert_int_equal(a->ev[i].code, b->ev[i].code);
		if (a->ev[i].len > 0)
			assert_memory_equal(a->ev[i].data, b->ev[i].data, a->ev[i].len);
	}
}

/* A frame under construction. */
struct frame_buf {
	uint8_t b[140000];
	size_t n;
};

static void put(struct frame_buf *f, uint8_t v)
{
	assert_true(f->n < sizeof(f->b));
	f->b[f->n++] = v;
}

/* Appends one frame; b0 is the first header byte (FIN/RSV/opcode); mask NULL for none;
 * lenbytes forces the length form (0 shortest, 2 or 8 extended). */
static void add_frame(struct frame_buf *f, uint8_t b0, const uint8_t *mask, const void *payload,
		      uint64_t len, int lenbytes)
{
	const uint8_t *pl = payload;
	uint8_t mbit = mask != NULL ? 0x80 : 0;

	if (lenbytes == 0)
		lenbytes = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
	put(f, b0);
	if (lenbytes == 0) {
		put(f, mbit | (uint8_t)len);
	} else {
		put(f, mbit | (lenbytes == 2 ? 126 : 127));
		for (int i = lenbytes - 1; i >= 0; i--)
			put(f, (uint8_t)(len >> (8 * i)));
	}
	for (int i = 0; mask != NULL && i < 4; i++)
		put(f, mask[i]);
	for (uint64_t i = 0; pl != NULL && i < len; i++)
		put(f, pl[i] ^ (mask != NULL ? mask[i & 3] : 0));
}

static const uint8_t mask1[4] = {0x37, 0xfa, 0x21, 0x3d};

static int feed_all(struct ws_parser *w, const uint8_t *p, size_t n, struct recorder *r)
{
	return ws_parser_feed(w, p, n, on_message, on_close, r);
}

/* Feeds in chunks of `step` bytes; returns the first error or 0. */
static int feed_steps(struct ws_parser *w, const uint8_t *p, size_t n, size_t step,
		      struct recorder *r)
{
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;
		int ret = feed_all(w, p + off, k, r);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static void test_rfc_masked_client_text(void **state)
{
	static const uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct ws_parser w;
	struct recorder r = {0};

	ws_parser_init(&w, true, 1024);
	assert_int_equal(feed_all(&w, frame, sizeof(frame), &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ev[0].kind, WS_TEXT);
	assert_int_equal(r.ev[0].len, 5);
	assert_string_equal((char *)r.ev[0].data, "Hello");
	assert_false(r.ev[0].truncated);
	ws_parser_free(&w);
	recorder_free(&r);
}

static void test_unmasked_server_binary(void **state)
{
	static const uint8_t bin[] = {0x00, 0xff, 0x10, 0x80};
	struct frame_buf *f = calloc(1, sizeof(*f));
	struct ws_parser w;
	struct recorder r = {0};

	assert_non_null(f);
	add_frame(f, 0x82, NULL, bin, sizeof(bin), 0);
	add_frame(f, 0x81, NULL, "", 0, 0); /* an empty text message */
	ws_parser_init(&w, false, 1024);
	assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ev[0].kind, WS_BINARY);
	assert_int_equal(r.ev[0].len, sizeof(bin));
	assert_memory_equal(r.ev[0].data, bin, sizeof(bin));
	assert_int_equal(r.ev[1].kind, WS_TEXT);
	assert_int_equal(r.ev[1].len, 0);
	assert_false(r.ev[1].truncated);
	ws_parser_free(&w);
	recorder_free(&r);
	free(f);
}

static void test_fragmented_with_ping(void **state)
{
	struct frame_buf *f = calloc(1, sizeof(*f));
	struct ws_parser w;
	struct recorder r = {0};

	assert_non_null(f);
	add_frame(f, 0x01, mask1, "Hel", 3, 0);	     /* text, not final */
	add_frame(f, 0x89, mask1, "ping", 4, 0);     /* ping in between */
	add_frame(f, 0x00, mask1, "", 0, 0);	     /* empty continuation */
	add_frame(f, 0x8a, mask1, NULL, 0, 0);	     /* pong, empty */
	add_frame(f, 0x80, mask1, "lo, you", 7, 0);  /* final continuation */
	add_frame(f, 0x82, mask1, "\x01\x02", 2, 0); /* then a new message */
	ws_parser_init(&w, true, 1024);
	assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ev[0].kind, WS_TEXT);
	assert_string_equal((char *)r.ev[0].data, "Hello, you");
	assert_int_equal(r.ev[1].kind, WS_BINARY);
	assert_int_equal(r.ev[1].len, 2);
	ws_parser_free(&w);
	recorder_free(&r);
	free(f);
}

static void test_extended_lengths(void **state)
{
	static const size_t sizes[] = {125, 126, 256, 65535, 65536, 70000};
	struct frame_buf *f = calloc(1, sizeof(*f));
	uint8_t *payload = malloc(70000);
	struct ws_parser w;
	struct recorder r = {0};

	assert_non_null(f);
	assert_non_null(payload);
	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)(i * 7);
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		f->n = 0;
		add_frame(f, 0x82, mask1, payload, sizes[s], 0);
		assert_int_equal(f->b[1] & 0x7f, sizes[s] < 126	    ? sizes[s]
						 : sizes[s] < 65536 ? 126
								    : 127);
		ws_parser_init(&w, true, 100000);
		assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.ev[0].len, sizes[s]);
		assert_memory_equal(r.ev[0].data, payload, sizes[s]);
		assert_false(r.ev[0].truncated);
		if (sizes[s] > 16384)
			assert_null(w.msg); /* a large buffer is not kept between messages */
		ws_parser_free(&w);
		recorder_free(&r);
	}
	free(payload);
	free(f);
}

/* A stream with every kind of frame, for split-invariance. */
static void build_mixed(struct frame_buf *f, bool masked)
{
	static uint8_t big[300];
	const uint8_t *m = masked ? mask1 : NULL;

	memset(big, 'b', sizeof(big));
	f->n = 0;
	add_frame(f, 0x81, m, "one", 3, 0);
	add_frame(f, 0x02, m, big, 200, 0);
	add_frame(f, 0x89, m, "p", 1, 0);
	add_frame(f, 0x00, m, big, 130, 0);
	add_frame(f, 0x80, m, "end", 3, 0);
	add_frame(f, 0x82, m, big, 300, 0);
	add_frame(f, 0x81, m, "", 0, 0);
	add_frame(f, 0x88, m,
		  "\x03\xe8"
		  "bye",
		  5, 0);
}

static void test_split_invariance(void **state)
{
	struct frame_buf *f = calloc(1, sizeof(*f));
	static const size_t steps[] = {1, 2, 3, 5, 7, 13, 64};

	assert_non_null(f);
	for (int masked = 0; masked < 2; masked++) {
		struct ws_parser w;
		struct recorder whole = {0};

		build_mixed(f, masked);
		ws_parser_init(&w, masked, 250);
		assert_int_equal(feed_all(&w, f->b, f->n, &whole), 0);
		ws_parser_free(&w);
		assert_int_equal(whole.n, 5);
		assert_string_equal((char *)whole.ev[0].data, "one");
		assert_int_equal(whole.ev[1].len, 250); /* 200 + 130 + 3 bytes, cut at 250 */
		assert_true(whole.ev[1].truncated);
		assert_int_equal(whole.ev[2].len, 250);
		assert_true(whole.ev[2].truncated);
		assert_int_equal(whole.ev[3].len, 0);
		assert_true(whole.ev[4].is_close);
		assert_int_equal(whole.ev[4].code, 1000);
		for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
			struct recorder part = {0};

			ws_parser_init(&w, masked, 250);
			assert_int_equal(feed_steps(&w, f->b, f->n, steps[s], &part), 0);
			assert_same_events(&whole, &part);
			ws_parser_free(&w);
			recorder_free(&part);
		}
		recorder_free(&whole);
	}
	free(f);
}

static void test_truncation(void **state)
{
	struct frame_buf *f = calloc(1, sizeof(*f));
	char text[100];
	struct ws_parser w;
	struct recorder r = {0};

	assert_non_null(f);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	add_frame(f, 0x01, NULL, text, 4, 0);
	add_frame(f, 0x00, NULL, text + 4, 50, 0);
	add_frame(f, 0x80, NULL, text + 54, 46, 0);
	add_frame(f, 0x81, NULL, text, 10, 0); /* exactly max_message: not truncated */
	ws_parser_init(&w, false, 10);
	assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ev[0].len, 10);
	assert_memory_equal(r.ev[0].data, text, 10);
	assert_true(r.ev[0].truncated);
	assert_int_equal(r.ev[1].len, 10);
	assert_false(r.ev[1].truncated);
	ws_parser_free(&w);
	recorder_free(&r);

	ws_parser_init(&w, false, 0); /* keep nothing */
	assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
	add_frame(f, 0x82, NULL, NULL, 0, 0);
	assert_int_equal(feed_all(&w, f->b + f->n - 2, 2, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ev[0].len, 0);
	assert_true(r.ev[0].truncated);
	assert_false(r.ev[2].truncated); /* empty message lost nothing */
	assert_null(w.msg);
	ws_parser_free(&w);
	recorder_free(&r);
	free(f);
}

/* Feeds one close frame with the given payload; returns the feed result. */
static int close_with(const void *payload, size_t len, struct recorder *r)
{
	struct frame_buf *f = calloc(1, sizeof(*f));
	struct ws_parser w;
	int ret;

	assert_non_null(f);
	add_frame(f, 0x88, mask1, payload, len, 0);
	ws_parser_init(&w, true, 100);
	ret = feed_all(&w, f->b, f->n, r);
	ws_parser_free(&w);
	free(f);
	return ret;
}

static void test_close_codes(void **state)
{
	static const uint16_t good[] = {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999};
	static const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
	struct recorder r = {0};
	uint8_t code[2];

	assert_int_equal(close_with(NULL, 0, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(r.ev[0].is_close);
	assert_int_equal(r.ev[0].code, 1005);
	recorder_free(&r);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		code[0] = (uint8_t)(good[i] >> 8);
		code[1] = (uint8_t)good[i];
		assert_int_equal(close_with(code, 2, &r), 0);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.ev[0].code, good[i]);
		recorder_free(&r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		code[0] = (uint8_t)(bad[i] >> 8);
		code[1] = (uint8_t)bad[i];
		assert_int_equal(close_with(code, 2, &r), -EPROTO);
		assert_int_equal(r.n, 0);
	}
	assert_int_equal(close_with("\x03", 1, &r), -EPROTO); /* a lone byte */
	assert_int_equal(r.n, 0);
}

static void test_bytes_after_close_ignored(void **state)
{
	struct frame_buf *f = calloc(1, sizeof(*f));
	struct ws_parser w;
	struct recorder r = {0};

	assert_non_null(f);
	add_frame(f, 0x88, NULL, "\x0f\xa0", 2, 0);
	add_frame(f, 0x81, NULL, "late", 4, 0);
	ws_parser_init(&w, false, 100);
	assert_int_equal(feed_all(&w, f->b, f->n, &r), 0);
	assert_int_equal(feed_all(&w, (const uint8_t *)"\xff\xff", 2, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ev[0].code, 4000);
	ws_parser_free(&w);
	recorder_free(&r);
	free(f);
}

struct bad_case {
	const char *what;
	bool from_client;
	uint8_t prefix_b0; /* 0: no prefix frame; else a first frame (payload "x") */
	uint8_t b0;
	bool masked;
	uint64_t len;
	int lenbytes;
	size_t payload; /* payload bytes actually appended */
};

static const struct bad_case bad_cases[] = {
    {"rsv1 (permessage-deflate)", false, 0, 0xc1, false, 1, 0, 1},
    {"rsv2", false, 0, 0xa1, false, 1, 0, 1},
    {"rsv3", false, 0, 0x91, false, 1, 0, 1},
    {"opcode 3", false, 0, 0x83, false, 0, 0, 0},
    {"opcode 7", false, 0, 0x87, false, 0, 0, 0},
    {"opcode 0xb", false, 0, 0x8b, false, 0, 0, 0},
    {"opcode 0xf", false, 0, 0x8f, false, 0, 0, 0},
    {"control > 125", false, 0, 0x89, false, 126, 0, 126},
    {"fragmented ping", false, 0, 0x09, false, 0, 0, 0},
    {"fragmented close", false, 0, 0x08, false, 0, 0, 0},
    {"continuation without start", false, 0, 0x80, false, 1, 0, 1},
    {"final continuation without start", false, 0, 0x00, false, 1, 0, 1},
    {"text while fragmented open", false, 0x01, 0x81, false, 1, 0, 1},
    {"binary while fragmented open", false, 0x02, 0x02, false, 1, 0, 1},
    {"client frame unmasked", true, 0, 0x81, false, 1, 0, 1},
    {"server frame masked", false, 0, 0x81, true, 1, 0, 1},
    {"64-bit length top bit", false, 0, 0x82, false, 1ull << 63, 8, 0},
    {"16-bit length not minimal", false, 0, 0x82, false, 125, 2, 125},
    {"64-bit length not minimal", false, 0, 0x82, false, 65535, 8, 0},
};

static void run_bad_case(const struct bad_case *c, size_t step)
{
	static struct frame_buf f;
	struct ws_parser w;
	struct recorder r = {0};
	uint8_t zero[130] = {0};

	f.n = 0;
	if (c->prefix_b0 != 0)
		add_frame(&f, c->prefix_b0, c->from_client ? mask1 : NULL, "x", 1, 0);
	add_frame(&f, c->b0, c->masked ? mask1 : NULL, NULL, c->len, c->lenbytes);
	memcpy(f.b + f.n, zero, c->payload);
	f.n += c->payload;
	ws_parser_init(&w, c->from_client, 100);
	if (feed_steps(&w, f.b, f.n, step, &r) != -EPROTO)
		fail_msg("not refused: %s (step %zu)", c->what, step);
	assert_int_equal(r.n, 0);
	/* The error sticks. */
	assert_int_equal(feed_all(&w, (const uint8_t *)"\x81\x00", 2, &r), -EPROTO);
	ws_parser_free(&w);
}

static void test_protocol_errors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		run_bad_case(&bad_cases[i], 1);
		run_bad_case(&bad_cases[i], 4096);
	}
}

/* The same frames with the rule respected are accepted, so the refusals above are specific. */
static void test_protocol_edges_accepted(void **state)
{
	static struct frame_buf f;
	uint8_t payload[126] = {0};
	struct ws_parser w;
	struct recorder r = {0};

	f.n = 0;
	add_frame(&f, 0x89, NULL, payload, 125, 0); /* largest control frame */
	add_frame(&f, 0x82, NULL, payload, 126, 2);
	add_frame(&f, 0x8a, NULL, payload, 0, 0);
	ws_parser_init(&w, false, 1000);
	assert_int_equal(feed_all(&w, f.b, f.n, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ev[0].len, 126);
	ws_parser_free(&w);
	recorder_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_masked_client_text),
	    cmocka_unit_test(test_unmasked_server_binary),
	    cmocka_unit_test(test_fragmented_with_ping),
	    cmocka_unit_test(test_extended_lengths),
	    cmocka_unit_test(test_split_invariance),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_close_codes),
	    cmocka_unit_test(test_bytes_after_close_ignored),
	    cmocka_unit_test(test_protocol_errors),
	    cmocka_unit_test(test_protocol_edges_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
