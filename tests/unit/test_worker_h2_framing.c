/* Unit test of the HTTP/2 framing (daemon/worker/h2_framing.c): a client
 * framing and a server framing joined by memory, as the engine would drive
 * them: heads in order with version 20, bodies and trailers both ways, flow
 * control that waits for consume(), resets reported to the other side,
 * max_headers refusing a stream the engine never sees, can_open, a peer's
 * GOAWAY's last stream id given to the engine before the connection error,
 * and submit_abort resetting only after the queued body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "worker/h2_framing.h"

/* What one side's engine saw. */
struct seen {
	int heads, ends, closes, resets, trailers, conn_errors, goaways;
	int32_t goaway_last;
	uint32_t goaway_code;
	bool goaway_first; /* on_goaway came before on_conn_error */
	int32_t sid;
	int status, version;
	int64_t content_length;
	char method[16], path[64], fields[256], trailer[128];
	uint32_t reset_code;
	bool reset_by_peer;
	size_t body;
};

static void ev_head(void *eng, int32_t sid, const struct hf_head *h, bool end_stream)
{
	struct seen *s = eng;
	size_t i;

	(void)end_stream;
	s->heads++;
	s->sid = sid;
	s->status = h->status;
	s->version = h->version;
	s->content_length = h->content_length;
	snprintf(s->method, sizeof(s->method), "%s", h->method ? h->method : "");
	snprintf(s->path, sizeof(s->path), "%s", h->path ? h->path : "");
	s->fields[0] = '\0';
	for (i = 0; i < h->nfields; i++) {
		size_t l = strlen(s->fields);

		snprintf(s->fields + l, sizeof(s->fields) - l, "%s=%s;", h->fields[i].name,
			 h->fields[i].value);
	}
}

static void ev_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	((struct seen *)eng)->body += n;
}

static void ev_trailers(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	struct seen *s = eng;

	s->trailers++;
	if (n > 0)
		snprintf(s->trailer, sizeof(s->trailer), "%s=%s", f[0].name, f[0].value);
}

static void ev_end(void *eng, int32_t sid)
{
	((struct seen *)eng)->ends++;
}

static void ev_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	struct seen *s = eng;

	s->resets++;
	s->reset_code = code;
	s->reset_by_peer = by_peer;
}

static void ev_close(void *eng, int32_t sid)
{
	((struct seen *)eng)->closes++;
}

static void ev_space(void *eng, int32_t sid)
{
}

static void ev_conn_error(void *eng, uint32_t code, int status, const char *why)
{
	((struct seen *)eng)->conn_errors++;
}

static void ev_goaway(void *eng, uint32_t code, int32_t last_sid)
{
	struct seen *s = eng;

	s->goaways++;
	s->goaway_code = code;
	s->goaway_last = last_sid;
	s->goaway_first = s->conn_errors == 0;
}

static const struct hf_events events = {
    .on_head = ev_head,
    .on_data = ev_data,
    .on_trailers = ev_trailers,
    .on_end = ev_end,
    .on_reset = ev_reset,
    .on_close = ev_close,
    .on_send_space = ev_space,
    .on_conn_error = ev_conn_error,
    .on_goaway = ev_goaway,
};

struct pair {
	struct http_framing *cli, *srv;
	struct seen cs, ss; /* what the client's and the server's engines saw */
	struct buf c2s, s2c;
};

static const struct http_framing_ops *ops = &h2_framing_ops;

static void pair_open(struct pair *p, size_t max_fields)
{
	struct hf_limits lim = {
	    .max_head_bytes = 65536, .max_fields = max_fields, .max_streams = 100};

	memset(p, 0, sizeof(*p));
	p->cli = ops->open(HF_CLIENT, &lim, &events, &p->cs);
	p->srv = ops->open(HF_SERVER, &lim, &events, &p->ss);
	buf_init(&p->c2s, 16384);
	buf_init(&p->s2c, 16384);
}

static void pair_close(struct pair *p)
{
	ops->free(p->cli);
	ops->free(p->srv);
	buf_free(&p->c2s);
	buf_free(&p->s2c);
}

/* Moves bytes both ways until neither side has anything to send. */
static void pump(struct pair *p)
{
	int i;

	for (i = 0; i < 1000; i++) {
		assert_int_equal(ops->flush(p->cli, &p->c2s), 0);
		assert_int_equal(ops->flush(p->srv, &p->s2c), 0);
		if (buf_len(&p->c2s) == 0 && buf_len(&p->s2c) == 0)
			return;
		assert_int_equal(ops->feed(p->srv, &p->c2s), 0);
		assert_int_equal(ops->feed(p->cli, &p->s2c), 0);
	}
	fail_msg("no quiet state");
}

static const struct hf_field req_fields[] = {
    {"x-b", 3, "2", 1},
    {"x-a", 3, "1", 1},
    {"content-length", 14, "5", 1},
};

