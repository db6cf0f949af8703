/* Unit tests for the h2 module's sessions: our client session against our server session in
 * memory (test_h2_pair.h): requests, bodies above the windows, trailers, many streams, resets,
 * GOAWAY, push refused, limits and floods, SETTINGS written by the owner before the session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_h2_pair.h"

struct pair {
	struct side c, s;
};

static struct pair *pair_new(const struct h2_options *co, const struct h2_options *so)
{
	struct pair *p = calloc(1, sizeof(*p));

	side_init(&p->c, H2_CLIENT, co);
	side_init(&p->s, H2_SERVER, so);
	return p;
}

static void pair_free(struct pair *p)
{
	side_free(&p->c);
	side_free(&p->s);
	free(p);
}

static void respond(struct side *s, int32_t sid, int status, bool end)
{
	struct h2_field f[] = {F("content-type", "text/plain"), F("x-echo", "1")};
	struct h2_head h = {.status = status, .fields = f, .nfields = 2};

	assert_int_equal(h2_submit_head(s->s, sid, &h, end), sid);
}

static void test_get(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	struct h2_field f[] = {F("user-agent", "t/1"), F("accept", "*/*"), F("x-b", "2"),
			       F("x-a", "1")};
	int32_t sid = get(&p->c, "/index?q=1", f, 4);
	struct rec *r;

	pump(&p->c, &p->s);
	assert_int_equal(p->s.nrec, 1);
	r = &p->s.rec[0];
	assert_true(r->have_head && r->head_end && r->ended);
	assert_string_equal(r->head.method, "GET");
	assert_string_equal(r->head.scheme, "https");
	assert_string_equal(r->head.authority, "example.test");
	assert_string_equal(r->head.path, "/index?q=1");
	assert_int_equal(r->head.nfields, 4);
	assert_string_equal(r->head.fields[2].name, "x-b"); /* order kept */
	assert_string_equal(r->head.fields[3].name, "x-a");

	respond(&p->s, r->sid, 200, false);
	assert_int_equal(h2_submit_data(p->s.s, r->sid, (const uint8_t *)"hello", 5), 5);
	assert_int_equal(h2_submit_end(p->s.s, r->sid, NULL, 0), 0);
	pump(&p->c, &p->s);
	r = rec_get(&p->c, sid);
	assert_int_equal(r->head.status, 200);
	assert_string_equal(field(&r->head, "x-echo")->value, "1");
	assert_int_equal(r->body_len, 5);
	assert_memory_equal(r->body, "hello", 5);
	assert_true(r->ended && r->closed && !r->reset);
	assert_int_equal(r->close_code, H2_NO_ERROR);
	assert_true(p->s.rec[0].closed);
	pair_free(p);
}

/* A body of 1 MiB + 1 through a 64 KiB stream window: the receiver holds no more than the
 * window until its owner consumes, and the sender's buffer pushes back. */
static void test_post_large(void **state)
{
	size_t n = (1 << 20) + 1;
	uint8_t *body = malloc(n);
	struct pair *p = pair_new(NULL, NULL);
	struct h2_head h = {.method = "POST", .scheme = "http", .authority = "a", .path = "/up"};
	int32_t sid = h2_submit_head(p->c.s, 0, &h, false);
	struct rec *r;

	for (size_t i = 0; i < n; i++)
		body[i] = (uint8_t)(i * 7);
	p->s.auto_consume = false;
	assert_int_equal(h2_submit_data(p->c.s, sid, body, n), 64 << 10); /* the send buffer */
	pump(&p->c, &p->s);
	r = rec_get(&p->s, sid);
	assert_int_equal(r->body_len, 65535); /* the stream window, not more */
	pump(&p->c, &p->s);
	assert_int_equal(r->body_len, 65535);
	assert_int_equal(h2_consume(p->s.s, sid, r->body_len), 0);
	assert_int_equal(h2_consume(p->s.s, sid, 1), -EINVAL); /* no more than was given */
	p->s.auto_consume = true;
	pump(&p->c, &p->s);
	assert_true(p->c.spaces >= 1);
	send_body(&p->c, &p->s, sid, body + (64 << 10), n - (64 << 10));
	assert_int_equal(h2_submit_end(p->c.s, sid, NULL, 0), 0);
	pump(&p->c, &p->s);
	assert_int_equal(r->body_len, n);
	assert_memory_equal(r->body, body, n);
	assert_true(r->ended);

	respond(&p->s, sid, 200, false);
	send_body(&p->s, &p->c, sid, body, n);
	assert_int_equal(h2_submit_end(p->s.s, sid, NULL, 0), 0);
	pump(&p->c, &p->s);
	r = rec_get(&p->c, sid);
	assert_int_equal(r->body_len, n);
	assert_memory_equal(r->body, body, n);
	assert_true(r->ended && r->closed && r->close_code == 0);
	free(body);
	pair_free(p);
}

