/* Unit test of shared h2 server connections (daemon/worker/h2_shared.c):
 * a client connection's server connection (one end of a socketpair, an h2
 * client framing on it) is adopted; a second client connection with the
 * same key joins it; each stream's events reach only the user that opened
 * it; a user that goes away resets only its stream (CANCEL) while the
 * other's goes on; a GOAWAY stops new streams; a closed connection ends
 * each open stream with an error and its close and nothing else; a
 * GOAWAY with an error tells each open stream its last stream id first; the
 * last reference closes it.  The server is daemon/h2's server session on
 * the other end (tests/unit/test_h2_pair.h records its events). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_h2_pair.h"
#include "worker/conn.h"
#include "worker/h2_framing.h"
#include "worker/h2_shared.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

/* What one user (an exchange of some client connection) saw. */
struct user {
	int heads, ends, closes, resets, errors, goaways;
	int32_t goaway_last;
	uint32_t goaway_code;
	int status;
	char body[64];
	size_t body_len;
};

static void u_head(void *eng, int32_t sid, const struct hf_head *h, bool end)
{
	struct user *u = eng;

	(void)sid, (void)end;
	u->heads++;
	u->status = h->status;
}

static void u_data(void *eng, int32_t sid, const uint8_t *p, size_t n)
{
	struct user *u = eng;

	(void)sid;
	assert_true(u->body_len + n < sizeof(u->body));
	memcpy(u->body + u->body_len, p, n);
	u->body_len += n;
}

static void u_fields(void *eng, int32_t sid, const struct hf_field *f, size_t n)
{
	(void)eng, (void)sid, (void)f, (void)n;
}

static void u_end(void *eng, int32_t sid)
{
	(void)sid;
	((struct user *)eng)->ends++;
}

static void u_reset(void *eng, int32_t sid, uint32_t code, bool by_peer)
{
	(void)sid, (void)code, (void)by_peer;
	((struct user *)eng)->resets++;
}

static void u_close(void *eng, int32_t sid)
{
	(void)sid;
	((struct user *)eng)->closes++;
}

static void u_space(void *eng, int32_t sid)
{
	(void)eng, (void)sid;
}

static void u_error(void *eng, uint32_t code, int status, const char *why)
{
	(void)code, (void)status, (void)why;
	((struct user *)eng)->errors++;
}

static void u_goaway(void *eng, uint32_t code, int32_t last_sid)
{
	struct user *u = eng;

	assert_int_equal(u->errors, 0); /* before the connection error */
	u->goaways++;
	u->goaway_code = code;
	u->goaway_last = last_sid;
}

static const struct hf_events user_events = {
    .on_head = u_head,
    .on_data = u_data,
    .on_trailers = u_fields,
    .on_end = u_end,
    .on_reset = u_reset,
    .on_close = u_close,
    .on_send_space = u_space,
    .on_conn_error = u_error,
    .on_goaway = u_goaway,
};

static struct worker w;
static int sv[2];	/* [0]: snare's server connection, [1]: the server */
static struct side srv; /* the server's h2 session */

static void stop_loop(struct loop_timer *t)
{
	(void)t;
	loop_stop(wk->loop);
}

/* Runs the worker's loop for a moment: shared connections read, write and
 * route their events. */
static void spin(void)
{
	struct loop_timer t;

	loop_timer_init(&t, stop_loop, NULL);
	loop_timer_arm(wk->loop, &t, 20);
	assert_int_equal(loop_run(wk->loop), 0);
}

/* The server reads what came and writes what it has. */
static void server_io(void)
{
	uint8_t b[16384];
	const uint8_t *p;
	size_t n;
	ssize_t r;

	while ((r = read(sv[1], b, sizeof(b))) > 0)
		(void)h2_feed(srv.s, b, (size_t)r);
	while (h2_out(srv.s, &p, &n) == 0 && n > 0) {
		assert_int_equal(write(sv[1], p, n), (ssize_t)n);
		h2_out_done(srv.s, n);
	}
}

static void round_trip(void)
{
	for (int i = 0; i < 3; i++) {
		spin();
		server_io();
	}
	spin();
}

