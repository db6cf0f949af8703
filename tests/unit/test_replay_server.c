/* Unit tests for server replay (daemon/replay): mitmproxy's matching with
 * and without each ignore option and use_headers, popping in order, reuse,
 * server_replay_extra, flows without a response, the empty-index rule,
 * refresh through a lookup, and loading a flow file. */
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

static struct replay_server *server(const struct replay_server_opts *o)
{
	struct replay_server *s;

	assert_int_equal(replay_server_new(o, &s), 0);
	return s;
}

/* Records GET http://a.test/path with response body `answer`. */
static void record(struct replay_server *s, const char *path, const char *answer)
{
	struct rf r;

	rf_init(&r, "GET", "http", "a.test", 80, path, NULL);
	rf_qheader(&r, "Host", "a.test");
	rf_response(&r, 200, answer, 1000);
	assert_int_equal(replay_server_add(s, &r.f), 0);
}

/* Looks up a request; returns the answer's body (static) or a verdict
 * name. */
static const char *ask_req(struct replay_server *s, const Snare__HttpRequest *q)
{
	static char body[64];
	struct replay_answer a;

	assert_int_equal(replay_server_lookup(s, q, 2000, &a), 0);
	switch (a.verdict) {
	case REPLAY_ANSWER:
		assert_string_equal(a.flow->is_replay, "response");
		snprintf(body, sizeof(body), "%.*s", (int)a.flow->response->content.len,
			 (const char *)a.flow->response->content.data);
		replay_answer_free(&a);
		return body;
	case REPLAY_KILL:
		return "kill";
	case REPLAY_STATUS:
		snprintf(body, sizeof(body), "status %u", a.status);
		return body;
	case REPLAY_FORWARD:
		break;
	}
	return "forward";
}

static const char *ask(struct replay_server *s, const char *path)
{
	struct rf r;

	rf_init(&r, "GET", "http", "a.test", 80, path, NULL);
	rf_qheader(&r, "Host", "a.test");
	return ask_req(s, &r.req);
}

static void test_match_and_miss(void **state)
{
	struct replay_server_opts o = {.extra = REPLAY_EXTRA_KILL};
	struct replay_server *s = server(&o);

	(void)state;
	record(s, "/a?x=1", "A");
	record(s, "/b", "B");
	assert_int_equal(replay_server_count(s), 2);
	assert_string_equal(ask(s, "/a?x=2"), "kill");
	assert_string_equal(ask(s, "/a"), "kill");
	assert_string_equal(ask(s, "/a?x=1"), "A");
	assert_int_equal(replay_server_count(s), 1);
	/* Popped: the same request again is an extra one. */
	assert_string_equal(ask(s, "/a?x=1"), "kill");
	assert_string_equal(ask(s, "/b"), "B");
	/* Everything consumed: mitmproxy forwards whatever extra says. */
	assert_int_equal(replay_server_count(s), 0);
	assert_string_equal(ask(s, "/a?x=1"), "forward");
	replay_server_free(s);
}

static void test_repeated_in_order(void **state)
{
	struct replay_server_opts o = {0};
	struct replay_server *s = server(&o);

	(void)state;
	record(s, "/r", "first");
	record(s, "/other", "O");
	record(s, "/r", "second");
	record(s, "/r", "third");
	assert_string_equal(ask(s, "/r"), "first");
	assert_string_equal(ask(s, "/r"), "second");
	assert_string_equal(ask(s, "/r"), "third");
	assert_string_equal(ask(s, "/r"), "forward");
	assert_int_equal(replay_server_count(s), 1);
	replay_server_free(s);
}

static void test_reuse(void **state)
{
	struct replay_server_opts o = {.reuse = true};
	struct replay_server *s = server(&o);

	(void)state;
	record(s, "/r", "first");
	record(s, "/r", "second");
	for (int i = 0; i < 3; i++)
		assert_string_equal(ask(s, "/r"), "first");
	assert_int_equal(replay_server_count(s), 2);
	replay_server_free(s);
}

