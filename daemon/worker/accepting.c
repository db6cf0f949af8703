/* Runs in a worker: takes client connections off its listening sockets
 * (shared with the other workers, EPOLLEXCLUSIVE) within its limits.
 *  - Descriptors: a new connection is taken only while the descriptors its
 *    connections actually hold (stream_fds_open: a client side each, a
 *    server side for those that have one; an idle reverse-mode connection
 *    gives its server side to the upstream pool and holds one), FD_RESERVE
 *    for channels, resolver, UDP and files, and a margin (a sixteenth of
 *    the limit, at least FD_MARGIN_MIN) for the server sides that clients
 *    about to send a request will open, leave one free.  A server
 *    connection that still finds no descriptor closes a pooled one and tries
 *    again, else its client gets a 502 naming the limit
 *    (accepting_no_server_fd).
 *  - At max_connections or that descriptor budget, a new connection takes
 *    the place of the one that has waited longest (at least a second)
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
 *  - A source over max_connections_per_source (or half of what the
 *    descriptors allow, if that is less) is accepted and closed.
 * Each of these logs one line when it trips, then at most one a minute. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "worker/accepting.h"
#include "worker/conn.h"
#include "worker/stream.h"
#include "worker/upstream_pool.h"
#include "worker/worker_ctx.h"

#define FD_RESERVE 64	 /* descriptors kept for channels, resolver, UDP, files */
#define FD_MARGIN_MIN 64 /* kept for server sides about to open */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define EVICT_MIN_MS 1000 /* a wait younger than this is never cut short */

enum pause_why { RUNNING, PAUSED_FULL, PAUSED_FDS };

static struct {
	long nofile;
	size_t cap;	/* max_connections (SIZE_MAX: none) */
	size_t fd_room; /* stream descriptors the budget allows (SIZE_MAX: no limit) */
	enum pause_why paused;
	bool stopped;
	uint64_t backoff_ms;
	struct loop_timer retry;
	struct log_once full_log, fds_log, source_log, server_fd_log;
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
	long margin = acc.nofile / 16 > FD_MARGIN_MIN ? acc.nofile / 16 : FD_MARGIN_MIN;
	long room = acc.nofile - FD_RESERVE - (long)nlisteners - margin;

	acc.cap = wk->opts.max_connections > 0 ? (size_t)wk->opts.max_connections : SIZE_MAX;
	acc.fd_room = SIZE_MAX;
	if (acc.nofile > 0) {
		acc.fd_room = room > 1 ? (size_t)room : 1;
		log_info(
		    "worker %u: %ld file descriptors: client connections are taken while "
		    "those open hold fewer than %zu (a client side each, a server side where "
		    "one is held; %ld kept back for the worker's own and for server connections "
		    "about to open; raise the hard limit, ulimit -Hn, for more)",
		    worker_index, acc.nofile, acc.fd_room, acc.nofile - (long)acc.fd_room);
	}
	acc.backoff_ms = BACKOFF_MIN_MS;
	srclimit_init();
}

/* No room for one more client connection: max_connections, or a new
 * client descriptor would eat into the margin kept for server sides. */
static bool accept_full(void)
{
	return wk->nconns >= acc.cap || stream_fds_open() + 1 > acc.fd_room;
}

bool accepting_fd_room(size_t n)
{
	return acc.fd_room == SIZE_MAX || stream_fds_open() + n <= acc.fd_room;
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
		log_warn("worker %u: %zu client connections, the most it takes (max_connections, "
			 "or the descriptor limit less a margin for server connections; %zu "
			 "descriptors in them): a new one takes the place of one that has waited a "
			 "second for its client, or waits (%u more times since the last line)",
			 wk->index, wk->nconns, stream_fds_open(), skipped);
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
	    (accept_full() && !for_eviction))
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

/* max_connections_per_source, and never more than half of the worker's cap
 * (what the descriptors allow at one each): one source must not be able to
 * fill a worker. */
static unsigned source_cap(void)
{
	size_t cap = acc.cap < acc.fd_room ? acc.cap : acc.fd_room;
	size_t half = cap / 2 > 0 ? cap / 2 : 1;
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

		if (accept_full()) {
			uint64_t wait_ms;

			if (!conn_evict_waiting(EVICT_MIN_MS, &wait_ms) || accept_full()) {
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

bool accepting_no_server_fd(int err)
{
	unsigned skipped;

	if (err != EMFILE && err != ENFILE)
		return false;
	if (upstream_pool_drop_oldest("a new server connection needs its descriptor"))
		return true;
	if (log_once_due(&acc.server_fd_log, loop_now(wk->loop), &skipped))
		log_warn("worker %u: no descriptor for a server connection (%s; %zu client "
			 "connections, %zu descriptors in them, limit %ld): its client gets a 502 "
			 "(%u more times since the last line)",
			 wk->index, strerror(err), wk->nconns, stream_fds_open(), acc.nofile,
			 skipped);
	return false;
}

void accepting_stop(void)
{
	acc.stopped = true;
	if (wk->loop)
		loop_timer_cancel(wk->loop, &acc.retry);
}
