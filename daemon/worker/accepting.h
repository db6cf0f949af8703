/* Taking client connections off the listening sockets within a worker's
 * limits: max_connections (and what the descriptor limit allows),
 * max_connections_per_source, and a pause without polling when the process
 * runs out of descriptors. */
#ifndef SNARE_WORKER_ACCEPTING_H
#define SNARE_WORKER_ACCEPTING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/loop.h"

/* At start, before the sandbox: the descriptor limit (fdlimit_raise). */
void accepting_set_fd_limit(long nofile);
/* That limit (0: unknown); the sandbox refuses getrlimit later. */
long accepting_fd_limit(void);
/* Once the options are known, before the sandbox: the effective cap and the
 * per-source table's hash key. */
void accepting_prepare(unsigned worker_index, unsigned nlisteners);
/* The epoll callback of a TCP listener (io->arg is its worker_listener). */
void accepting_readable(struct loop_io *io, uint32_t events);
/* Whether n more stream descriptors fit the budget (the upstream pool keeps
 * a connection only then). */
bool accepting_fd_room(size_t n);
/* socket() for a server connection failed with err: for EMFILE or ENFILE,
 * closes the oldest pooled connection and says true (try again), or logs
 * that the client gets an error (at most once a minute) and says false. */
bool accepting_no_server_fd(int err);
/* A connection ended: frees its per-source slot and, when accepting was
 * paused for want of room, starts again. */
struct src_slot;
void accepting_conn_gone(struct src_slot *slot);
/* At the limit: closes the connection that has waited longest for its
 * client (a head or handshake not complete, an idle kept-alive connection)
 * if it has waited min_age_ms; else false, and *wait_ms says when the
 * oldest will have (0: nothing waits). */
bool conn_evict_waiting(uint64_t min_age_ms, uint64_t *wait_ms);
/* Shutdown: never resume. */
void accepting_stop(void);

/* ---- source_limit.c: connections per source address ---- */
void srclimit_init(void);
/* Counts one more connection from peer: 0 and *slot (NULL when the cap is
 * off), or -EMFILE when peer already has max_connections_per_source. */
int srclimit_take(const union sockaddr_any *peer, unsigned cap, struct src_slot **slot);
void srclimit_put(struct src_slot *slot);

/* ---- a log line at most once a minute, counting the ones left out ---- */
struct log_once {
	uint64_t next_ms;
	unsigned skipped;
};
/* True when a line may be printed now (then *skipped is how many were left
 * out since the last one). */
bool log_once_due(struct log_once *lo, uint64_t now_ms, unsigned *skipped);

#endif
