/* Runs in the worker. Trusts nothing: the bytes are one direction of a WebSocket connection that
 * the proxy forwards unchanged. An incremental RFC 6455 frame parser that only reassembles
 * messages (bounded) and close codes for the flow record. */
#ifndef SNARE_WS_H
#define SNARE_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_CONTROL_MAX 125
#define WS_CLOSE_NO_STATUS 1005

enum ws_msg_kind { WS_TEXT = 1, WS_BINARY = 2 };

enum ws_parser_state {
	WS_ST_HEADER,  /* collecting a frame header */
	WS_ST_PAYLOAD, /* inside a frame's payload */
	WS_ST_CLOSED,  /* a close frame was seen; later bytes are ignored */
	WS_ST_FAILED,  /* a protocol error was seen; every later feed fails */
};

struct ws_parser {
	/* Client frames must be masked, server frames must not. */
	bool from_client;
	/* Bytes kept per message; beyond that the message is recorded truncated. */
	size_t max_message;
	enum ws_parser_state state;

	/* The frame being read. */
	uint8_t hdr[14];
	size_t hdr_have;
	uint8_t opcode;
	bool fin;
	uint8_t mask[4];
	uint64_t frame_len;
	uint64_t frame_pos;

	/* Payload of the control frame being read. */
	uint8_t ctl[WS_CONTROL_MAX];
	size_t ctl_len;

	/* The data message being assembled (owned; at most max_message bytes). */
	bool msg_open;
	enum ws_msg_kind msg_kind;
	uint8_t *msg;
	size_t msg_len;
	size_t msg_cap;
	/* Full length so far, counting bytes not kept too; valid during on_message. */
	uint64_t msg_total;
};

/* data is valid only during the call; len <= max_message; truncated when bytes were dropped. */
typedef void (*ws_message_fn)(void *arg, enum ws_msg_kind kind, const uint8_t *data, size_t len,
			      bool truncated);
typedef void (*ws_close_fn)(void *arg, uint16_t code);

void ws_parser_init(struct ws_parser *w, bool from_client, size_t max_message);
void ws_parser_free(struct ws_parser *w);

/* Feeds bytes (any split). Complete (possibly fragmented) data messages are reported via
 * on_message after unmasking; a close frame via on_close (code 1005 when none); bytes after a
 * close frame are ignored. Ping/pong ignored. Either callback may be NULL; neither may free w.
 * Returns 0, or -EPROTO on a protocol error (reserved bits without extensions, bad opcode,
 * control frame > 125 bytes or fragmented, continuation without start, new data frame while a
 * fragmented message is open, masking rule violated, 64-bit length with the top bit set,
 * a length not in its shortest form, a 1-byte or invalid close code). After an error every
 * later call returns -EPROTO. */
int ws_parser_feed(struct ws_parser *w, const uint8_t *p, size_t n, ws_message_fn on_message,
		   ws_close_fn on_close, void *arg);

#endif