static void test_no_response_skipped(void **state)
{
	struct replay_server_opts o = {.extra = REPLAY_EXTRA_STATUS, .extra_status = 404};
	struct replay_server *s = server(&o);
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/n", NULL);
	rf_qheader(&r, "Host", "a.test");
	assert_int_equal(replay_server_add(s, &r.f), 0);
	record(s, "/n", "N");
	record(s, "/keep", "K");
	assert_string_equal(ask(s, "/n"), "N");
	assert_string_equal(ask(s, "/n"), "status 404");
	/* Not HTTP: skipped. */
	r.f.type = SNARE__FLOW__TYPE__TCP;
	assert_int_equal(replay_server_add(s, &r.f), 1);
	replay_server_free(s);
}

static void test_ignore_params(void **state)
{
	static const char *const ign[] = {"t"};
	struct replay_server_opts o = {0};
	struct replay_server *s = server(&o);

	(void)state;
	record(s, "/s?q=a+b&t=1", "plain");
	assert_string_equal(ask(s, "/s?q=a+b&t=2"), "forward");
	/* Decoded as parse_qsl: '+' and %20 are the same space. */
	assert_string_equal(ask(s, "/s?q=a%20b&t=1"), "plain");
	replay_server_free(s);

	o.ignore_params = ign;
	o.n_ignore_params = 1;
	s = server(&o);
	record(s, "/s?q=a&t=1", "ignored");
	record(s, "/s?t=9&q=a", "second");
	assert_string_equal(ask(s, "/s?q=b&t=1"), "forward");
	assert_string_equal(ask(s, "/s?q=a&t=2"), "ignored");
	assert_string_equal(ask(s, "/s?q=a"), "second");
	replay_server_free(s);
}

static void test_query_order_and_params(void **state)
{
	struct replay_server_opts o = {0};
	struct replay_server *s = server(&o);

	(void)state;
	record(s, "/p?a=1&b=2", "ab");
	record(s, "/x;v=1?k", "params");
	assert_string_equal(ask(s, "/p?b=2&a=1"), "forward");
	/* urlparse drops the last segment's ;params from the path. */
	assert_string_equal(ask(s, "/x;v=2?k="), "params");
	assert_string_equal(ask(s, "/p?a=1&&b=2"), "ab");
	replay_server_free(s);
}

static void post(struct rf *r, const char *ctype, const char *body)
{
	rf_init(r, "POST", "https", "api.test", 443, "/submit", body);
	rf_qheader(r, "Host", "api.test");
	if (ctype)
		rf_qheader(r, "Content-Type", ctype);
}

static void record_post(struct replay_server *s, const char *ctype, const char *body)
{
	struct rf r;

	post(&r, ctype, body);
	rf_response(&r, 201, "created", 1000);
	assert_int_equal(replay_server_add(s, &r.f), 0);
}

static const char *ask_post(struct replay_server *s, const char *ctype, const char *body)
{
	struct rf r;

	post(&r, ctype, body);
	return ask_req(s, &r.req);
}

static void test_ignore_content(void **state)
{
	struct replay_server_opts o = {0};
	struct replay_server *s = server(&o);

	(void)state;
	record_post(s, "text/plain", "one");
	assert_string_equal(ask_post(s, "text/plain", "two"), "forward");
	assert_string_equal(ask_post(s, "text/plain", "one"), "created");
	replay_server_free(s);
	o.ignore_content = true;
	s = server(&o);
	record_post(s, "text/plain", "one");
	assert_string_equal(ask_post(s, "text/plain", "two"), "created");
	replay_server_free(s);
}

static void test_ignore_payload_params(void **state)
{
	static const char *const ign[] = {"ts"};
	static const char form[] = "application/x-www-form-urlencoded; charset=utf-8";
	struct replay_server_opts o = {.ignore_payload_params = ign, .n_ignore_payload_params = 1};
	struct replay_server *s = server(&o);

	(void)state;
	record_post(s, form, "a=1&ts=5");
	record_post(s, "text/plain", "a=1&ts=5");
	assert_string_equal(ask_post(s, form, "a=2&ts=6"), "forward");
	assert_string_equal(ask_post(s, form, "a=1&ts=6"), "created");
	/* Not a form: the whole body counts. */
	assert_string_equal(ask_post(s, "text/plain", "a=1&ts=6"), "forward");
	assert_string_equal(ask_post(s, "text/plain", "a=1&ts=5"), "created");
	replay_server_free(s);
}

