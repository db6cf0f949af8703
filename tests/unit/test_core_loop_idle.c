/* Unit tests (test process only) for loop_timer_idle_rearm on a real event
 * loop: an idle timer that fires while there was activity re-arms itself for
 * the rest of the idle time instead of expiring, and expires once the whole
 * limit passed without activity.  No upper bounds on time are asserted, and
 * the idle limit is 20 times the activity period so that a machine too
 * loaded to run a 20 ms timer within 400 ms is the only way to fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/loop.h"

#define LIMIT_MS 400

struct fixture {
	struct loop *loop;
	struct loop_timer idle, activity, guard;
	uint64_t last_ms; /* the last "byte moved" */
	int fired, rearmed, activities;
	uint64_t expired_at;
};

static void on_idle(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	fx->fired++;
	if (loop_timer_idle_rearm(fx->loop, t, fx->last_ms, LIMIT_MS)) {
		fx->rearmed++;
		return;
	}
	fx->expired_at = loop_now(fx->loop);
	loop_stop(fx->loop);
}

/* Activity every 20 ms, five times: the connection is busy for 100 ms. */
static void on_activity(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	fx->last_ms = loop_now(fx->loop);
	if (++fx->activities < 5)
		loop_timer_arm(fx->loop, t, 20);
}

static void on_guard(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	loop_stop(fx->loop);
	fail_msg("the idle timer never expired");
}

static void test_idle_rearm_while_active(void **state)
{
	struct fixture fx = {0};

	(void)state;
	fx.loop = loop_new();
	assert_non_null(fx.loop);
	loop_timer_init(&fx.idle, on_idle, &fx);
	loop_timer_init(&fx.activity, on_activity, &fx);
	loop_timer_init(&fx.guard, on_guard, &fx);
	fx.last_ms = loop_now(fx.loop);
	loop_timer_arm(fx.loop, &fx.idle, LIMIT_MS);
	loop_timer_arm(fx.loop, &fx.activity, 20);
	loop_timer_arm(fx.loop, &fx.guard, 10000);
	assert_int_equal(loop_run(fx.loop), 0);
	assert_int_equal(fx.activities, 5);
	assert_true(fx.rearmed >= 1); /* fired while active: not expired */
	assert_int_equal(fx.fired, fx.rearmed + 1);
	assert_true(fx.expired_at >= fx.last_ms + LIMIT_MS); /* a whole idle limit */
	loop_timer_cancel(fx.loop, &fx.activity);
	loop_timer_cancel(fx.loop, &fx.guard);
	loop_free(fx.loop);
}

static void test_idle_rearm_expired_and_future(void **state)
{
	struct loop *l = loop_new();
	struct loop_timer t;
	uint64_t now;

	(void)state;
	assert_non_null(l);
	loop_timer_init(&t, NULL, NULL);
	now = loop_now(l);
	assert_false(loop_timer_idle_rearm(l, &t, now - LIMIT_MS, LIMIT_MS));
	assert_false(loop_timer_armed(&t));
	assert_true(loop_timer_idle_rearm(l, &t, now - 10, LIMIT_MS));
	assert_true(loop_timer_armed(&t));
	assert_int_equal(t.due_ms, now + LIMIT_MS - 10);
	/* A stamp ahead of the loop's clock counts as activity now. */
	assert_true(loop_timer_idle_rearm(l, &t, now + 5, LIMIT_MS));
	assert_int_equal(t.due_ms, now + LIMIT_MS);
	loop_timer_cancel(l, &t);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_rearm_while_active),
	    cmocka_unit_test(test_idle_rearm_expired_and_future),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
