/* Unit test (test process only) of intercept's edits in the worker
 * (daemon/worker/hold_edit.c) on a held exchange built by hand: an edit is
 * checked without changing anything (a good one passes; one whose head has
 * more fields than max_headers, a control in a value, a body for a request
 * held with its head only are refused with a reason); applied, a good edit
 * becomes the head and the body; a refused one leaves the held request and
 * response exactly as they were; an HTTP/2 stream's edit is checked
 * against the held copy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/conn.h"
#include "worker/hold_http_int.h"
#include "worker/http.h"
#include "worker/http_int.h"
#include "worker/worker_ctx.h"

static struct {
	struct worker w;
	struct conn c;
	struct http_state hs;
	struct hold_http h;
} fx;

/* Parses `head` into m (request or response). */
static void take(struct http_msg *m, const char *head, bool request)
{
	struct buf b;

	buf_init(&b, STREAM_BUF_MAX);
	assert_int_equal(buf_append(&b, head, strlen(head)), 0);
	assert_int_equal(http_take_head(m, &b, buf_len(&b), request, false), HTTP1_OK);
	buf_free(&b);
}

/* A POST held with its 4-byte body in client.in (a pipelined "NEXT"
 * after it), and a 200 response with the body "hi". */
static int setup(void **state)
{
	memset(&fx, 0, sizeof(fx));
	fx.w.opts.max_header_bytes = 65536;
	fx.w.opts.max_headers = 100;
	wk = &fx.w;
	fx.c.http = &fx.hs;
	fx.hs.held = &fx.h;
	conn_set_str(&fx.c.host, "origin.test");
	fx.c.port = 80;
	buf_init(&fx.c.client.in, STREAM_BUF_MAX);
	assert_int_equal(buf_append(&fx.c.client.in, "bodyNEXT", 8), 0);
	take(&fx.hs.req, "POST /x HTTP/1.1\r\nHost: origin.test\r\nContent-Length: 4\r\n\r\n",
	     true);
	fx.h.req_body = true;
	fx.h.req_len = 4;
	take(&fx.hs.resp, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", false);
	assert_int_equal(buf_append(&fx.hs.resp.body.keep, "hi", 2), 0);
	return 0;
}

static int teardown(void **state)
{
	http_msg_clear(&fx.hs.req);
	http_msg_clear(&fx.hs.resp);
	buf_free(&fx.c.client.in);
	conn_set_str(&fx.c.host, NULL);
	wk = NULL;
	return 0;
}

static Snare__Header *hdr(const char *name, const char *value)
{
	Snare__Header *h = calloc(1, sizeof(*h));

	snare__header__init(h);
	h->has_name = h->has_value = 1;
	h->name = (ProtobufCBinaryData){strlen(name), (uint8_t *)strdup(name)};
	h->value = (ProtobufCBinaryData){strlen(value), (uint8_t *)strdup(value)};
	return h;
}

/* A request edit: method, path, n headers "X-Nk: v" plus extra (may be
 * NULL), content when given. */
static Snare__Flow *request_edit(size_t n, Snare__Header *extra, const char *content)
{
	Snare__Flow *f = calloc(1, sizeof(*f));
	Snare__HttpRequest *rq = calloc(1, sizeof(*rq));
	char name[32];

	snare__flow__init(f);
	snare__http_request__init(rq);
	f->request = rq;
	rq->method = strdup("PUT");
	rq->path = strdup("/edited");
	rq->headers = calloc(n + 2, sizeof(*rq->headers));
	rq->headers[rq->n_headers++] = hdr("Host", "origin.test");
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "X-N%zu", i);
		rq->headers[rq->n_headers++] = hdr(name, "v");
	}
	if (extra)
		rq->headers[rq->n_headers++] = extra;
	if (content) {
		rq->has_content = 1;
		rq->content = (ProtobufCBinaryData){strlen(content), (uint8_t *)strdup(content)};
	}
	return f;
}

static bool raw_has(const struct http_msg *m, const char *s)
{
	return memmem(m->raw, m->raw_len, s, strlen(s)) != NULL;
}

static void test_check_changes_nothing(void **state)
{
	const uint8_t *raw = fx.hs.req.raw;
	Snare__Flow *f = request_edit(2, NULL, "new body");
	const char *why = NULL;

	assert_int_equal(hold_edit_check(&fx.c, HOLD_REQUEST, f, &why), 0);
	assert_ptr_equal(fx.hs.req.raw, raw);
	assert_true(raw_has(&fx.hs.req, "POST /x"));
	assert_int_equal(buf_len(&fx.c.client.in), 8);
	snare__flow__free_unpacked(f, NULL);
}

