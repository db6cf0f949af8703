/* Unit tests for the HAR 1.2 export (daemon/output/har*.c): entries from
 * HTTP flows with decoded and base64 bodies, query strings, form
 * parameters, cookies, timings, errors without a response, WebSocket
 * messages, invalid UTF-8, skipped non-HTTP flows, and the hardump file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unconst.h"
#include "output/har.h"
#include "test_flows.h"

struct tflow {
	Snare__Flow f;
	Snare__Connection server;
	Snare__Address speer;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
	Snare__Header qh[4], *qhp[4], rh[4], *rhp[4];
	Snare__Message msg[2], *msgs[2];
	uint8_t gz[256];
};

static void http_flow(struct tflow *t, const char *method, const char *path)
{
	memset(t, 0, sizeof(*t));
	snare__flow__init(&t->f);
	snare__connection__init(&t->server);
	snare__address__init(&t->speer);
	snare__http_request__init(&t->req);
	t->f.has_type = true;
	t->f.type = SNARE__FLOW__TYPE__HTTP;
	t->f.server = &t->server;
	t->server.id = "conn-1";
	t->server.peer = &t->speer;
	t->speer.host = "192.0.2.1";
	t->server.has_timestamp_start = t->server.has_timestamp_tls_setup = true;
	t->server.timestamp_start = 1000.0;
	t->server.timestamp_tls_setup = 1000.25;
	t->f.request = &t->req;
	t->req.method = unconst(method);
	t->req.scheme = "https";
	t->req.host = "har.test";
	t->req.has_port = true;
	t->req.port = 443;
	t->req.path = unconst(path);
	t->req.http_version = "HTTP/2";
	t->req.headers = t->qhp;
	t->req.has_timestamp_start = t->req.has_timestamp_end = true;
	t->req.timestamp_start = 1700000000.5;
	t->req.timestamp_end = 1700000000.51;
}

static void respond(struct tflow *t, unsigned code)
{
	snare__http_response__init(&t->resp);
	t->f.response = &t->resp;
	t->resp.has_status_code = true;
	t->resp.status_code = code;
	t->resp.reason = "OK";
	t->resp.http_version = "HTTP/2";
	t->resp.headers = t->rhp;
	t->resp.has_timestamp_start = t->resp.has_timestamp_end = true;
	t->resp.timestamp_start = 1700000000.61;
	t->resp.timestamp_end = 1700000000.64;
}

static json_t *build(const Snare__Flow *const *flows, size_t n)
{
	size_t len;
	char *text = har_from_flows(flows, n, &len);
	json_error_t e;
	json_t *doc;

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	doc = json_loads(text, 0, &e);
	free(text);
	assert_non_null(doc);
	return doc;
}

static const char *str(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_gzip_response(void **state)
{
	static const char text[] = "{\"a\": \"b\"}";
	struct tflow t;
	const Snare__Flow *fl[1] = {&t.f};
	size_t gzlen;
	json_t *doc, *e, *req, *resp, *c, *tm;

	http_flow(&t, "GET", "/search?q=snare+filter&x=%41&flag");
	tf_header(t.qh, t.qhp, &t.req.n_headers, "Cookie", "a=1; b=2");
	respond(&t, 200);
	tf_header(t.rh, t.rhp, &t.resp.n_headers, "Content-Type", "application/json");
	tf_header(t.rh, t.rhp, &t.resp.n_headers, "Content-Encoding", "gzip");
	tf_header(t.rh, t.rhp, &t.resp.n_headers, "Set-Cookie", "sid=xyz; Path=/; Secure");
	gzlen = tf_gzip(text, t.gz, sizeof(t.gz));
	assert_true(gzlen > 0);
	t.resp.has_content = true;
	t.resp.content = tf_bin(t.gz, gzlen);

	doc = build(fl, 1);
	assert_string_equal(str(json_object_get(doc, "log"), "version"), "1.2");
	e = json_array_get(json_object_get(json_object_get(doc, "log"), "entries"), 0);
	assert_string_equal(str(e, "startedDateTime"), "2023-11-14T22:13:20.500Z");
	assert_string_equal(str(e, "serverIPAddress"), "192.0.2.1");
	req = json_object_get(e, "request");
	assert_string_equal(str(req, "url"), "https://har.test/search?q=snare+filter&x=%41&flag");
	assert_string_equal(str(req, "httpVersion"), "HTTP/2.0");
	assert_int_equal(json_array_size(json_object_get(req, "queryString")), 3);
	assert_string_equal(str(json_array_get(json_object_get(req, "queryString"), 0), "value"),
			    "snare filter");
	assert_string_equal(str(json_array_get(json_object_get(req, "queryString"), 1), "value"),
			    "A");
	assert_string_equal(str(json_array_get(json_object_get(req, "cookies"), 1), "name"), "b");
	assert_null(json_object_get(req, "postData"));
	resp = json_object_get(e, "response");
	assert_int_equal(num(resp, "status"), 200);
	assert_int_equal(num(resp, "bodySize"), (json_int_t)gzlen);
	assert_string_equal(str(json_array_get(json_object_get(resp, "cookies"), 0), "value"),
			    "xyz");
	c = json_object_get(resp, "content");
	assert_string_equal(str(c, "text"), text);
	assert_null(json_object_get(c, "encoding"));
	assert_int_equal(num(c, "size"), strlen(text));
	assert_string_equal(str(c, "mimeType"), "application/json");
	tm = json_object_get(e, "timings");
	assert_int_equal(num(tm, "connect"), 250);
	assert_true(num(tm, "send") >= 9 && num(tm, "send") <= 10);
	assert_true(num(tm, "wait") >= 99 && num(tm, "wait") <= 100);
	assert_true(num(tm, "receive") >= 29 && num(tm, "receive") <= 30);
	assert_int_equal(num(e, "time"), num(tm, "send") + num(tm, "wait") + num(tm, "receive") +
					     num(tm, "connect"));
	json_decref(doc);
}

static void test_binary_post_and_error(void **state)
{
	static const uint8_t blob[] = {0x00, 0xff, 0x10, 'a'};
	struct tflow a, b;
	Snare__Flow tcp;
	const Snare__Flow *fl[3] = {&a.f, &tcp, &b.f};
	json_t *doc, *entries, *pd, *resp;

	http_flow(&a, "POST", "/upload");
	tf_header(a.qh, a.qhp, &a.req.n_headers, "Content-Type", "application/octet-stream");
	tf_header(a.qh, a.qhp, &a.req.n_headers, "X-Bad", "caf\xe9");
	a.req.has_content = true;
	a.req.content = tf_bin(blob, sizeof(blob));
	a.f.error = "connection reset";
	snare__flow__init(&tcp);
	tcp.has_type = true;
	tcp.type = SNARE__FLOW__TYPE__TCP;
	http_flow(&b, "GET", "/again");
	respond(&b, 204);

	doc = build(fl, 3);
	entries = json_object_get(json_object_get(doc, "log"), "entries");
	assert_int_equal(json_array_size(entries), 2); /* the TCP flow is not HTTP */
	pd = json_object_get(json_object_get(json_array_get(entries, 0), "request"), "postData");
	assert_string_equal(str(pd, "text"), "AP8QYQ==");
	assert_string_equal(str(pd, "encoding"), "base64");
	assert_string_equal(str(pd, "mimeType"), "application/octet-stream");
	assert_string_equal(
	    str(json_array_get(
		    json_object_get(json_object_get(json_array_get(entries, 0), "request"),
				    "headers"),
		    1),
		"value"),
	    "caf\xef\xbf\xbd");
	resp = json_object_get(json_array_get(entries, 0), "response");
	assert_int_equal(num(resp, "status"), 0);
	assert_string_equal(str(resp, "_error"), "connection reset");
	assert_int_equal(num(json_object_get(resp, "content"), "size"), 0);
	/* the second flow on the same server connection is not charged the connect */
	assert_int_equal(num(json_object_get(json_array_get(entries, 1), "timings"), "connect"),
			 -1);
	json_decref(doc);
}

