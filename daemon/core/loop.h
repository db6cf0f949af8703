/* The event loop: one epoll instance per process, fd watchers embedded in
 * their owners, one-shot timers in a heap, and deferred frees so that an
 * object closed while its events are still queued is released safely. */
#ifndef SNARE_CORE_LOOP_H
#define SNARE_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_io;
typedef void (*loop_io_fn)(struct loop_io *io, uint32_t events);

/* Embed in the owner; io->arg points back at it. */
struct loop_io {
	int fd;
	uint32_t events;
	bool added;
	loop_io_fn fn;
	void *arg;
};

struct loop_timer;
typedef void (*loop_timer_fn)(struct loop_timer *t);
struct loop_timer {
	uint64_t due_ms;
	size_t heap_idx; /* SIZE_MAX when not armed */
	uint64_t round;	 /* the firing round it was armed in */
	loop_timer_fn fn;
	void *arg;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

void loop_io_init(struct loop_io *io, int fd, loop_io_fn fn, void *arg);
/* Sets the epoll interest (0 removes the fd from epoll). */
int loop_io_set(struct loop *l, struct loop_io *io, uint32_t events)
    __attribute__((warn_unused_result));
/* Removes the fd from epoll; does not close it. */
void loop_io_del(struct loop *l, struct loop_io *io);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t after_ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx != (size_t)-1;
}
/* Idle timeouts without a heap operation per read or write: the owner only
 * stamps last_ms (loop_now) on activity, and its timer, when it fires, calls
 * this.  Re-arms t for what is left of limit_ms since last_ms and returns
 * true, or returns false when the connection was idle for all of it. */
bool loop_timer_idle_rearm(struct loop *l, struct loop_timer *t, uint64_t last_ms,
			   uint64_t limit_ms);

/* free_fn(p) runs after the current batch of events is dispatched. */
void loop_defer_free(struct loop *l, void (*free_fn)(void *), void *p);

/* Runs until loop_stop; returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
uint64_t loop_now(const struct loop *l);

#endif
