/* Unit tests for the held-flows store (daemon/hold): the intercept
 * decision (filter, active, replays), the count and byte limits, resume
 * unchanged and with edits (given, or stored by hold_edit), kill, resume
 * all in order, a client going away, and timeouts on the caller's clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hold/hold.h"
#include "test_replay_flows.h"

/* What the callbacks saw, in order: "r<cookie>" or "R<cookie>:<path>"
 * (resumed unchanged / edited), "k<cookie>". */
static char seen[256];

static void on_resume(void *owner, void *cookie, enum hold_phase phase, const Snare__Flow *ed)
{
	char *s = seen + strlen(seen);
	size_t room = sizeof(seen) - strlen(seen);

	assert_ptr_equal(owner, seen);
	(void)phase;
	if (ed)
		snprintf(s, room, "R%d:%s ", *(int *)cookie, ed->request->path);
	else
		snprintf(s, room, "r%d ", *(int *)cookie);
}

static void on_kill(void *owner, void *cookie, enum hold_phase phase)
{
	(void)owner, (void)phase;
	snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "k%d ", *(int *)cookie);
}

static const struct hold_ops ops = {on_resume, on_kill};
static int c1 = 1, c2 = 2, c3 = 3;

static struct hold *store(size_t flows, size_t bytes, double timeout)
{
	struct hold_limits l = {flows, bytes, timeout};
	struct hold *h = hold_new(&l, &ops, seen);
	char err[128];

	seen[0] = 0;
	assert_int_equal(hold_set_filter(h, "~d a.test", err, sizeof(err)), 0);
	return h;
}

static uint64_t add(struct hold *h, const char *path, void *cookie, double now)
{
	struct rf r;
	uint64_t id = 0;

	rf_init(&r, "GET", "http", "a.test", 80, path, NULL);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, cookie, now, &id), 0);
	assert_true(id != 0);
	return id;
}

static void test_wants(void **state)
{
	struct hold_limits l = {10, 1 << 20, 0};
	struct hold *h = hold_new(&l, &ops, seen);
	char err[128];
	struct rf r;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/", NULL);
	assert_false(hold_wants(h, &r.f, NULL)); /* no filter */
	assert_int_equal(hold_set_filter(h, "~q & ~d a.test", err, sizeof(err)), 0);
	assert_true(hold_wants(h, &r.f, NULL));
	rf_response(&r, 200, "x", 1);
	assert_false(hold_wants(h, &r.f, NULL)); /* ~q: requests only */
	r.f.response = NULL;
	r.f.is_replay = unconst("request");
	assert_false(hold_wants(h, &r.f, NULL)); /* replays pass */
	r.f.is_replay = NULL;
	hold_set_active(h, false);
	assert_false(hold_wants(h, &r.f, NULL));
	hold_set_active(h, true);
	assert_true(hold_wants(h, &r.f, NULL));
	/* A bad filter is refused and the old one stays. */
	assert_int_equal(hold_set_filter(h, "~zz", err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_true(hold_wants(h, &r.f, NULL));
	assert_int_equal(hold_set_filter(h, "", err, sizeof(err)), 0);
	assert_false(hold_wants(h, &r.f, NULL));
	hold_free(h);
}

static void test_count_limit(void **state)
{
	struct hold *h = store(2, 1 << 20, 0);
	struct rf r;
	uint64_t id;

	(void)state;
	add(h, "/1", &c1, 0);
	add(h, "/2", &c1, 0);
	rf_init(&r, "GET", "http", "a.test", 80, "/3", NULL);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), -ENOSPC);
	assert_int_equal(hold_count(h), 2);
	assert_int_equal(hold_refused(h), 1);
	/* Room again after a resume. */
	assert_int_equal(hold_resume_all(h), 2);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), 0);
	hold_free(h);
}

static void test_byte_limit(void **state)
{
	struct rf r;
	size_t one;
	struct hold *h;
	uint64_t id;

	(void)state;
	rf_init(&r, "POST", "http", "a.test", 80, "/big", "0123456789");
	one = snare__flow__get_packed_size(&r.f);
	h = store(100, one * 2 + 1, 0);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), 0);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), 0);
	assert_int_equal(hold_bytes(h), one * 2);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), -ENOSPC);
	/* An edit that would break the budget is refused. */
	rf_init(&r, "POST", "http", "a.test", 80, "/big", "0123456789-and-more");
	assert_int_equal(hold_edit(h, id, &r.f), -ENOSPC);
	assert_int_equal(hold_bytes(h), one * 2);
	assert_int_equal(hold_kill(h, id), 0);
	assert_int_equal(hold_bytes(h), one);
	hold_free(h);
	/* max_flows 0: nothing is held. */
	h = store(0, 1000, 0);
	assert_int_equal(hold_add(h, &r.f, HOLD_REQUEST, &c1, 0, &id), -ENOSPC);
	hold_free(h);
}