/* A reverse-mode client connection to origin.test:8443 over plain TCP. */
static void conn_make(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = MODE_REVERSE;
	c->host = "origin.test";
	c->port = 8443;
	snprintf(c->client_str, sizeof(c->client_str), "127.0.0.1:1");
	stream_init(&c->server, c, -1);
}

static int32_t open_get(struct h2_shared *sh, struct user *u, const char *path)
{
	struct hf_head h = {.method = "GET",
			    .scheme = "http",
			    .authority = "origin.test",
			    .path = path,
			    .content_length = -1};

	return h2_shared_open(sh, &h, true, &user_events, u);
}

static void respond(int32_t sid, const char *body)
{
	struct h2_head h = {.status = 200};

	assert_true(h2_submit_head(srv.s, sid, &h, false) >= 0);
	assert_int_equal(h2_submit_data(srv.s, sid, (const uint8_t *)body, strlen(body)),
			 (ssize_t)strlen(body));
	assert_int_equal(h2_submit_end(srv.s, sid, NULL, 0), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(&w, 0, sizeof(w));
	w.loop = loop_new();
	w.opts.upstream_keepalive = 4;
	w.opts.upstream_keepalive_total = 16;
	w.opts.upstream_keepalive_timeout = 10;
	wk = &w;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	side_init(&srv, H2_SERVER, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	side_free(&srv);
	close(sv[1]);
	spin(); /* deferred frees */
	loop_free(w.loop);
	wk = NULL;
	return 0;
}

/* c1's server connection, adopted: c1 holds the one reference. */
static struct h2_shared *adopt(struct conn *c1)
{
	struct hf_limits lim = {.max_streams = 100, .conn_window = H2_SHARED_CONN_WINDOW};
	struct http_framing *f;
	struct h2_shared *sh;

	conn_make(c1);
	stream_init(&c1->server, c1, sv[0]);
	f = h2_framing_ops.open(HF_CLIENT, &lim, &user_events, c1);
	sh = h2_shared_adopt(c1, f);
	assert_non_null(sh);
	assert_int_equal(c1->server.fd, -1); /* moved out of c1 */
	assert_int_equal(h2_shared_count(), 1);
	return sh;
}

static void test_two_clients_one_connection(void **state)
{
	struct conn c1, c2;
	struct user a = {0}, b = {0}, a2 = {0}, b2 = {0};
	struct h2_shared *sh = adopt(&c1), *sh2;
	int32_t sa, sb, sa2, sb2;

	(void)state;
	conn_make(&c2);
	sh2 = h2_shared_get(&c2); /* same key: joins */
	assert_ptr_equal(sh2, sh);
	sa = open_get(sh, &a, "/a");
	sb = open_get(sh, &b, "/b");
	assert_true(sa > 0 && sb > 0 && sa != sb);
	assert_int_equal(h2_shared_streams(sh), 2);
	round_trip();
	assert_true(rec_get(&srv, sa)->have_head && rec_get(&srv, sb)->have_head);
	respond(sb, "bee");
	respond(sa, "ay");
	round_trip();
	assert_int_equal(a.heads, 1);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.body_len, 2);
	assert_memory_equal(a.body, "ay", 2);
	assert_int_equal(b.body_len, 3);
	assert_memory_equal(b.body, "bee", 3);
	assert_int_equal(a.ends + a.closes + b.ends + b.closes, 4);
	assert_int_equal(h2_shared_streams(sh), 0);

	/* c1's user goes away with its stream open: only that stream is reset */
	sa2 = open_get(sh, &a2, "/a2");
	sb2 = open_get(sh, &b2, "/b2");
	round_trip();
	h2_shared_unbind(sh, sa2);
	round_trip();
	assert_true(rec_get(&srv, sa2)->reset);
	assert_int_equal(rec_get(&srv, sa2)->reset_code, HF_E_CANCEL);
	assert_false(rec_get(&srv, sb2)->reset);
	respond(sb2, "on");
	round_trip();
	assert_int_equal(b2.body_len, 2);
	assert_int_equal(b2.closes, 1);
	assert_int_equal(a2.heads + a2.closes, 0); /* nothing more for the user gone */

	/* GOAWAY: no new stream, and c3 finds no connection to join */
	assert_true(h2_shared_can_open(sh));
	assert_int_equal(h2_submit_goaway(srv.s, HF_E_NO_ERROR), 0);
	round_trip();
	assert_false(h2_shared_can_open(sh));
	assert_true(h2_shared_ended(sh));
	{
		struct conn c3;

		conn_make(&c3);
		assert_null(h2_shared_get(&c3));
	}
	h2_shared_unref(sh, &c1);
	assert_int_equal(h2_shared_count(), 1); /* c2 still holds it */
	h2_shared_unref(sh, &c2);
	assert_int_equal(h2_shared_count(), 0); /* closed: a GOAWAY'd one is not pooled */
}

static void test_close_ends_only_open_streams(void **state)
{
	struct conn c1;
	struct user a = {0}, b = {0}, done = {0};
	struct h2_shared *sh = adopt(&c1);
	int32_t sd;

	(void)state;
	sd = open_get(sh, &done, "/done");
	round_trip();
	respond(sd, "x");
	round_trip();
	assert_int_equal(done.closes, 1);
	assert_true(open_get(sh, &a, "/a") > 0);
	assert_true(open_get(sh, &b, "/b") > 0);
	round_trip();
	shutdown(sv[1], SHUT_RDWR); /* the server goes away */
	round_trip();
	assert_int_equal(a.errors, 1);
	assert_int_equal(a.closes, 1);
	assert_int_equal(b.errors, 1);
	assert_int_equal(b.closes, 1);
	assert_int_equal(done.errors, 0); /* finished before: untouched */
	assert_false(h2_shared_can_open(sh));
	assert_int_equal(open_get(sh, &a, "/late"), -EBUSY);
	h2_shared_unref(sh, &c1);
	assert_int_equal(h2_shared_count(), 0);
}

/* The server's GOAWAY INTERNAL_ERROR naming a (b, opened after it, was not
 * processed), after a's head and 5 bytes: each stream hears the code and
 * last stream id, then the error and its close; a's bytes came first. */
static void test_goaway_last_sid_to_each_stream(void **state)
{
	uint8_t f[17] = {0, 0, 8, 0x7, 0, 0, 0, 0, 0};
	struct h2_head h = {.status = 200};
	struct conn c1;
	struct user a = {0}, b = {0};
	struct h2_shared *sh = adopt(&c1);
	int32_t sa, sb;

	(void)state;
	sa = open_get(sh, &a, "/a");
	sb = open_get(sh, &b, "/b");
	assert_true(sa > 0 && sb > sa);
	round_trip();
	assert_true(h2_submit_head(srv.s, sa, &h, false) >= 0);
	assert_int_equal(h2_submit_data(srv.s, sa, (const uint8_t *)"part\n", 5), 5);
	server_io();
	for (int i = 0; i < 4; i++) {
		f[9 + i] = (uint8_t)((uint32_t)sa >> (24 - 8 * i));
		f[13 + i] = (uint8_t)((uint32_t)HF_E_INTERNAL >> (24 - 8 * i));
	}
	assert_int_equal(write(sv[1], f, sizeof(f)), (ssize_t)sizeof(f));
	round_trip();
	assert_int_equal(a.heads, 1);
	assert_int_equal(a.body_len, 5);
	assert_int_equal(a.goaways, 1);
	assert_int_equal(a.goaway_code, HF_E_INTERNAL);
	assert_int_equal(a.goaway_last, sa);
	assert_int_equal(b.goaways, 1);
	assert_int_equal(b.goaway_last, sa); /* below sb: b was not processed */
	assert_int_equal(a.errors + b.errors, 2);
	assert_int_equal(a.closes + b.closes, 2);
	assert_false(h2_shared_can_open(sh));
	h2_shared_unref(sh, &c1);
	assert_int_equal(h2_shared_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_two_clients_one_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_ends_only_open_streams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goaway_last_sid_to_each_stream, setup, teardown),
	};

	(void)field, (void)get, (void)send_body; /* test_h2_pair.h's, unused here */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
