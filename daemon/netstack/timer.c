/* Runs in the worker. Trusts its callers: the stack's deadlines (retransmission, delayed ACK,
 * TIME_WAIT, idle, UDP and fragment expiry) in one min-heap (core/heap.h), with a single loop
 * timer armed for the earliest, so thousands of connections cost one loop timer. */
#include "core/heap.h"
#include "netstack/ns_int.h"

void ns_timer_init(struct ns_timer *t, void (*fn)(struct ns_timer *), void *arg)
{
	t->due = 0;
	t->idx = HEAP_NONE;
	t->fn = fn;
	t->arg = arg;
}

void ns_timer_stop(struct ns_stack *s, struct ns_timer *t)
{
	heap_remove(&s->timers, t);
}

/* Moved in place when it is set already. */
void ns_timer_set(struct ns_stack *s, struct ns_timer *t, uint64_t due_ms)
{
	t->due = due_ms;
	heap_set(&s->timers, t, due_ms);
}

/* Runs every timer due at s->now. A callback may set timers again, also for now; those wait
 * for the next run so a busy timer cannot spin. */
void ns_timers_run(struct ns_stack *s)
{
	size_t budget = s->timers.n;
	struct ns_timer *t;

	while (budget-- > 0 && (t = heap_top(&s->timers)) != NULL && t->due <= s->now) {
		ns_timer_stop(s, t);
		t->fn(t);
	}
}

void ns_timers_rearm(struct ns_stack *s)
{
	uint64_t now = loop_now(s->loop);
	const struct ns_timer *t = heap_top(&s->timers);

	if (t == NULL) {
		loop_timer_cancel(s->loop, &s->lt);
		return;
	}
	if (loop_timer_armed(&s->lt) && s->lt.due_ms == t->due)
		return;
	loop_timer_arm(s->loop, &s->lt, t->due > now ? t->due - now : 0);
}
