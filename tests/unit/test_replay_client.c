/* Unit tests for client replay (daemon/replay): mitmproxy's checks on
 * what may be replayed, the queue order one at a time and without a
 * limit, the "request" replay mark, loading a flow file, and the exact
 * HTTP/1.1 bytes built for HTTP/1 and HTTP/2 recordings, with the framing
 * checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/replay.h"
#include "test_replay_file.h"
#include "test_replay_flows.h"

static void get(struct rf *r, const char *path)
{
	rf_init(r, "GET", "http", "a.test", 80, path, NULL);
	rf_qheader(r, "Host", "a.test");
}

static void test_refusals(void **state)
{
	struct replay_client *c = replay_client_new(1);
	char err[128];
	struct rf r;

	(void)state;
	get(&r, "/");
	r.f.type = SNARE__FLOW__TYPE__TCP;
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Can only replay HTTP flows.");
	get(&r, "/");
	r.f.has_live = r.f.live = true;
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Can't replay live flow.");
	get(&r, "/");
	r.f.request = NULL;
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Can't replay flow with missing request.");
	get(&r, "/");
	r.req.has_content_streamed = r.req.content_streamed = true;
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Can't replay flow with missing content.");
	get(&r, "/");
	r.f.has_websocket = r.f.websocket = true;
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Can't replay WebSocket flows.");
	assert_int_equal(replay_client_queued(c), 0);
	get(&r, "/");
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	assert_int_equal(replay_client_queued(c), 1);
	replay_client_free(c);
}

static void test_order_one_at_a_time(void **state)
{
	static const char *const paths[] = {"/1", "/2", "/3"};
	struct replay_client *c = replay_client_new(1);
	Snare__Flow *f, *g;
	char err[128];
	struct rf r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		get(&r, paths[i]);
		rf_response(&r, 200, "old", 1);
		r.f.error = unconst("old error");
		assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	}
	assert_int_equal(replay_client_queued(c), 3);
	for (size_t i = 0; i < 3; i++) {
		f = replay_client_next(c);
		assert_non_null(f);
		assert_string_equal(f->request->path, paths[i]);
		assert_string_equal(f->is_replay, "request");
		assert_null(f->response);
		assert_null(f->error);
		/* One in flight: nothing more until it is done. */
		assert_null(replay_client_next(c));
		assert_int_equal(replay_client_inflight(c), 1);
		replay_client_done(c, f);
		assert_int_equal(replay_client_inflight(c), 0);
	}
	assert_null(replay_client_next(c));
	/* The queue takes more after it emptied. */
	get(&r, "/4");
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	g = replay_client_next(c);
	assert_string_equal(g->request->path, "/4");
	/* Freed with a flow still out. */
	replay_client_free(c);
}

