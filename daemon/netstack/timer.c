/* Runs in the worker. Trusts its callers: the stack's deadlines (retransmission, delayed ACK,
 * TIME_WAIT, idle, UDP and fragment expiry) in one min-heap, with a single loop timer armed
 * for the earliest, so thousands of connections cost one loop timer. */
#include <stdlib.h>

#include "core/util.h"
#include "netstack/ns_int.h"

#define NS_TIMER_IDLE ((size_t)-1)

void ns_timer_init(struct ns_timer *t, void (*fn)(struct ns_timer *), void *arg)
{
	t->due = 0;
	t->idx = NS_TIMER_IDLE;
	t->fn = fn;
	t->arg = arg;
}

static void heap_swap(struct ns_stack *s, size_t a, size_t b)
{
	struct ns_timer *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->idx = a;
	s->heap[b]->idx = b;
}

static void heap_up(struct ns_stack *s, size_t i)
{
	while (i > 0 && s->heap[(i - 1) / 2]->due > s->heap[i]->due) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct ns_stack *s, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < s->nheap && s->heap[c]->due < s->heap[m]->due)
			m = c;
		if (c + 1 < s->nheap && s->heap[c + 1]->due < s->heap[m]->due)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

void ns_timer_stop(struct ns_stack *s, struct ns_timer *t)
{
	size_t i = t->idx;

	if (i == NS_TIMER_IDLE)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->idx = i;
		heap_down(s, i);
		heap_up(s, i);
	}
	t->idx = NS_TIMER_IDLE;
}

void ns_timer_set(struct ns_stack *s, struct ns_timer *t, uint64_t due_ms)
{
	if (t->idx != NS_TIMER_IDLE) {
		uint64_t old = t->due;

		t->due = due_ms;
		if (due_ms < old)
			heap_up(s, t->idx);
		else
			heap_down(s, t->idx);
		return;
	}
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 64;
		s->heap = xrealloc(s->heap, s->capheap * sizeof(*s->heap));
	}
	t->due = due_ms;
	t->idx = s->nheap;
	s->heap[s->nheap++] = t;
	heap_up(s, t->idx);
}

/* Runs every timer due at s->now. A callback may set timers again, also for now; those wait
 * for the next run so a busy timer cannot spin. */
void ns_timers_run(struct ns_stack *s)
{
	size_t budget = s->nheap;

	while (budget-- > 0 && s->nheap > 0 && s->heap[0]->due <= s->now) {
		struct ns_timer *t = s->heap[0];

		ns_timer_stop(s, t);
		t->fn(t);
	}
}

void ns_timers_rearm(struct ns_stack *s)
{
	uint64_t now = loop_now(s->loop);

	if (s->nheap == 0) {
		loop_timer_cancel(s->loop, &s->lt);
		return;
	}
	if (loop_timer_armed(&s->lt) && s->lt.due_ms == s->heap[0]->due)
		return;
	loop_timer_arm(s->loop, &s->lt, s->heap[0]->due > now ? s->heap[0]->due - now : 0);
}