/* Many streams at once: together they get no more than the connection window unconsumed. */
static void test_conn_window_bound(void **state)
{
	static uint8_t chunk[65535];
	struct h2_options so;
	struct pair *p;
	struct h2_head h = {.method = "POST", .scheme = "http", .authority = "a", .path = "/up"};
	size_t total = 0;

	h2_options_default(&so);
	so.conn_window = 200000;
	p = pair_new(NULL, &so);
	p->s.auto_consume = false;
	for (int i = 0; i < 10; i++) {
		int32_t sid = h2_submit_head(p->c.s, 0, &h, false);

		assert_int_equal(h2_submit_data(p->c.s, sid, chunk, sizeof(chunk)), sizeof(chunk));
	}
	pump(&p->c, &p->s);
	for (size_t i = 0; i < p->s.nrec; i++)
		total += p->s.rec[i].body_len;
	assert_int_equal(total, 200000);
	/* Consumed bytes let as many more in (libnghttp2 updates once half the window is used). */
	for (size_t i = 0; i < p->s.nrec; i++)
		assert_int_equal(h2_consume(p->s.s, p->s.rec[i].sid, p->s.rec[i].body_len), 0);
	total = 0;
	pump(&p->c, &p->s);
	for (size_t i = 0; i < p->s.nrec; i++)
		total += p->s.rec[i].body_len;
	assert_true(total > 200000 && total <= 2 * 200000);
	pair_free(p);
}

static void test_trailers(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	struct h2_field hf[] = {F("content-type", "application/grpc"), F("te", "trailers")};
	struct h2_head h = {.method = "POST",
			    .scheme = "http",
			    .authority = "a",
			    .path = "/S/M",
			    .fields = hf,
			    .nfields = 2};
	struct h2_field rt[] = {F("x-req-checksum", "abc")};
	struct h2_field st[] = {F("grpc-status", "3"), F("grpc-message", "bad arg")};
	int32_t sid = h2_submit_head(p->c.s, 0, &h, false);
	struct rec *r;

	assert_int_equal(h2_submit_data(p->c.s, sid, (const uint8_t *)"\0\0\0\0\0", 5), 5);
	assert_int_equal(h2_submit_end(p->c.s, sid, rt, 1), 0);
	pump(&p->c, &p->s);
	r = rec_get(&p->s, sid);
	assert_true(r->have_trailers && r->ended);
	assert_int_equal(r->body_len, 5);
	assert_string_equal(r->trailers.fields[0].name, "x-req-checksum");
	assert_string_equal(r->trailers.fields[0].value, "abc");

	respond(&p->s, sid, 200, false);
	assert_int_equal(h2_submit_end(p->s.s, sid, st, 2), 0);
	pump(&p->c, &p->s);
	r = rec_get(&p->c, sid);
	assert_int_equal(r->head.status, 200);
	assert_true(r->have_trailers && r->ended && r->closed);
	assert_int_equal(r->trailers.nfields, 2);
	assert_string_equal(field(&r->trailers, "grpc-status")->value, "3");
	assert_string_equal(field(&r->trailers, "grpc-message")->value, "bad arg");
	pair_free(p);
}

