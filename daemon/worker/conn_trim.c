/* Runs in a worker: when a connection's stream buffers are freed.  A
 * connection that is not busy frees them after every pump (stream.c,
 * stream_trim_pump); a busy keep-alive connection keeps them, and its
 * timer frees them once it has been quiet for CONN_TRIM_MS.  Trusts the
 * connection's state; reads no peer bytes. */
#include <malloc.h>

#include "worker/conn.h"
#include "worker/conn_trim.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

/* Quiet this long, a busy connection trims: short, so that few other
 * connections allocate lasting objects (their SSL) past its buffers in the
 * meantime; the same as UPSTREAM_RELEASE_MS, when its server side goes to
 * the pool, so that one timer event does both. */
#define CONN_TRIM_MS 200
#define CONN_HEAP_TRIM_MS 1000 /* malloc_trim at most this often */

static bool conn_holds_buffers(const struct conn *c)
{
	return stream_keeps_buffers(&c->client) || stream_keeps_buffers(&c->server);
}

/* The timer is moved only when it would fire later than CONN_TRIM_MS from
 * now: once when the connection turns busy, not for every request (a
 * timer that fires early re-arms itself, conn_trim_due). */
void conn_trim_streams(struct conn *c)
{
	bool kept = stream_trim_pump(&c->client);
	uint64_t due;

	kept = stream_trim_pump(&c->server) || kept; /* both streams, always */
	if (!kept)
		return;
	due = loop_now(wk->loop) + CONN_TRIM_MS;
	if (c->state != CS_CONNECTING && loop_timer_armed(&c->timer) && c->timer.due_ms > due)
		loop_timer_arm(wk->loop, &c->timer, CONN_TRIM_MS);
}

/* The buffers a busy connection held sat between other connections'
 * lasting allocations (their SSL objects, made meanwhile); freed, they
 * leave holes in the heap that stay resident.  Once such trims happened,
 * the free pages go back to the kernel, at most once per CONN_HEAP_TRIM_MS for
 * the whole worker. */
static void conn_on_heap_trim(struct loop_timer *t)
{
	(void)t;
	malloc_trim(0);
}

static void conn_heap_trim_later(void)
{
	static struct loop_timer heap_timer = {.heap_idx = (size_t)-1, .fn = conn_on_heap_trim};

	if (!loop_timer_armed(&heap_timer))
		loop_timer_arm(wk->loop, &heap_timer, CONN_HEAP_TRIM_MS);
}

bool conn_trim_due(struct conn *c)
{
	uint64_t now = loop_now(wk->loop);
	uint64_t quiet = now > c->active_ms ? now - c->active_ms : 0;

	if (!conn_holds_buffers(c))
		return false;
	if (quiet < CONN_TRIM_MS) {
		loop_timer_arm(wk->loop, &c->timer, CONN_TRIM_MS - quiet);
		return true;
	}
	stream_trim(&c->client);
	stream_trim(&c->server);
	conn_heap_trim_later();
	return false;
}
