/* epoll event loop with timers and deferred frees (see loop.h).  Used by the
 * coordinator, the ca and the workers; no threads. */
#include "core/loop.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/heap.h"
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
	struct heap timers; /* of struct loop_timer, by due_ms */
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
	heap_init(&l->timers, offsetof(struct loop_timer, heap_idx));
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
	heap_free(&l->timers);
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

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	t->due_ms = 0;
	t->heap_idx = (size_t)-1;
	t->fn = fn;
	t->arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	heap_remove(&l->timers, t);
}

/* Out and in again (not moved in place): a re-armed timer queues behind
 * those already due at the same time. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t after_ms)
{
	heap_remove(&l->timers, t);
	t->due_ms = l->now + after_ms;
	t->round = l->timer_round;
	heap_set(&l->timers, t, t->due_ms);
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
	struct loop_timer *t;

	while ((t = heap_top(&l->timers)) != NULL && t->due_ms <= l->now && t->round != round) {
		loop_timer_cancel(l, t);
		t->fn(t);
	}
}

static int loop_timeout(const struct loop *l)
{
	const struct loop_timer *t = heap_top(&l->timers);

	if (t == NULL)
		return 1000;
	if (t->due_ms <= l->now)
		return 0;
	return (int)(t->due_ms - l->now > 1000 ? 1000 : t->due_ms - l->now);
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
