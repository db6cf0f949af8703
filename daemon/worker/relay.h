/* Raw relay (relay.c): raw TCP, pass-through and WebSocket after a 101,
 * recorded as a flow unless passing through.  Runs in a worker. */
#ifndef SNARE_WORKER_RELAY_H
#define SNARE_WORKER_RELAY_H

#include <stdbool.h>

struct conn;
void relay_step(struct conn *c, bool *progress);
void relay_start(struct conn *c, bool record);
/* Sends the collected TCP or WebSocket flow with `error` (NULL: none). */
void relay_flow_finish(struct conn *c, const char *error);

#endif