static void test_ignore_payload_multipart(void **state)
{
	static const char *const ign[] = {"ts"};
	static const char ct[] = "multipart/form-data; boundary=b";
	static const char rec[] =
	    "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"ts\"\r\n\r\n5\r\n--b--";
	static const char later[] =
	    "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"ts\"\r\n\r\n6\r\n--b--";
	static const char other[] =
	    "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n"
	    "--b\r\nContent-Disposition: form-data; name=\"ts\"\r\n\r\n5\r\n--b--";
	struct replay_server_opts o = {.reuse = true};
	struct replay_server *s = server(&o);

	(void)state;
	record_post(s, ct, rec);
	assert_string_equal(ask_post(s, ct, later), "forward");
	replay_server_free(s);
	o.ignore_payload_params = ign;
	o.n_ignore_payload_params = 1;
	s = server(&o);
	record_post(s, ct, rec);
	assert_string_equal(ask_post(s, ct, other), "forward");
	assert_string_equal(ask_post(s, ct, later), "created");
	replay_server_free(s);
}

static const char *ask_token(struct replay_server *s, const char *token)
{
	struct rf r;

	rf_init(&r, "GET", "http", "a.test", 80, "/h", NULL);
	rf_qheader(&r, "Host", "a.test");
	if (token)
		rf_qheader(&r, "X-Token", token);
	rf_qheader(&r, "User-Agent", token ? "one" : "two");
	return ask_req(s, &r.req);
}

static void record_token(struct replay_server *s, const char *token, const char *answer)
{
	struct rf r;

	rf_init(&r, "GET", "http", "a.test", 80, "/h", NULL);
	rf_qheader(&r, "Host", "a.test");
	if (token)
		rf_qheader(&r, "x-token", token);
	rf_response(&r, 200, answer, 1000);
	assert_int_equal(replay_server_add(s, &r.f), 0);
}

static void test_use_headers(void **state)
{
	static const char *const use[] = {"X-Token"};
	struct replay_server_opts o = {.reuse = true};
	struct replay_server *s = server(&o);

	(void)state;
	/* Headers do not count by default. */
	record_token(s, "secret", "any");
	assert_string_equal(ask_token(s, "other"), "any");
	assert_string_equal(ask_token(s, NULL), "any");
	replay_server_free(s);

	o.use_headers = use;
	o.n_use_headers = 1;
	s = server(&o);
	record_token(s, "secret", "with");
	record_token(s, NULL, "without");
	assert_string_equal(ask_token(s, "other"), "forward");
	assert_string_equal(ask_token(s, "secret"), "with");
	assert_string_equal(ask_token(s, NULL), "without");
	assert_string_equal(ask_token(s, ""), "forward");
	replay_server_free(s);
}

static const char *ask_at(struct replay_server *s, const char *host, unsigned port)
{
	struct rf r;

	rf_init(&r, "GET", "http", host, port, "/", NULL);
	return ask_req(s, &r.req);
}

static void test_ignore_host_port(void **state)
{
	struct replay_server_opts o = {.reuse = true};
	struct replay_server *s = server(&o);
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/", NULL);
	rf_response(&r, 200, "hp", 1000);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_string_equal(ask_at(s, "b.test", 80), "forward");
	assert_string_equal(ask_at(s, "a.test", 8080), "forward");
	assert_string_equal(ask_at(s, "a.test", 80), "hp");
	replay_server_free(s);

	o.ignore_host = true;
	s = server(&o);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_string_equal(ask_at(s, "b.test", 80), "hp");
	assert_string_equal(ask_at(s, "b.test", 81), "forward");
	replay_server_free(s);

	o.ignore_host = false;
	o.ignore_port = true;
	s = server(&o);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_string_equal(ask_at(s, "a.test", 8080), "hp");
	assert_string_equal(ask_at(s, "b.test", 80), "forward");
	replay_server_free(s);
}

/* The Host header wins over the request's host (mitmproxy's pretty_host),
 * without its port, brackets or case. */