static void test_unlimited(void **state)
{
	struct replay_client *c = replay_client_new(0);
	Snare__Flow *f[3];
	char err[128];
	struct rf r;

	(void)state;
	for (int i = 0; i < 3; i++) {
		get(&r, i == 0 ? "/a" : i == 1 ? "/b" : "/c");
		assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_non_null(f[i] = replay_client_next(c));
	assert_string_equal(f[0]->request->path, "/a");
	assert_string_equal(f[2]->request->path, "/c");
	assert_null(replay_client_next(c));
	assert_int_equal(replay_client_inflight(c), 3);
	replay_client_done(c, f[1]);
	replay_client_done(c, f[0]);
	replay_client_done(c, f[2]);
	assert_int_equal(replay_client_inflight(c), 0);
	/* Adding after some were handed out keeps the order. */
	get(&r, "/d");
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	get(&r, "/e");
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	assert_non_null(f[0] = replay_client_next(c));
	get(&r, "/f");
	assert_int_equal(replay_client_add(c, &r.f, err, sizeof(err)), 0);
	assert_int_equal(replay_client_queued(c), 2);
	assert_string_equal(f[0]->request->path, "/d");
	assert_string_equal(replay_client_next(c)->request->path, "/e");
	assert_string_equal(replay_client_next(c)->request->path, "/f");
	replay_client_free(c);
}

static void test_load(void **state)
{
	char path[] = "/tmp/snare-test-replayc-XXXXXX", err[256];
	struct replay_client *c = replay_client_new(1);
	struct flowfile *ff = rf_flowfile(path);
	size_t skipped = 99;
	struct rf r;

	(void)state;
	get(&r, "/first");
	assert_int_equal(flowfile_write(ff, &r.f), 0);
	r.f.type = SNARE__FLOW__TYPE__UDP;
	assert_int_equal(flowfile_write(ff, &r.f), 0);
	get(&r, "/second");
	assert_int_equal(flowfile_write(ff, &r.f), 0);
	assert_int_equal(flowfile_close(ff), 0);
	assert_int_equal(replay_client_load(c, path, &skipped, err, sizeof(err)), 0);
	assert_int_equal(skipped, 1);
	assert_int_equal(replay_client_queued(c), 2);
	assert_string_equal(replay_client_next(c)->request->path, "/first");
	unlink(path);
	replay_client_free(c);
}

static char *wire(const Snare__HttpRequest *q, bool absolute, int *rc)
{
	uint8_t *out = NULL;
	size_t len = 0;
	char *s;

	*rc = replay_request_wire(q, absolute, &out, &len);
	if (*rc)
		return NULL;
	s = xmalloc(len + 1);
	memcpy(s, out, len);
	s[len] = 0;
	free(out);
	return s;
}

static void expect(const Snare__HttpRequest *q, bool absolute, const char *want)
{
	int rc;
	char *s = wire(q, absolute, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(s, want);
	free(s);
}

static void expect_rc(const Snare__HttpRequest *q, int want)
{
	int rc;
	char *s = wire(q, false, &rc);

	assert_int_equal(rc, want);
	free(s);
}

static void test_wire_http1(void **state)
{
	struct rf r;

	(void)state;
	get(&r, "/p?q=1");
	rf_qheader(&r, "Accept", "*/*");
	expect(&r.req, false, "GET /p?q=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n");
	expect(&r.req, true,
	       "GET http://a.test/p?q=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n");

	rf_init(&r, "POST", "https", "api.test", 8443, "/up", "hello");
	rf_qheader(&r, "Host", "api.test:8443");
	rf_qheader(&r, "Transfer-Encoding", "chunked");
	rf_qheader(&r, "X-Empty", "");
	expect(&r.req, false,
	       "POST /up HTTP/1.1\r\nHost: api.test:8443\r\nX-Empty: \r\n"
	       "Content-Length: 5\r\n\r\nhello");

	/* A recorded Content-Length: 0 stays (recomputed). */
	rf_init(&r, "POST", "http", "a.test", 80, "", "");
	rf_qheader(&r, "content-length", "0");
	expect(&r.req, false, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0\r\n\r\n");
}

static void test_wire_http2(void **state)
{
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "https", "h2.test", 443, "/x", NULL);
	r.req.http_version = unconst("HTTP/2.0");
	rf_qheader(&r, ":authority", "h2.test");
	rf_qheader(&r, "user-agent", "curl");
	expect(&r.req, false, "GET /x HTTP/1.1\r\nuser-agent: curl\r\nHost: h2.test\r\n\r\n");
	rf_init(&r, "GET", "http", "::1", 8080, "/", NULL);
	expect(&r.req, false, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
	r.req.authority = unconst("[::1]:8080");
	expect(&r.req, false, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
}

static void test_wire_refused(void **state)
{
	struct rf r;

	(void)state;
	get(&r, "/");
	rf_qheader(&r, "X-Bad", "a\r\nInjected: 1");
	expect_rc(&r.req, -EINVAL);
	get(&r, "/");
	rf_qheader(&r, "Bad Name", "v");
	expect_rc(&r.req, -EINVAL);
	get(&r, "/a b");
	expect_rc(&r.req, -EINVAL);
	rf_init(&r, "GET /x", "http", "a.test", 80, "/", NULL);
	expect_rc(&r.req, -EINVAL);
	rf_init(&r, "CONNECT", "http", "a.test", 443, "a.test:443", NULL);
	expect_rc(&r.req, -EINVAL);
	rf_init(&r, "GET", "http", "", 80, "/", NULL);
	expect_rc(&r.req, -EINVAL); /* no host to name */
	get(&r, "/");
	expect_rc(&r.req, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusals),	 cmocka_unit_test(test_order_one_at_a_time),
	    cmocka_unit_test(test_unlimited),	 cmocka_unit_test(test_load),
	    cmocka_unit_test(test_wire_http1),	 cmocka_unit_test(test_wire_http2),
	    cmocka_unit_test(test_wire_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
