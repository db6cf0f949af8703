/* Unit test of the coordinator's table of flow body pieces
 * (daemon/coordinator/flow_parts.c), fed FlowBody pieces as workers send
 * them, hostile ones included: pieces are kept per (worker, flow id, part)
 * and only attached to that worker's flow, each worker has a quota that
 * leaves the others unaffected, a worker's pieces go when its channel
 * closes, bodies whose flow never comes age out, and a flow marked
 * streamed gets no body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/unconst.h"
#include "coordinator/coord.h"
#include "coordinator/flow_parts.h"

#define PIECE (128u * 1024) /* what a worker sends per FlowBody */

static struct coord co;
static uint8_t piece[PIECE];

static int setup(void **state)
{
	co.loop = loop_new();
	return co.loop ? 0 : -1;
}

static int teardown(void **state)
{
	unsigned w;

	for (w = 0; w < 4; w++)
		coord_parts_drop_worker(w);
	loop_free(co.loop);
	return 0;
}

static void send_piece(unsigned w, const char *id, unsigned part, uint8_t fill, size_t n)
{
	Snare__FlowBody fb = SNARE__FLOW_BODY__INIT;

	memset(piece, fill, n);
	fb.flow_id = unconst(id);
	fb.has_part = fb.has_data = 1;
	fb.part = part;
	fb.data.data = piece;
	fb.data.len = n;
	coord_on_flow_body(&co, w, &fb);
}

static size_t pending(unsigned w)
{
	size_t bytes;

	coord_parts_pending(w, &bytes);
	return bytes;
}

static size_t bodies(unsigned w)
{
	size_t bytes;

	return coord_parts_pending(w, &bytes);
}

/* A flow with a request and a response and no content of its own. */
struct test_flow {
	Snare__Flow f;
	Snare__HttpRequest rq;
	Snare__HttpResponse rs;
};

static void flow_init(struct test_flow *t, const char *id)
{
	snare__flow__init(&t->f);
	snare__http_request__init(&t->rq);
	snare__http_response__init(&t->rs);
	t->f.id = unconst(id);
	t->f.request = &t->rq;
	t->f.response = &t->rs;
}

static bool all_bytes(const ProtobufCBinaryData *d, uint8_t fill, size_t n)
{
	size_t i;

	if (d->len != n)
		return false;
	for (i = 0; i < n; i++)
		if (d->data[i] != fill)
			return false;
	return true;
}

/* Two workers send pieces for the same flow id: each flow gets its own
 * worker's body, and releasing one leaves the other's. */
static void test_keyed_by_worker(void **state)
{
	struct test_flow t;

	send_piece(0, "F", 0, 'a', PIECE);
	send_piece(0, "F", 0, 'a', PIECE);
	send_piece(1, "F", 0, 'b', PIECE);
	send_piece(1, "F", 1, 'c', 100);
	assert_int_equal(pending(0), 2 * PIECE);
	assert_int_equal(pending(1), PIECE + 100);

	flow_init(&t, "F");
	coord_parts_attach(0, &t.f);
	assert_true(t.rq.has_content && all_bytes(&t.rq.content, 'a', 2 * PIECE));
	assert_false(t.rs.has_content); /* worker 1's response is not worker 0's */
	coord_parts_release(0, &t.f);
	assert_false(t.rq.has_content);
	assert_int_equal(bodies(0), 0);
	assert_int_equal(pending(1), PIECE + 100);

	/* A worker that does not know the flow gets nothing. */
	flow_init(&t, "F");
	coord_parts_attach(2, &t.f);
	assert_false(t.rq.has_content || t.rs.has_content);
	coord_parts_release(2, &t.f);
	assert_int_equal(bodies(1), 2);

	flow_init(&t, "F");
	coord_parts_attach(1, &t.f);
	assert_true(t.rq.has_content && all_bytes(&t.rq.content, 'b', PIECE));
	assert_true(t.rs.has_content && all_bytes(&t.rs.content, 'c', 100));
	coord_parts_release(1, &t.f);
	assert_int_equal(bodies(1), 0);
}

/* A worker that floods pieces stops at its quota; another still gets its
 * bodies through. */