static void test_host_header(void **state)
{
	struct replay_server_opts o = {.reuse = true};
	struct replay_server *s = server(&o);
	struct rf r, q;

	(void)state;
	rf_init(&r, "GET", "http", "10.0.0.1", 80, "/", NULL);
	rf_qheader(&r, "Host", "Named.Test:80");
	rf_response(&r, 200, "named", 1000);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	rf_init(&q, "GET", "http", "named.test", 80, "/", NULL);
	assert_string_equal(ask_req(s, &q.req), "named");
	rf_init(&q, "GET", "http", "10.0.0.1", 80, "/", NULL);
	assert_string_equal(ask_req(s, &q.req), "forward");
	replay_server_free(s);
}

static void test_extra_parse(void **state)
{
	enum replay_extra e;
	unsigned st = 0;

	(void)state;
	assert_int_equal(replay_extra_parse("forward", &e, &st), 0);
	assert_int_equal(e, REPLAY_EXTRA_FORWARD);
	assert_int_equal(replay_extra_parse("kill", &e, &st), 0);
	assert_int_equal(e, REPLAY_EXTRA_KILL);
	assert_int_equal(replay_extra_parse("500", &e, &st), 0);
	assert_int_equal(e, REPLAY_EXTRA_STATUS);
	assert_int_equal(st, 500);
	assert_int_equal(replay_extra_parse("403", &e, &st), -EINVAL);
	assert_int_equal(replay_extra_parse("Kill", &e, &st), -EINVAL);
}

static void test_refresh_on_lookup(void **state)
{
	struct replay_server_opts o = {.refresh = true};
	struct replay_server *s = server(&o);
	struct replay_answer a;
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/d", NULL);
	rf_response(&r, 200, "d", 784111777);
	rf_rheader(&r, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_int_equal(replay_server_lookup(s, &r.req, 784111777 + 86400, &a), 0);
	assert_int_equal(a.verdict, REPLAY_ANSWER);
	assert_string_equal(rf_get(a.flow->response, "date"), "Mon, 07 Nov 1994 08:49:37 GMT");
	replay_answer_free(&a);
	replay_server_free(s);
	/* Without refresh the recorded date stays. */
	o.refresh = false;
	s = server(&o);
	assert_int_equal(replay_server_add(s, &r.f), 0);
	assert_int_equal(replay_server_lookup(s, &r.req, 784111777 + 86400, &a), 0);
	assert_string_equal(rf_get(a.flow->response, "date"), "Sun, 06 Nov 1994 08:49:37 GMT");
	replay_answer_free(&a);
	replay_server_free(s);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/snare-test-replay-XXXXXX", err[256];
	struct replay_server_opts o = {0};
	struct replay_server *s = server(&o);
	struct flowfile *ff = rf_flowfile(path);
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/f", NULL);
	rf_qheader(&r, "Host", "a.test");
	rf_response(&r, 200, "from-file-1", 1000);
	assert_int_equal(flowfile_write(ff, &r.f), 0);
	rf_response(&r, 200, "from-file-2", 1000);
	assert_int_equal(flowfile_write(ff, &r.f), 0);
	assert_int_equal(flowfile_close(ff), 0);
	assert_int_equal(replay_server_load(s, path, err, sizeof(err)), 0);
	assert_int_equal(replay_server_count(s), 2);
	assert_string_equal(ask(s, "/f"), "from-file-1");
	assert_string_equal(ask(s, "/f"), "from-file-2");
	unlink(path);
	assert_true(replay_server_load(s, path, err, sizeof(err)) < 0);
	replay_server_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_and_miss),
	    cmocka_unit_test(test_repeated_in_order),
	    cmocka_unit_test(test_reuse),
	    cmocka_unit_test(test_no_response_skipped),
	    cmocka_unit_test(test_ignore_params),
	    cmocka_unit_test(test_query_order_and_params),
	    cmocka_unit_test(test_ignore_content),
	    cmocka_unit_test(test_ignore_payload_params),
	    cmocka_unit_test(test_ignore_payload_multipart),
	    cmocka_unit_test(test_use_headers),
	    cmocka_unit_test(test_ignore_host_port),
	    cmocka_unit_test(test_host_header),
	    cmocka_unit_test(test_extra_parse),
	    cmocka_unit_test(test_refresh_on_lookup),
	    cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
