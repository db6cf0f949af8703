/* The worker's side of replay (replay_server.c, replay_client.c), on top of
 * the standalone logic in daemon/replay: the server replay index this
 * worker answers from, and the requests it sends again.  The flows come
 * from the coordinator (files the user named, or the web interface); they
 * are checked by daemon/replay as any recorded flow.  Runs in a worker. */
#ifndef SNARE_WORKER_REPLAY_WORKER_H
#define SNARE_WORKER_REPLAY_WORKER_H

#include <stdbool.h>

#include "ipc.pb-c.h"
#include "ipc/ipc.h"

struct conn;

/* From the configuration: the server replay options, and how many server
 * replay flows follow it.  -EINVAL with one line in err on a bad option. */
int replay_worker_configure(const Snare__WorkerConfig *cfg, char *err, size_t errlen);
/* Every server replay flow announced has arrived: traffic may be served. */
bool replay_worker_ready(void);
/* COORD_TO_WORKER replay: a server replay flow, or a request to send again
 * (with its two fds). */
void replay_worker_on_flow(struct ipc_chan *ch, struct ipc_frame *f);

/* After routing, before the hooks: answers the request from the recorded
 * flows (or kills it, or answers an empty status) as server replay says.
 * True when it did: the caller stops there. */
bool replay_http_request(struct conn *c);
/* While the request waits for its body (c->http->replay_wait, in
 * CS_EXCHANGE): decides once the body is in, as replay_http_request. */
void replay_http_body_step(struct conn *c, bool *progress);

/* replay_client.c: queues a request to send again, owning the two fds. */
void replay_client_queue(const Snare__Flow *f, int conn_fd, int peer_fd);
/* The worker serves traffic now: requests queued before go out. */
void replay_client_start(void);

#endif