static int32_t send_request(struct pair *p, const struct hf_field *f, size_t n, bool end)
{
	struct hf_head h = {.method = "POST",
			    .scheme = "https",
			    .authority = "example.test",
			    .path = "/up",
			    .fields = f,
			    .nfields = n};

	return ops->submit_head(p->cli, 0, &h, end);
}

static void exchange_with_trailers(void **state)
{
	static const struct hf_field resp_fields[] = {{"x-z", 3, "9", 1}};
	static const struct hf_field tr[] = {{"grpc-status", 11, "7", 1}};
	struct hf_head resp = {.status = 200, .fields = resp_fields, .nfields = 1};
	struct pair p;
	int32_t sid;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	assert_true(ops->can_open(p.cli));
	assert_false(ops->can_open(p.srv));
	sid = send_request(&p, req_fields, 3, false);
	assert_true(sid > 0);
	assert_int_equal(ops->submit_data(p.cli, sid, (const uint8_t *)"hello", 5), 5);
	assert_int_equal(ops->submit_end(p.cli, sid, NULL, 0), 0);
	pump(&p);
	assert_int_equal(p.ss.heads, 1);
	assert_int_equal(p.ss.version, 20);
	assert_string_equal(p.ss.method, "POST");
	assert_string_equal(p.ss.path, "/up");
	assert_string_equal(p.ss.fields, "x-b=2;x-a=1;content-length=5;");
	assert_int_equal(p.ss.content_length, 5);
	assert_int_equal(p.ss.body, 5);
	assert_int_equal(p.ss.ends, 1);
	assert_int_equal(ops->consume(p.srv, p.ss.sid, 5), 0);

	assert_int_equal(ops->submit_head(p.srv, p.ss.sid, &resp, false), 0);
	assert_int_equal(ops->submit_data(p.srv, p.ss.sid, (const uint8_t *)"abc", 3), 3);
	assert_int_equal(ops->submit_end(p.srv, p.ss.sid, tr, 1), 0);
	pump(&p);
	assert_int_equal(p.cs.heads, 1);
	assert_int_equal(p.cs.status, 200);
	assert_int_equal(p.cs.content_length, -1);
	assert_string_equal(p.cs.fields, "x-z=9;");
	assert_int_equal(p.cs.body, 3);
	assert_int_equal(p.cs.trailers, 1);
	assert_string_equal(p.cs.trailer, "grpc-status=7");
	assert_int_equal(p.cs.ends, 1);
	assert_int_equal(p.cs.closes, 1);
	assert_int_equal(p.ss.closes, 1);
	assert_int_equal(p.cs.resets, 0);
	assert_int_equal(p.ss.resets, 0);
	pair_close(&p);
}

/* The server's engine does not consume: the client can send no more than
 * the stream window (65535) until it does. */
static void flow_control_follows_consume(void **state)
{
	static uint8_t body[32768];
	struct pair p;
	int32_t sid;
	size_t sent = 0, before;
	int i;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	sid = send_request(&p, req_fields, 2, false);
	for (i = 0; i < 200 && sent < 200000; i++) {
		ssize_t n = ops->submit_data(p.cli, sid, body, sizeof(body));

		assert_true(n >= 0);
		sent += (size_t)n;
		pump(&p);
	}
	assert_true(p.ss.body > 0);
	assert_true(p.ss.body <= 65535);
	before = p.ss.body;
	assert_int_equal(ops->consume(p.srv, p.ss.sid, before), 0);
	pump(&p);
	for (i = 0; i < 10; i++) {
		(void)ops->submit_data(p.cli, sid, body, sizeof(body));
		pump(&p);
	}
	assert_true(p.ss.body > before);
	pair_close(&p);
}

static void reset_reaches_other_side(void **state)
{
	struct pair p;
	int32_t sid;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	sid = send_request(&p, req_fields, 2, false);
	pump(&p);
	assert_int_equal(p.ss.heads, 1);
	assert_int_equal(ops->submit_reset(p.cli, sid, HF_E_CANCEL), 0);
	pump(&p);
	assert_int_equal(p.ss.resets, 1);
	assert_int_equal(p.ss.reset_code, HF_E_CANCEL);
	assert_true(p.ss.reset_by_peer);
	assert_int_equal(p.ss.closes, 1);
	assert_int_equal(p.cs.resets, 1);
	assert_false(p.cs.reset_by_peer);
	pair_close(&p);
}

/* max_headers 2: a request with 3 fields is refused before the engine
 * hears of it; one with 2 passes. */
static void max_fields_refuses(void **state)
{
	struct pair p;

	(void)state;
	pair_open(&p, 2);
	pump(&p);
	assert_true(send_request(&p, req_fields, 2, true) > 0);
	pump(&p);
	assert_int_equal(p.ss.heads, 1);
	assert_true(send_request(&p, req_fields, 3, false) > 0);
	pump(&p);
	assert_int_equal(p.ss.heads, 1);
	assert_int_equal(p.ss.resets, 0);
	assert_int_equal(p.cs.resets, 1);
	assert_int_equal(p.cs.reset_code, HF_E_REFUSED);
	assert_true(p.cs.reset_by_peer);
	pair_close(&p);
}