static void test_100_streams(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	int32_t sids[100];
	char body[32];

	pump(&p->c, &p->s); /* the settings first: the client then knows the limit */
	assert_int_equal(h2_peer_setting(p->c.s, 3 /* MAX_CONCURRENT_STREAMS */), 100);
	for (int i = 0; i < 100; i++)
		sids[i] = get(&p->c, "/many", NULL, 0);
	pump(&p->c, &p->s);
	assert_int_equal(p->s.nrec, 100);
	for (size_t i = 0; i < 100; i++) {
		int n = snprintf(body, sizeof(body), "stream %d", p->s.rec[i].sid);

		assert_true(p->s.rec[i].ended);
		respond(&p->s, p->s.rec[i].sid, 200, false);
		assert_int_equal(h2_submit_data(p->s.s, p->s.rec[i].sid, (uint8_t *)body, n), n);
		assert_int_equal(h2_submit_end(p->s.s, p->s.rec[i].sid, NULL, 0), 0);
	}
	pump(&p->c, &p->s);
	for (int i = 0; i < 100; i++) {
		struct rec *r = rec_get(&p->c, sids[i]);
		int n = snprintf(body, sizeof(body), "stream %d", sids[i]);

		assert_int_equal(r->head.status, 200);
		assert_int_equal(r->body_len, n);
		assert_memory_equal(r->body, body, n);
		assert_true(r->ended && r->closed && !r->reset);
	}
	pair_free(p);
}

static void test_reset_mapping(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	int32_t a = get(&p->c, "/a", NULL, 0), b = get(&p->c, "/b", NULL, 0);

	pump(&p->c, &p->s);
	assert_int_equal(h2_submit_reset(p->c.s, a, H2_CANCEL), 0);
	assert_int_equal(h2_submit_reset(p->s.s, b, H2_REFUSED_STREAM), 0);
	pump(&p->c, &p->s);
	/* a: reset by the client */
	assert_true(rec_get(&p->s, a)->reset && rec_get(&p->s, a)->reset_by_peer);
	assert_int_equal(rec_get(&p->s, a)->reset_code, H2_CANCEL);
	assert_true(rec_get(&p->c, a)->reset && !rec_get(&p->c, a)->reset_by_peer);
	assert_true(rec_get(&p->s, a)->closed && rec_get(&p->c, a)->closed);
	/* b: reset by the server */
	assert_true(rec_get(&p->c, b)->reset && rec_get(&p->c, b)->reset_by_peer);
	assert_int_equal(rec_get(&p->c, b)->reset_code, H2_REFUSED_STREAM);
	assert_int_equal(rec_get(&p->c, b)->close_code, H2_REFUSED_STREAM);
	assert_false(rec_get(&p->s, b)->reset_by_peer);
	pair_free(p);
}

static void test_goaway_mapping(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	int32_t a, b;

	pump(&p->c, &p->s);
	assert_int_equal(h2_streams_free(p->c.s), 100);
	assert_int_equal(h2_streams_free(p->s.s), 0);
	a = get(&p->c, "/a", NULL, 0);
	b = get(&p->c, "/b", NULL, 0);
	assert_int_equal(h2_streams_free(p->c.s), 98);
	pump(&p->c, &p->s);
	assert_int_equal(h2_submit_goaway(p->s.s, H2_NO_ERROR), 0);
	pump(&p->c, &p->s);
	assert_int_equal(p->s.goaways, 1);
	assert_int_equal(p->c.goaways_by_peer, 1);
	assert_int_equal(p->c.goaway_peer_code, H2_NO_ERROR);
	assert_int_equal(h2_streams_free(p->c.s), 0); /* no new requests on this connection */
	assert_false(rec_get(&p->c, a)->closed);      /* a graceful GOAWAY lets a finish */
	respond(&p->s, a, 204, true);
	respond(&p->s, b, 204, true);
	pump(&p->c, &p->s);
	assert_true(rec_get(&p->c, a)->closed && rec_get(&p->c, a)->close_code == 0);
	assert_true(h2_done(p->s.s));
	pair_free(p);
}

/* A stream above the last stream id of the server's GOAWAY was not processed: the client side
 * is told the peer refused it (RFC 9113 6.8), the stream below it is not touched. */