static void test_check_refusals(void **state)
{
	Snare__Flow *f = request_edit(150, NULL, NULL);
	const char *why = NULL;

	assert_int_equal(hold_edit_check(&fx.c, HOLD_REQUEST, f, &why), -EPROTO);
	assert_non_null(strstr(why, "max_headers"));
	snare__flow__free_unpacked(f, NULL);
	f = request_edit(0, hdr("X-Ctl", "a\001b"), NULL);
	assert_int_equal(hold_edit_check(&fx.c, HOLD_REQUEST, f, &why), -EINVAL);
	assert_non_null(strstr(why, "control"));
	snare__flow__free_unpacked(f, NULL);
	f = request_edit(0, hdr("Bad Name", "x"), NULL);
	assert_int_equal(hold_edit_fields(f, HOLD_REQUEST, &why), -EINVAL);
	assert_int_equal(hold_edit_fields(f, HOLD_RESPONSE, &why), -EINVAL); /* no response */
	snare__flow__free_unpacked(f, NULL);
	fx.h.req_body = false; /* held with its head only: the body is not there to edit */
	f = request_edit(0, NULL, "new body");
	assert_int_equal(hold_edit_check(&fx.c, HOLD_REQUEST, f, &why), -EINVAL);
	assert_non_null(strstr(why, "streams after the resume"));
	snare__flow__free_unpacked(f, NULL);
	assert_true(raw_has(&fx.hs.req, "POST /x"));
}

static void test_request_applied(void **state)
{
	Snare__Flow *f = request_edit(1, NULL, "new body");
	const char *why = NULL;

	assert_int_equal(hold_request_edit(&fx.c, f->request, &why), 0);
	assert_true(raw_has(&fx.hs.req, "PUT /edited HTTP/1.1\r\n"));
	assert_true(raw_has(&fx.hs.req, "X-N0: v\r\n"));
	assert_true(raw_has(&fx.hs.req, "content-length: 8\r\n"));
	assert_int_equal(fx.h.req_len, 8);
	assert_int_equal(buf_len(&fx.c.client.in), 12);
	assert_memory_equal(buf_ptr(&fx.c.client.in), "new bodyNEXT", 12);
	snare__flow__free_unpacked(f, NULL);
}

static void test_request_refused_unchanged(void **state)
{
	const uint8_t *raw = fx.hs.req.raw;
	Snare__Flow *f = request_edit(150, NULL, "new body");
	const char *why = NULL;

	assert_int_equal(hold_request_edit(&fx.c, f->request, &why), -EPROTO);
	assert_ptr_equal(fx.hs.req.raw, raw);
	assert_int_equal(fx.h.req_len, 4);
	assert_memory_equal(buf_ptr(&fx.c.client.in), "bodyNEXT", 8);
	snare__flow__free_unpacked(f, NULL);
}

static Snare__HttpResponse *response_edit(size_t n, unsigned status, const char *content)
{
	Snare__HttpResponse *rs = calloc(1, sizeof(*rs));
	char name[32];

	snare__http_response__init(rs);
	rs->has_status_code = 1;
	rs->status_code = status;
	rs->reason = strdup("Edited");
	rs->headers = calloc(n + 1, sizeof(*rs->headers));
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "X-R%zu", i);
		rs->headers[rs->n_headers++] = hdr(name, "v");
	}
	if (content) {
		rs->has_content = 1;
		rs->content = (ProtobufCBinaryData){strlen(content), (uint8_t *)strdup(content)};
	}
	return rs;
}

/* A refused response edit leaves the collected response as it was (it
 * used to be cleared before the new head was parsed); a good one replaces
 * head and body. */
static void test_response_edits(void **state)
{
	Snare__HttpResponse *rs = response_edit(150, 203, "edited");
	const char *why = NULL;

	assert_int_equal(hold_response_edit(&fx.c, rs, &why), -EPROTO);
	assert_non_null(fx.hs.resp.head);
	assert_int_equal(fx.hs.resp.head->status, 200);
	assert_memory_equal(buf_ptr(&fx.hs.resp.body.keep), "hi", 2);
	snare__http_response__free_unpacked(rs, NULL);
	rs = response_edit(1, 203, "edited");
	assert_int_equal(hold_response_edit(&fx.c, rs, &why), 0);
	assert_int_equal(fx.hs.resp.head->status, 203);
	assert_true(raw_has(&fx.hs.resp, "content-length: 6\r\n"));
	assert_int_equal(buf_len(&fx.hs.resp.body.keep), 6);
	snare__http_response__free_unpacked(rs, NULL);
}

/* An HTTP/2 stream's edit: its fields, and a body only where the held
 * copy has one. */
static void test_h2_check(void **state)
{
	Snare__Flow held = SNARE__FLOW__INIT;
	Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;
	Snare__Flow *f = request_edit(1, NULL, "new body");
	const char *why = NULL;

	held.request = &rq;
	rq.has_content = 1; /* the body was held */
	assert_int_equal(hold_edit_h2_check(&held, HOLD_REQUEST, f, &why), 0);
	rq.has_content = 0;
	rq.has_content_streamed = rq.content_streamed = 1;
	assert_int_equal(hold_edit_h2_check(&held, HOLD_REQUEST, f, &why), -EINVAL);
	assert_non_null(strstr(why, "streams after the resume"));
	f->request->has_content = 0; /* the head alone may change */
	assert_int_equal(hold_edit_h2_check(&held, HOLD_REQUEST, f, &why), 0);
	snare__flow__free_unpacked(f, NULL);
	f = request_edit(0, hdr("X-Ctl", "a\001b"), NULL);
	assert_int_equal(hold_edit_h2_check(&held, HOLD_REQUEST, f, &why), -EINVAL);
	snare__flow__free_unpacked(f, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_check_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_applied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_refused_unchanged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_response_edits, setup, teardown),
	    cmocka_unit_test(test_h2_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