/* Garbage instead of a preface ends the server side with a connection
 * error, reported once. */
static void garbage_is_conn_error(void **state)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pair p;

	(void)state;
	pair_open(&p, 100);
	assert_int_equal(buf_append(&p.c2s, junk, sizeof(junk) - 1), 0);
	assert_int_equal(ops->feed(p.srv, &p.c2s), -EPROTO);
	assert_int_equal(p.ss.conn_errors, 1);
	assert_int_equal(ops->flush(p.srv, &p.s2c), 0);
	assert_true(buf_len(&p.s2c) > 0);
	assert_true(ops->done(p.srv));
	pair_close(&p);
}

/* A server's GOAWAY frame (RFC 9113 6.8) with last_sid and code. */
static void server_goaway(struct pair *p, int32_t last_sid, uint32_t code)
{
	uint8_t f[17] = {0, 0, 8, 0x7, 0, 0, 0, 0, 0};

	for (int i = 0; i < 4; i++) {
		f[9 + i] = (uint8_t)((uint32_t)last_sid >> (24 - 8 * i));
		f[13 + i] = (uint8_t)(code >> (24 - 8 * i));
	}
	assert_int_equal(buf_append(&p->s2c, f, sizeof(f)), 0);
	(void)ops->feed(p->cli, &p->s2c);
}

/* GOAWAY INTERNAL_ERROR naming stream 1 of 1 and 3: the engine hears the
 * code and last stream id first, then the connection error, once. */
static void goaway_tells_last_sid(void **state)
{
	struct pair p;
	int32_t a, b;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	a = send_request(&p, req_fields, 2, true);
	b = send_request(&p, req_fields, 2, true);
	pump(&p);
	assert_int_equal(p.ss.heads, 2);
	server_goaway(&p, a, HF_E_INTERNAL);
	assert_int_equal(p.cs.goaways, 1);
	assert_int_equal(p.cs.goaway_code, HF_E_INTERNAL);
	assert_int_equal(p.cs.goaway_last, a);
	assert_true(p.cs.goaway_last < b);
	assert_true(p.cs.goaway_first);
	assert_int_equal(p.cs.conn_errors, 1);
	assert_false(ops->can_open(p.cli));
	pair_close(&p);
}

/* A graceful GOAWAY (NO_ERROR) is no connection error: the stream above
 * its last stream id is refused (a peer reset), the other goes on. */
static void graceful_goaway_refuses_above(void **state)
{
	struct pair p;
	int32_t a;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	a = send_request(&p, req_fields, 2, true);
	(void)send_request(&p, req_fields, 2, true);
	pump(&p);
	server_goaway(&p, a, HF_E_NO_ERROR);
	assert_int_equal(p.cs.goaways, 0);
	assert_int_equal(p.cs.conn_errors, 0);
	assert_int_equal(p.cs.resets, 1);
	assert_int_equal(p.cs.reset_code, HF_E_REFUSED);
	assert_true(p.cs.reset_by_peer);
	assert_int_equal(p.cs.closes, 1);
	pair_close(&p);
}

/* submit_abort after a head and 5 body bytes: the client gets both, then
 * the reset with its code; submit_reset would drop the queued bytes. */
static void abort_after_queued_body(void **state)
{
	struct hf_head resp = {.status = 200};
	struct pair p;

	(void)state;
	pair_open(&p, 100);
	pump(&p);
	(void)send_request(&p, req_fields, 2, true);
	pump(&p);
	assert_int_equal(ops->submit_head(p.srv, p.ss.sid, &resp, false), 0);
	assert_int_equal(ops->submit_data(p.srv, p.ss.sid, (const uint8_t *)"part\n", 5), 5);
	assert_int_equal(ops->submit_abort(p.srv, p.ss.sid, HF_E_INTERNAL), 0);
	pump(&p);
	assert_int_equal(p.cs.heads, 1);
	assert_int_equal(p.cs.body, 5);
	assert_int_equal(p.cs.ends, 0);
	assert_int_equal(p.cs.resets, 1);
	assert_int_equal(p.cs.reset_code, HF_E_INTERNAL);
	assert_true(p.cs.reset_by_peer);
	assert_int_equal(p.cs.closes, 1);
	assert_int_equal(p.ss.closes, 1);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exchange_with_trailers),
	    cmocka_unit_test(flow_control_follows_consume),
	    cmocka_unit_test(reset_reaches_other_side),
	    cmocka_unit_test(max_fields_refuses),
	    cmocka_unit_test(garbage_is_conn_error),
	    cmocka_unit_test(goaway_tells_last_sid),
	    cmocka_unit_test(graceful_goaway_refuses_above),
	    cmocka_unit_test(abort_after_queued_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
