/* The relay layer (relay.c, layer_relay): raw TCP, pass-through and WebSocket after a 101,
 * recorded as a flow unless passing through.  Runs in a worker. */
#ifndef SNARE_WORKER_RELAY_H
#define SNARE_WORKER_RELAY_H

#include <stdbool.h>

struct conn;
/* The layer starts (layer_relay): connects first when the server is not
 * connected yet (lazy), then CS_RELAY; `record`: as a TCP or WebSocket flow. */
void relay_start(struct conn *c, bool record);
/* Sends the collected TCP or WebSocket flow with `error` (NULL: none). */
void relay_flow_finish(struct conn *c, const char *error);

#endif