static void test_goaway_refuses_later_stream(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	int32_t a, c;

	pump(&p->c, &p->s);
	a = get(&p->c, "/a", NULL, 0);
	pump(&p->c, &p->s);
	assert_int_equal(h2_submit_goaway(p->s.s, H2_NO_ERROR), 0);
	c = get(&p->c, "/c", NULL, 0);
	pump(&p->c, &p->s);
	assert_true(rec_get(&p->c, c)->reset && rec_get(&p->c, c)->reset_by_peer);
	assert_int_equal(rec_get(&p->c, c)->reset_code, H2_REFUSED_STREAM);
	assert_true(rec_get(&p->c, c)->closed);
	assert_false(rec_get(&p->c, a)->reset || rec_get(&p->c, a)->closed);
	pair_free(p);
}

/* A DATA frame on stream 0 is a connection error: GOAWAY PROTOCOL_ERROR, reported to both. */
static void test_peer_protocol_error(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	static const uint8_t bad[] = {0, 0, 1, 0 /* DATA */, 0, 0, 0, 0, 0, 'x'};

	pump(&p->c, &p->s);
	h2_feed(p->s.s, bad, sizeof(bad));
	pump(&p->c, &p->s);
	assert_int_equal(p->s.goaways, 1);
	assert_int_equal(p->s.goaway_code, H2_PROTOCOL_ERROR);
	assert_int_equal(p->c.goaways_by_peer, 1);
	assert_int_equal(p->c.goaway_peer_code, H2_PROTOCOL_ERROR);
	assert_true(h2_done(p->s.s));
	pair_free(p);
}

/* The code of the first RST_STREAM on stream sid in the frames p[0..n), or -1. */
static long find_rst(const uint8_t *p, size_t n, int32_t sid)
{
	for (size_t i = 0; i + 9 <= n;) {
		size_t len = (size_t)p[i] << 16 | (size_t)p[i + 1] << 8 | p[i + 2];
		int32_t id =
		    (int32_t)((uint32_t)(p[i + 5] & 0x7f) << 24 | (uint32_t)p[i + 6] << 16 |
			      (uint32_t)p[i + 7] << 8 | p[i + 8]);

		if (p[i + 3] == 3 && id == sid && len == 4 && i + 13 <= n)
			return (long)p[i + 9] << 24 | p[i + 10] << 16 | p[i + 11] << 8 | p[i + 12];
		i += 9 + len;
	}
	return -1;
}

/* Malformed messages (RFC 9113 8.1.1) are stream errors: RST_STREAM PROTOCOL_ERROR, never
 * shown to the owner, the connection and its other streams untouched. */