/* A body whose Content-Encoding does not decode is given as it came, with
 * a comment; an unknown coding likewise. */
static void test_undecodable(void **state)
{
	struct tflow a, b;
	const Snare__Flow *fl[2] = {&a.f, &b.f};
	json_t *doc, *entries, *c;

	http_flow(&a, "GET", "/corrupt");
	respond(&a, 200);
	tf_header(a.rh, a.rhp, &a.resp.n_headers, "Content-Encoding", "gzip");
	a.resp.has_content = true;
	a.resp.content = tf_bin("not gzip", 8);
	http_flow(&b, "GET", "/lzma");
	respond(&b, 200);
	tf_header(b.rh, b.rhp, &b.resp.n_headers, "Content-Encoding", "lzma");
	b.resp.has_content = true;
	b.resp.content = tf_bin("\x5d\x00", 2);
	doc = build(fl, 2);
	entries = json_object_get(json_object_get(doc, "log"), "entries");
	c = json_object_get(json_object_get(json_array_get(entries, 0), "response"), "content");
	assert_string_equal(str(c, "text"), "not gzip");
	assert_non_null(strstr(str(c, "comment"), "does not decode"));
	assert_int_equal(num(c, "size"), 8);
	c = json_object_get(json_object_get(json_array_get(entries, 1), "response"), "content");
	assert_string_equal(str(c, "encoding"), "base64");
	assert_non_null(strstr(str(c, "comment"), "not one snare decodes"));
	json_decref(doc);
}

