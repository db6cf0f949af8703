/* epoll event loop with timers and deferred frees (see loop.h).  Used by the
 * coordinator, the ca and the workers; no threads. */
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/util.h"

#define LOOP_MAX_EVENTS 128

struct loop_deferred {
	void (*fn)(void *);
	void *p;
};

struct loop {
	int epfd;
	bool stop;
	uint64_t now;
	uint64_t timer_round;
	struct loop_timer **heap;
	size_t nheap, capheap;
	struct loop_deferred *defer;
	size_t ndefer, capdefer;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = clock_ms();
	return l;
}

static void loop_run_deferred(struct loop *l)
{
	size_t i;

	for (i = 0; i < l->ndefer; i++)
		l->defer[i].fn(l->defer[i].p);
	l->ndefer = 0;
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	loop_run_deferred(l);
	close(l->epfd);
	free(l->heap);
	free(l->defer);
	free(l);
}

void loop_io_init(struct loop_io *io, int fd, loop_io_fn fn, void *arg)
{
	io->fd = fd;
	io->events = 0;
	io->added = false;
	io->fn = fn;
	io->arg = arg;
}

int loop_io_set(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	int op;

	if (events == 0) {
		loop_io_del(l, io);
		return 0;
	}
	if (io->added && io->events == events)
		return 0;
	op = io->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, io->fd, &ev) < 0)
		return -errno;
	io->added = true;
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
	if (io->added)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	io->events = 0;
}

/* Timer heap, ordered by due_ms. */
static void heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0 && l->heap[(i - 1) / 2]->due_ms > l->heap[i]->due_ms) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->nheap && l->heap[c]->due_ms < l->heap[m]->due_ms)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->due_ms < l->heap[m]->due_ms)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	t->due_ms = 0;
	t->heap_idx = (size_t)-1;
	t->fn = fn;
	t->arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_idx;

	if (i == (size_t)-1)
		return;
	l->nheap--;
	if (i != l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->heap_idx = i;
		heap_down(l, i);
		heap_up(l, i);
	}
	t->heap_idx = (size_t)-1;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t after_ms)
{
	loop_timer_cancel(l, t);
	if (l->nheap == l->capheap) {
		l->capheap = l->capheap ? 2 * l->capheap : 64;
		l->heap = xrealloc(l->heap, l->capheap * sizeof(*l->heap));
	}
	t->due_ms = l->now + after_ms;
	t->round = l->timer_round;
	t->heap_idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->heap_idx);
}

bool loop_timer_idle_rearm(struct loop *l, struct loop_timer *t, uint64_t last_ms,
			   uint64_t limit_ms)
{
	uint64_t idle = l->now > last_ms ? l->now - last_ms : 0;

	if (idle >= limit_ms)
		return false;
	loop_timer_arm(l, t, limit_ms - idle);
	return true;
}

void loop_defer_free(struct loop *l, void (*free_fn)(void *), void *p)
{
	if (l->ndefer == l->capdefer) {
		l->capdefer = l->capdefer ? 2 * l->capdefer : 64;
		l->defer = xrealloc(l->defer, l->capdefer * sizeof(*l->defer));
	}
	l->defer[l->ndefer].fn = free_fn;
	l->defer[l->ndefer].p = p;
	l->ndefer++;
}

/* Fires the timers due now.  A timer re-armed by its callback (even for 0 ms)
 * waits for the next round, so a busy timer cannot starve fd events. */
static void loop_fire_timers(struct loop *l)
{
	uint64_t round = ++l->timer_round;

	while (l->nheap > 0 && l->heap[0]->due_ms <= l->now && l->heap[0]->round != round) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		t->fn(t);
	}
}

static int loop_timeout(const struct loop *l)
{
	if (l->nheap == 0)
		return 1000;
	if (l->heap[0]->due_ms <= l->now)
		return 0;
	return (int)(l->heap[0]->due_ms - l->now > 1000 ? 1000 : l->heap[0]->due_ms - l->now);
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];
	int n, i;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, ev, LOOP_MAX_EVENTS, loop_timeout(l));
		if (n < 0 && errno != EINTR)
			return -errno;
		l->now = clock_ms();
		for (i = 0; i < n; i++) {
			struct loop_io *io = ev[i].data.ptr;

			if (io->added && io->fn)
				io->fn(io, ev[i].events);
		}
		loop_fire_timers(l);
		loop_run_deferred(l);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

uint64_t loop_now(const struct loop *l)
{
	return l->now;
}
