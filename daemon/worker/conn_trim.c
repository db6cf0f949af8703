/* Runs in a worker: when a connection's stream buffers are freed.  A
 * connection that is not busy frees them after every pump (stream.c,
 * stream_trim_pump); a busy keep-alive connection keeps them, and its
 * timer frees them once it has been quiet for CONN_TRIM_MS.  Trusts the
 * connection's state; reads no peer bytes. */
#include "worker/conn.h"
#include "worker/conn_trim.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

#define CONN_TRIM_MS 1000

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
	return false;
}
