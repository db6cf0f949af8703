/* Runs in a worker: takes client connections off its listening sockets
 * (shared with the other workers, EPOLLEXCLUSIVE) within its limits.
 *  - At max_connections, or what the descriptor limit leaves room for (each
 *    connection needs a client and a server descriptor), a new connection
 *    takes the place of the one that has waited longest (at least a second)
 *    for its client to finish a head or handshake, as web servers reclaim
 *    idle kept-alive connections: clients that trickle cannot crowd out the
 *    ones that talk.  With none such, the listeners leave epoll until a
 *    connection ends or the oldest wait turns a second (with nothing
 *    waiting, a second on); the other workers and the kernel's accept
 *    queue hold new clients meanwhile.
 *  - When accept() says the process or system is out of descriptors or
 *    memory, likewise, and a backoff timer (0.1 s doubling to 2 s) tries
 *    again in case no connection of ours ends: the level-triggered listener
 *    is never polled while it cannot be served.
 *  - A source over max_connections_per_source (or half the cap, if that is
 *    less) is accepted and closed.
 * Each of these logs one line when it trips, then at most one a minute. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/worker_ctx.h"

#define FD_RESERVE 64 /* descriptors kept for channels, resolver, UDP, files */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define EVICT_MIN_MS 1000 /* a wait younger than this is never cut short */

enum pause_why { RUNNING, PAUSED_FULL, PAUSED_FDS };

static struct {
	long nofile;
	size_t cap; /* effective connection cap */
	enum pause_why paused;
	bool stopped;
	uint64_t backoff_ms;
	struct loop_timer retry;
	struct log_once full_log, fds_log, source_log;
} acc;

static void accepting_retry(struct loop_timer *t);

void accepting_set_fd_limit(long nofile)
{
	acc.nofile = nofile;
	loop_timer_init(&acc.retry, accepting_retry, NULL);
}

long accepting_fd_limit(void)
{
	return acc.nofile;
}

void accepting_prepare(unsigned worker_index, unsigned nlisteners)
{
	size_t by_fds = SIZE_MAX;

	acc.cap = wk->opts.max_connections > 0 ? (size_t)wk->opts.max_connections : SIZE_MAX;
	if (acc.nofile > 0)
		by_fds = acc.nofile > FD_RESERVE + (long)nlisteners + 2
			     ? (size_t)(acc.nofile - FD_RESERVE - (long)nlisteners) / 2
			     : 1;
	if (by_fds < acc.cap) {
		acc.cap = by_fds;
		log_info("worker %u: at most %zu client connections (%ld file descriptors; raise "
			 "the hard limit, ulimit -Hn, for more)",
			 worker_index, acc.cap, acc.nofile);
	}
	acc.backoff_ms = BACKOFF_MIN_MS;
	srclimit_init();
}

static void listeners_set(bool on)
{
	size_t i;

	for (i = 0; i < wk->nlisteners; i++) {
		struct worker_listener *l = &wk->listeners[i];

		if (l->io.fn != accepting_readable)
			continue;
		if (!on)
			loop_io_del(wk->loop, &l->io);
		else if (loop_io_set(wk->loop, &l->io, EPOLLIN | EPOLLEXCLUSIVE) < 0)
			log_warn("worker %u: cannot watch a listening socket again: %s", wk->index,
				 strerror(errno));
	}
}

/* wait_ms: when the oldest waiting connection may be closed for room (0:
 * none waits now; one that starts waiting later is looked for a second on). */
static void pause_full(uint64_t wait_ms)
{
	unsigned skipped;

	acc.paused = PAUSED_FULL;
	listeners_set(false);
	loop_timer_arm(wk->loop, &acc.retry, wait_ms > 0 ? wait_ms : EVICT_MIN_MS);
	if (log_once_due(&acc.full_log, loop_now(wk->loop), &skipped))
		log_warn("worker %u: %zu client connections, the most it takes "
			 "(max_connections or the descriptor limit): a new one takes the place of "
			 "one that has waited a second for its client, or waits (%u more times "
			 "since the last line)",
			 wk->index, acc.cap, skipped);
}

static void pause_fds(int err)
{
	unsigned skipped;

	acc.paused = PAUSED_FDS;
	listeners_set(false);
	loop_timer_arm(wk->loop, &acc.retry, acc.backoff_ms);
	if (log_once_due(&acc.fds_log, loop_now(wk->loop), &skipped))
		log_warn("worker %u: cannot accept a connection: %s; trying again when one ends "
			 "or in %llu ms (%u more times since the last line)",
			 wk->index, strerror(err), (unsigned long long)acc.backoff_ms, skipped);
	acc.backoff_ms = acc.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : acc.backoff_ms * 2;
}

static void resume(bool for_eviction)
{
	if (acc.paused == RUNNING || acc.stopped || wk->stopping ||
	    (wk->nconns >= acc.cap && !for_eviction))
		return;
	acc.paused = RUNNING;
	loop_timer_cancel(wk->loop, &acc.retry);
	listeners_set(true);
}

/* The backoff after EMFILE, or the oldest waiting connection may now be
 * closed for room: listen again; accepting_readable decides. */
static void accepting_retry(struct loop_timer *t)
{
	resume(true);
}

/* max_connections_per_source, and never more than half of the worker's cap:
 * one source must not be able to fill a worker. */
static unsigned source_cap(void)
{
	size_t half = acc.cap / 2 > 0 ? acc.cap / 2 : 1;
	unsigned opt = (unsigned)wk->opts.max_connections_per_source;

	return opt == 0 || opt <= half ? opt : (unsigned)half;
}

static bool source_refused(int fd, const union sockaddr_any *peer, struct src_slot **slot)
{
	char a[ADDR_STRLEN];
	unsigned skipped;

	if (srclimit_take(peer, source_cap(), slot) == 0)
		return false;
	close(fd);
	if (log_once_due(&acc.source_log, loop_now(wk->loop), &skipped))
		log_warn("Client connection from %s refused: it has %u connections to this worker "
			 "(max_connections_per_source; %u more refused since the last line)",
			 addr_format_host(&peer->sa, a, sizeof(a)), source_cap(), skipped);
	return true;
}

void accepting_readable(struct loop_io *io, uint32_t events)
{
	struct worker_listener *l = io->arg;
	union sockaddr_any peer;
	struct src_slot *slot;
	int i, fd;

	for (i = 0; i < 64 && acc.paused == RUNNING; i++) {
		socklen_t len = sizeof(peer);

		if (wk->nconns >= acc.cap) {
			uint64_t wait_ms;

			if (!conn_evict_waiting(EVICT_MIN_MS, &wait_ms) || wk->nconns >= acc.cap) {
				pause_full(wait_ms);
				return;
			}
		}
		fd = accept4(l->fd, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_fds(errno);
			return; /* EAGAIN: drained; ECONNABORTED and the like: epoll says */
		}
		acc.backoff_ms = BACKOFF_MIN_MS;
		if (!source_refused(fd, &peer, &slot))
			conn_accept(l, fd, &peer, slot);
	}
}

void accepting_conn_gone(struct src_slot *slot)
{
	srclimit_put(slot);
	if (acc.paused != RUNNING)
		resume(false);
}

void accepting_stop(void)
{
	acc.stopped = true;
	if (wk->loop)
		loop_timer_cancel(wk->loop, &acc.retry);
}
