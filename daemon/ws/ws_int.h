/* Runs in the worker. Internal to the ws module: frame header bits and the header reader that
 * parser.c drives. Trusts nothing in the bytes. */
#ifndef SNARE_WS_INT_H
#define SNARE_WS_INT_H

#include "ws/ws.h"

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa
#define WS_OP_CONTROL 0x8 /* bit set in every control opcode */

/* Collects header bytes from p; *used says how many it took. 1 when a whole header was read and
 * decoded into w (opcode, fin, mask, frame_len; frame_pos reset), 0 when p ran out first,
 * -EPROTO when the header breaks the protocol. */
int ws_header_feed(struct ws_parser *w, const uint8_t *p, size_t n, size_t *used);

#endif
