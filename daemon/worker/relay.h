/* The relay layer (relay.c, layer_relay): raw TCP, pass-through and WebSocket after a 101,
 * recorded as a flow unless passing through.  Runs in a worker. */
#ifndef SNARE_WORKER_RELAY_H
#define SNARE_WORKER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.pb-c.h"

struct conn;
/* The layer starts (layer_relay): connects first when the server is not
 * connected yet (lazy), then CS_RELAY; `record`: as a TCP or WebSocket flow. */
void relay_start(struct conn *c, bool record);
/* Sends the collected TCP or WebSocket flow with `error` (NULL: none). */
void relay_flow_finish(struct conn *c, const char *error);
/* Appends one message to f's messages (at most RELAY_MSGS_MAX, RELAY_KEEP_MAX bytes in all,
 * counted in *flow_bytes; nothing unless flows are wanted); relay_msgs_free frees them. Shared
 * with WebSocket over HTTP/2 (h2_ws.c). */
void relay_msg_add(Snare__Flow *f, size_t *flow_bytes, bool from_client, const uint8_t *d, size_t n,
		   Snare__Message__Kind kind, bool truncated);
void relay_msgs_free(Snare__Flow *f);

#endif