static void test_quota(void **state)
{
	char id[16];
	unsigned i, n;
	struct test_flow t;

	/* one body over PARTS_MAX_BODY is dropped whole */
	for (i = 0; i < PARTS_MAX_BODY / PIECE + 1; i++)
		send_piece(0, "big", 0, 'x', PIECE);
	assert_int_equal(bodies(0), 0);
	assert_int_equal(pending(0), 0);

	/* bodies up to the byte quota, then the next body is refused */
	n = PARTS_WORKER_BYTES / PARTS_MAX_BODY;
	for (i = 0; i < n * (PARTS_MAX_BODY / PIECE); i++) {
		snprintf(id, sizeof(id), "q%u", i / (PARTS_MAX_BODY / PIECE));
		send_piece(0, id, 0, 'q', PIECE);
	}
	assert_int_equal(pending(0), PARTS_WORKER_BYTES);
	send_piece(0, "more", 0, 'q', PIECE);
	send_piece(0, "q0", 1, 'q', 1);
	assert_int_equal(pending(0), PARTS_WORKER_BYTES);
	assert_int_equal(bodies(0), n);

	/* another worker is not affected */
	send_piece(1, "ok", 1, 'o', PIECE);
	flow_init(&t, "ok");
	coord_parts_attach(1, &t.f);
	assert_true(t.rs.has_content && all_bytes(&t.rs.content, 'o', PIECE));
	coord_parts_release(1, &t.f);
	coord_parts_drop_worker(0);

	/* at most PARTS_WORKER_ENTRIES bodies, however small */
	for (i = 0; i < PARTS_WORKER_ENTRIES + 5; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		send_piece(2, id, i & 1, 's', 10);
	}
	assert_int_equal(bodies(2), PARTS_WORKER_ENTRIES);
	assert_int_equal(bodies(1), 0);
	send_piece(1, "ok", 0, 'o', 10);
	assert_int_equal(bodies(1), 1);
	coord_parts_drop_worker(1);
	coord_parts_drop_worker(2);
}

/* The channel of a worker closes: its pieces go, others' stay. */
static void test_drop_on_close(void **state)
{
	send_piece(0, "A", 0, 'a', PIECE);
	send_piece(0, "B", 1, 'a', PIECE);
	send_piece(3, "A", 0, 'b', PIECE);
	assert_int_equal(bodies(0), 2);
	coord_parts_drop_worker(0);
	assert_int_equal(bodies(0), 0);
	assert_int_equal(pending(0), 0);
	assert_int_equal(pending(3), PIECE);
	/* the restarted worker 0 starts from nothing */
	send_piece(0, "A", 0, 'c', 5);
	assert_int_equal(pending(0), 5);
	coord_parts_drop_worker(0);
	coord_parts_drop_worker(3);
}

/* Bodies not added to for PARTS_AGE_MS go; a body still growing stays. */
static void test_age_out(void **state)
{
	uint64_t t0 = loop_now(co.loop);

	send_piece(0, "old", 0, 'o', PIECE);
	send_piece(1, "old", 1, 'o', PIECE);
	coord_parts_expire(t0 + PARTS_AGE_MS - 1);
	assert_int_equal(bodies(0), 1);
	assert_int_equal(bodies(1), 1);
	coord_parts_expire(t0 + PARTS_AGE_MS);
	assert_int_equal(bodies(0), 0);
	assert_int_equal(bodies(1), 0);
	assert_int_equal(pending(0) + pending(1), 0);
}

/* A flow whose body the worker marked streamed (its pieces did not all go
 * out) gets none of the pieces; they are freed with the flow. */
static void test_streamed_gets_nothing(void **state)
{
	struct test_flow t;

	send_piece(0, "S", 0, 's', PIECE);
	flow_init(&t, "S");
	t.rq.has_content_streamed = t.rq.content_streamed = 1;
	coord_parts_attach(0, &t.f);
	assert_false(t.rq.has_content);
	coord_parts_release(0, &t.f);
	assert_int_equal(bodies(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyed_by_worker),	  cmocka_unit_test(test_quota),
	    cmocka_unit_test(test_drop_on_close),	  cmocka_unit_test(test_age_out),
	    cmocka_unit_test(test_streamed_gets_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
