/* The coordinator's side of replay (replayfiles.c): the server_replay and
 * client_replay files read at start-up, sent to the workers, and the web
 * interface's replay requests handed to a worker.  Runs in the coordinator. */
#ifndef SNARE_COORDINATOR_REPLAYFILES_H
#define SNARE_COORDINATOR_REPLAYFILES_H

#include <stddef.h>

#include "ipc/ipc.h"

struct coord;
struct coord_child;
struct coord_replay;

/* Reads the files the replay options name: 0, or -EINVAL with one line in
 * err naming the option and the file (then nothing is kept). */
int coord_replay_load(struct coord *co, char *err, size_t errlen);
/* How many server replay flows follow a worker's configuration. */
size_t coord_replay_server_count(const struct coord *co);
/* After w's configuration: every server replay flow. */
void coord_replay_send_server(struct coord_child *w);
/* After worker 0's configuration, once: the client_replay requests. */
void coord_replay_send_client(struct coord_child *w);
/* A worker's ReplayDone: with -n, the last client_replay request done
 * stops snare. */
void coord_replay_on_done(struct ipc_chan *ch, struct ipc_frame *f);
/* The ui's ReplayRequest (UI_TO_COORD replay). */
void coord_replay_on_ui(struct ipc_chan *ch, struct ipc_frame *f);
void coord_replay_free(struct coord *co);

#endif