static void test_websocket(void **state)
{
	struct tflow t;
	const Snare__Flow *fl[1] = {&t.f};
	json_t *doc, *msgs;

	http_flow(&t, "GET", "/ws");
	respond(&t, 101);
	t.f.has_websocket = t.f.websocket = true;
	for (int i = 0; i < 2; i++) {
		snare__message__init(&t.msg[i]);
		t.msg[i].has_from_client = true;
		t.msg[i].from_client = i == 0;
		t.msg[i].has_kind = true;
		t.msg[i].kind = i == 0 ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY;
		t.msg[i].has_content = true;
		t.msg[i].content = tf_bin(i == 0 ? "hi" : "\x01\x02", 2);
		t.msgs[i] = &t.msg[i];
	}
	t.f.messages = t.msgs;
	t.f.n_messages = 2;
	doc = build(fl, 1);
	msgs = json_object_get(
	    json_array_get(json_object_get(json_object_get(doc, "log"), "entries"), 0),
	    "_webSocketMessages");
	assert_int_equal(json_array_size(msgs), 2);
	assert_string_equal(str(json_array_get(msgs, 0), "type"), "send");
	assert_string_equal(str(json_array_get(msgs, 0), "data"), "hi");
	assert_string_equal(str(json_array_get(msgs, 1), "type"), "receive");
	assert_string_equal(str(json_array_get(msgs, 1), "data"), "AQI=");
	json_decref(doc);
}

static void test_hardump_file(void **state)
{
	char path[] = "/tmp/snare-har-test.XXXXXX", err[256], buf[64];
	struct tflow t;
	struct har *h = har_new();
	struct stat st;
	int fd, rfd;
	ssize_t n;

	rfd = mkstemp(path);
	assert_true(rfd >= 0);
	close(rfd);
	http_flow(&t, "GET", "/");
	har_add(h, &t.f);
	assert_int_equal(har_count(h), 1);
	assert_int_equal(har_open(path, &fd, err, sizeof(err)), 0);
	assert_int_equal(har_write_fd(h, fd, path, err, sizeof(err)), 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rfd = open(path, O_RDONLY);
	n = read(rfd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"log\""));
	close(rfd);
	unlink(path);
	/* a symlink is refused with one line naming the file */
	assert_int_equal(symlink("/tmp/snare-har-nowhere", path), 0);
	assert_true(har_open(path, &fd, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	unlink(path);
	har_free(h);
}

/* The streamed HAR (the web interface's /flows.har) is the same document
 * as the one built in memory: same entries, same order, non-HTTP flows left
 * out, and valid JSON with zero, one or several entries. */
static char *stream_text(const Snare__Flow *const *flows, size_t n)
{
	struct har_stream *hs = har_stream_new();
	size_t len, total;
	char *text = har_stream_head(&len), *e;

	assert_non_null(text);
	total = len;
	for (size_t i = 0; i < n; i++) {
		if ((e = har_stream_entry(hs, flows[i], &len)) == NULL)
			continue;
		text = realloc(text, total + len + 1);
		memcpy(text + total, e, len + 1);
		total += len;
		free(e);
	}
	text = realloc(text, total + strlen(har_stream_tail()) + 1);
	strcpy(text + total, har_stream_tail());
	har_stream_free(hs);
	return text;
}

static void test_stream_same_document(void **state)
{
	struct tflow a, b;
	Snare__Flow tcp;
	const Snare__Flow *flows[3] = {&a.f, &tcp, &b.f};
	json_error_t e;

	http_flow(&a, "GET", "/one?x=1");
	respond(&a, 200);
	http_flow(&b, "POST", "/two");
	snare__flow__init(&tcp);
	tcp.has_type = true;
	tcp.type = SNARE__FLOW__TYPE__TCP;
	for (size_t n = 0; n <= 3; n++) {
		json_t *want = build(flows, n);
		char *text = stream_text(flows, n);
		json_t *got = json_loads(text, 0, &e);

		assert_non_null(got);
		assert_true(json_equal(want, got));
		json_decref(want);
		json_decref(got);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gzip_response), cmocka_unit_test(test_binary_post_and_error),
	    cmocka_unit_test(test_undecodable),	  cmocka_unit_test(test_websocket),
	    cmocka_unit_test(test_hardump_file),  cmocka_unit_test(test_stream_same_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