static void test_malformed_request(void **state)
{
	struct side srv;
	static const uint8_t in[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				    "\0\0\0\4\0\0\0\0\0"
				    /* stream 1: GET http://a/ with "X-Upper: 1" (upper case) */
				    "\0\0\x11\1\5\0\0\0\1\x82\x84\x86\x41\1a\0\7X-Upper\1\x31"
				    /* stream 3: GET http://a/ */
				    "\0\0\6\1\5\0\0\0\3\x82\x84\x86\x41\1a";
	uint8_t out[4096];
	size_t n = 0;
	const uint8_t *p;
	size_t k;

	side_init(&srv, H2_SERVER, NULL);
	assert_int_equal(h2_feed(srv.s, in, sizeof(in) - 1), 0);
	while (h2_out(srv.s, &p, &k) == 0 && k && n + k <= sizeof(out)) {
		memcpy(out + n, p, k);
		n += k;
		h2_out_done(srv.s, k);
	}
	assert_int_equal(srv.nrec, 1);
	assert_int_equal(srv.rec[0].sid, 3);
	assert_int_equal(find_rst(out, n, 1), H2_PROTOCOL_ERROR);
	assert_int_equal(find_rst(out, n, 3), -1);
	assert_int_equal(srv.goaways, 0);
	side_free(&srv);
}

/* A response with a connection-specific field: the client resets it and tells its owner. */
static void test_malformed_response(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	struct h2_field conn[] = {F("connection", "close")};
	struct h2_head bad = {.status = 200, .fields = conn, .nfields = 1};
	int32_t b = get(&p->c, "/b", NULL, 0);

	pump(&p->c, &p->s);
	assert_int_equal(h2_submit_head(p->s.s, b, &bad, true), b);
	pump(&p->c, &p->s);
	assert_true(rec_get(&p->c, b)->reset && !rec_get(&p->c, b)->reset_by_peer);
	assert_int_equal(rec_get(&p->c, b)->reset_code, H2_PROTOCOL_ERROR);
	assert_false(rec_get(&p->c, b)->have_head);
	assert_int_equal(p->c.goaways + p->c.goaways_by_peer, 0);
	get(&p->c, "/after", NULL, 0); /* the connection still works */
	pump(&p->c, &p->s);
	assert_int_equal(p->s.nrec, 2);
	pair_free(p);
}

/* Both sides say SETTINGS_ENABLE_PUSH 0; a PUSH_PROMISE anyway is a connection error. */
static void test_push_refused(void **state)
{
	struct pair *p = pair_new(NULL, NULL);
	int32_t a = get(&p->c, "/a", NULL, 0);
	/* PUSH_PROMISE on stream 1 promising 2: ":method GET", ":path /", ":scheme http". */
	static const uint8_t push[] = {0, 0,	7,    5,   4 /* END_HEADERS */, 0, 0, 0, 1, 0, 0, 0,
				       2, 0x82, 0x84, 0x86};

	pump(&p->c, &p->s);
	assert_int_equal(h2_peer_setting(p->s.s, 2 /* ENABLE_PUSH */), 0);
	assert_int_equal(h2_peer_setting(p->c.s, 2), 0);
	assert_int_equal(a, 1);
	h2_feed(p->c.s, push, sizeof(push));
	assert_int_equal(p->c.goaways, 0); /* sent when the client next writes */
	move(&p->c, &p->s);
	assert_int_equal(p->c.goaways, 1);
	assert_int_equal(p->c.goaway_code, H2_PROTOCOL_ERROR);
	assert_int_equal(p->s.goaway_peer_code, H2_PROTOCOL_ERROR);
	pair_free(p);
}

/* Streams above max_streams, sent before the client learnt the limit: refused one by one. */
static void test_too_many_streams(void **state)
{
	struct h2_options so;
	struct pair *p;
	int refused = 0;

	h2_options_default(&so);
	so.max_streams = 5;
	p = pair_new(NULL, &so);
	for (int i = 0; i < 10; i++)
		get(&p->c, "/x", NULL, 0);
	move(&p->c, &p->s); /* the server's SETTINGS have not reached the client */
	pump(&p->c, &p->s);
	assert_int_equal(p->s.nrec, 5);
	for (size_t i = 0; i < p->c.nrec; i++)
		if (p->c.rec[i].reset && p->c.rec[i].reset_code == H2_REFUSED_STREAM)
			refused++;
	assert_int_equal(refused, 5);
	assert_int_equal(p->c.goaways_by_peer, 0); /* the connection lives on */
	pair_free(p);
}

/* A header list above max_header_list: 431 from the server, the owner never sees it. */
static void test_oversize_header_list(void **state)
{
	struct h2_options so;
	struct pair *p;
	char big[2000];
	struct h2_field f[] = {{"x-big", 5, big, sizeof(big)}};
	int32_t a, b;

	memset(big, 'z', sizeof(big));
	h2_options_default(&so);
	so.max_header_list = 1024;
	p = pair_new(NULL, &so);
	a = get(&p->c, "/big", f, 1);
	b = get(&p->c, "/small", NULL, 0);
	pump(&p->c, &p->s);
	assert_int_equal(p->s.nrec, 1);
	assert_int_equal(p->s.rec[0].sid, b);
	assert_int_equal(rec_get(&p->c, a)->head.status, 431);
	assert_true(rec_get(&p->c, a)->ended);
	pair_free(p);
}

/* A client opening and resetting streams faster than the bucket refills: GOAWAY
 * ENHANCE_YOUR_CALM, reported once. */
static void test_rapid_reset(void **state)
{
	struct h2_options so;
	struct pair *p;

	h2_options_default(&so);
	so.rst_burst = 10;
	so.rst_rate = 1;
	p = pair_new(NULL, &so);
	for (int i = 0; i < 30 && p->c.goaways_by_peer == 0; i++) {
		int32_t sid = get(&p->c, "/r", NULL, 0);

		pump(&p->c, &p->s);
		h2_submit_reset(p->c.s, sid, H2_CANCEL);
		pump(&p->c, &p->s);
	}
	assert_int_equal(p->s.abuses, 1);
	assert_int_equal(p->s.abuse_what, H2_ABUSE_RAPID_RESET);
	assert_int_equal(p->s.goaway_code, H2_ENHANCE_YOUR_CALM);
	assert_int_equal(p->c.goaway_peer_code, H2_ENHANCE_YOUR_CALM);
	assert_true(p->s.nrec >= 10 && p->s.nrec <= 12);
	assert_true(h2_done(p->s.s));
	pair_free(p);
}

/* One header block in a HEADERS frame and many CONTINUATION frames. */
static void test_continuation_flood(void **state)
{
	struct side srv;
	uint8_t buf[4096];
	size_t n = 0;
	const uint8_t *out;
	size_t out_n, seen = 0;
	static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const uint8_t settings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
	static const uint8_t headers[] = {
	    0, 0, 3, 1, 0x1 /* END_STREAM, no END_HEADERS */, 0, 0, 0, 1, 0x82, 0x84, 0x86};
	static const uint8_t cont[] = {0, 0, 5, 9, 0, 0, 0, 0, 1, 0x40, 1, 'a', 1, 'b'};
	int rv = 0;

	side_init(&srv, H2_SERVER, NULL);
	memcpy(buf, preface, 24);
	n = 24;
	memcpy(buf + n, settings, sizeof(settings));
	n += sizeof(settings);
	memcpy(buf + n, headers, sizeof(headers));
	n += sizeof(headers);
	for (int i = 0; i < 100; i++, n += sizeof(cont))
		memcpy(buf + n, cont, sizeof(cont));
	rv = h2_feed(srv.s, buf, n);
	assert_int_equal(rv, -EPROTO);
	assert_int_equal(srv.abuses, 1);
	assert_int_equal(srv.abuse_what, H2_ABUSE_CONTINUATION);
	assert_int_equal(h2_feed(srv.s, buf, n), -EPROTO);
	assert_int_equal(srv.abuses, 1); /* once */
	for (;;) {
		assert_int_equal(h2_out(srv.s, &out, &out_n), 0);
		if (!out_n)
			break;
		memcpy(buf, out, out_n < sizeof(buf) ? out_n : sizeof(buf));
		seen = out_n;
		h2_out_done(srv.s, out_n);
	}
	/* The last frame sent is GOAWAY ENHANCE_YOUR_CALM. */
	assert_int_equal(seen, 17);
	assert_int_equal(buf[3], 7);
	assert_int_equal(buf[16], H2_ENHANCE_YOUR_CALM);
	assert_true(h2_done(srv.s));
	side_free(&srv);
}

static void test_settings(void **state)
{
	struct h2_options so;
	struct pair *p;

	h2_options_default(&so);
	so.max_streams = 42;
	so.max_header_list = 8192;
	so.header_table = 1024;
	p = pair_new(NULL, &so);
	pump(&p->c, &p->s);
	assert_int_equal(h2_peer_setting(p->c.s, 3), 42);
	assert_int_equal(h2_peer_setting(p->c.s, 6), 8192);
	assert_int_equal(h2_peer_setting(p->c.s, 1), 1024);
	assert_int_equal(h2_peer_setting(p->s.s, 3), 100);
	pair_free(p);
}

/* Counts the SETTINGS frames without ACK in the frames p[0..n). */
static int count_settings(const uint8_t *p, size_t n)
{
	int k = 0;

	for (size_t i = 0; i + 9 <= n;
	     i += 9 + ((size_t)p[i] << 16 | (size_t)p[i + 1] << 8 | p[i + 2]))
		k += p[i + 3] == 4 && !(p[i + 4] & 1);
	return k;
}

/* h2_settings_frame is byte for byte the SETTINGS a server session sends first. */
static void test_settings_frame_exact(void **state)
{
	struct h2_options so;
	struct side s;
	uint8_t frame[H2_SETTINGS_MAX];
	const uint8_t *p;
	size_t n;
	ssize_t len;

	h2_options_default(&so);
	so.max_streams = 42;
	so.max_header_list = 8192;
	len = h2_settings_frame(&so, frame, sizeof(frame));
	assert_int_equal(len, 9 + 5 * 6);
	assert_int_equal(h2_settings_frame(&so, frame, 20), -ENOBUFS);
	len = h2_settings_frame(&so, frame, sizeof(frame));
	side_init(&s, H2_SERVER, &so);
	assert_int_equal(h2_out(s.s, &p, &n), 0);
	assert_true(n >= (size_t)len);
	assert_memory_equal(p, frame, (size_t)len);
	side_free(&s);
}

/* The owner wrote the server's SETTINGS before the session (settings_sent): the session sends
 * no second copy and takes the client's one ACK; without settings_sent that ACK of a copy the
 * session did not send is a protocol error (the control that shows the test can fail). */
static void settings_sent_case(bool sent)
{
	struct h2_options so;
	struct pair *p;
	uint8_t frame[H2_SETTINGS_MAX], seen[1 << 16];
	ssize_t len;
	size_t n = 0;
	int32_t sid;

	h2_options_default(&so);
	so.max_streams = 42;
	len = h2_settings_frame(&so, frame, sizeof(frame));
	assert_true(len > 0);
	so.settings_sent = sent;
	p = pair_new(NULL, &so);
	h2_feed(p->c.s, frame, (size_t)len); /* what the owner wrote */
	move(&p->c, &p->s);		     /* preface, SETTINGS, the ACK */
	for (int i = 0; i < 100; i++) {
		size_t m = move_seen(&p->s, &p->c, seen + n, sizeof(seen) - n);

		n += m;
		if (m + move(&p->c, &p->s) == 0)
			break;
	}
	if (!sent) {
		assert_int_equal(count_settings(seen, n), 1);
		assert_int_equal(p->s.goaways, 1);
		assert_int_equal(p->s.goaway_code, H2_PROTOCOL_ERROR);
		pair_free(p);
		return;
	}
	assert_int_equal(count_settings(seen, n), 0);
	assert_int_equal(h2_peer_setting(p->c.s, 3), 42);
	sid = get(&p->c, "/", NULL, 0);
	pump(&p->c, &p->s);
	respond(&p->s, p->s.rec[0].sid, 200, true);
	pump(&p->c, &p->s);
	assert_true(rec_get(&p->c, sid)->ended);
	assert_int_equal(rec_get(&p->c, sid)->head.status, 200);
	assert_int_equal(p->s.goaways + p->c.goaways + p->c.goaways_by_peer, 0);
	pair_free(p);
}

static void test_settings_sent(void **state)
{
	settings_sent_case(true);
}

static void test_settings_sent_control(void **state)
{
	settings_sent_case(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get),
	    cmocka_unit_test(test_post_large),
	    cmocka_unit_test(test_conn_window_bound),
	    cmocka_unit_test(test_trailers),
	    cmocka_unit_test(test_100_streams),
	    cmocka_unit_test(test_reset_mapping),
	    cmocka_unit_test(test_goaway_mapping),
	    cmocka_unit_test(test_goaway_refuses_later_stream),
	    cmocka_unit_test(test_peer_protocol_error),
	    cmocka_unit_test(test_malformed_request),
	    cmocka_unit_test(test_malformed_response),
	    cmocka_unit_test(test_push_refused),
	    cmocka_unit_test(test_too_many_streams),
	    cmocka_unit_test(test_oversize_header_list),
	    cmocka_unit_test(test_rapid_reset),
	    cmocka_unit_test(test_continuation_flood),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_settings_frame_exact),
	    cmocka_unit_test(test_settings_sent),
	    cmocka_unit_test(test_settings_sent_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