static void test_resume_and_edits(void **state)
{
	struct hold *h = store(10, 1 << 20, 0);
	uint64_t a = add(h, "/a", &c1, 0), b = add(h, "/b", &c2, 0), c = add(h, "/c", &c3, 0);
	uint64_t ids[4];
	Snare__Flow *got;
	struct rf e;

	(void)state;
	assert_int_equal(hold_list(h, ids, 4), 3);
	assert_true(ids[0] == a && ids[1] == b && ids[2] == c);
	got = hold_get(h, b);
	assert_non_null(got);
	assert_string_equal(got->request->path, "/b");
	snare__flow__free_unpacked(got, NULL);
	assert_null(hold_get(h, 999));
	{
		enum hold_phase ph = HOLD_RESPONSE;

		assert_ptr_equal(hold_cookie(h, b, &ph), &c2); /* what an edit is checked on */
		assert_int_equal(ph, HOLD_REQUEST);
		assert_null(hold_cookie(h, 999, &ph));
	}

	assert_int_equal(hold_resume(h, a, NULL), 0);
	rf_init(&e, "GET", "http", "a.test", 80, "/b-edited", NULL);
	assert_int_equal(hold_resume(h, b, &e.f), 0);
	/* Stored edit, then resume without one: the edit goes on. */
	rf_init(&e, "GET", "http", "a.test", 80, "/c-stored", NULL);
	assert_int_equal(hold_edit(h, c, &e.f), 0);
	got = hold_get(h, c);
	assert_string_equal(got->request->path, "/c-stored");
	snare__flow__free_unpacked(got, NULL);
	assert_int_equal(hold_resume(h, c, NULL), 0);
	assert_string_equal(seen, "r1 R2:/b-edited R3:/c-stored ");
	assert_int_equal(hold_resume(h, a, NULL), -ENOENT);
	assert_int_equal(hold_edit(h, a, &e.f), -ENOENT);
	{
		enum hold_phase ph;

		assert_null(hold_cookie(h, a, &ph)); /* resumed: gone */
	}
	assert_int_equal(hold_count(h), 0);
	assert_int_equal(hold_bytes(h), 0);
	hold_free(h);
}

static void test_kill_and_resume_all(void **state)
{
	struct hold *h = store(10, 1 << 20, 0);
	uint64_t a = add(h, "/a", &c1, 0);

	(void)state;
	add(h, "/b", &c2, 0);
	add(h, "/c", &c3, 0);
	assert_int_equal(hold_kill(h, a), 0);
	assert_int_equal(hold_kill(h, a), -ENOENT);
	assert_int_equal(hold_resume_all(h), 2);
	assert_string_equal(seen, "k1 r2 r3 ");
	assert_int_equal(hold_resume_all(h), 0);
	hold_free(h);
}

static void test_client_gone(void **state)
{
	struct hold *h = store(10, 1 << 20, 0);
	uint64_t b;

	(void)state;
	add(h, "/a", &c1, 0);
	b = add(h, "/b", &c2, 0);
	add(h, "/c", &c1, 0);
	assert_int_equal(hold_forget(h, &c1), 2);
	assert_int_equal(hold_count(h), 1);
	assert_string_equal(seen, ""); /* no callback for a gone client */
	assert_int_equal(hold_forget(h, &c1), 0);
	/* The remaining one is intact and still the tail. */
	add(h, "/d", &c3, 0);
	assert_int_equal(hold_resume(h, b, NULL), 0);
	assert_int_equal(hold_resume_all(h), 1);
	assert_string_equal(seen, "r2 r3 ");
	hold_free(h);
}

static void test_timeout(void **state)
{
	struct hold *h = store(10, 1 << 20, 10);
	uint64_t ids[2];

	(void)state;
	add(h, "/a", &c1, 100);
	add(h, "/b", &c2, 103);
	assert_true(hold_next_deadline(h) == 110);
	assert_int_equal(hold_expire(h, 109.9), 0);
	assert_int_equal(hold_expire(h, 110), 1);
	assert_string_equal(seen, "r1 ");
	assert_true(hold_next_deadline(h) == 113);
	assert_int_equal(hold_list(h, ids, 2), 1);
	assert_int_equal(hold_expire(h, 1000), 1);
	assert_true(hold_next_deadline(h) == 0);
	hold_free(h);
	/* Without a timeout nothing expires. */
	h = store(10, 1 << 20, 0);
	add(h, "/a", &c1, 100);
	assert_true(hold_next_deadline(h) == 0);
	assert_int_equal(hold_expire(h, 1e12), 0);
	assert_int_equal(hold_count(h), 1);
	hold_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wants),
	    cmocka_unit_test(test_count_limit),
	    cmocka_unit_test(test_byte_limit),
	    cmocka_unit_test(test_resume_and_edits),
	    cmocka_unit_test(test_kill_and_resume_all),
	    cmocka_unit_test(test_client_gone),
	    cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
