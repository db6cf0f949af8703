/* Runs in the worker; trusts nothing in the bytes. Reads one WebSocket frame header (RFC 6455
 * 5.2) incrementally and checks it against the protocol and the message already open: reserved
 * bits, opcode, masking direction, control-frame limits, fragmentation order, length form. */
#include <errno.h>
#include <string.h>

#include "ws/ws_int.h"

#define WS_B0_FIN 0x80
#define WS_B0_RSV 0x70
#define WS_B0_OPCODE 0x0f
#define WS_B1_MASK 0x80
#define WS_B1_LEN 0x7f
#define WS_LEN_16 126
#define WS_LEN_64 127

/* Header bytes needed, known once the first two are in. */
static size_t header_need(const struct ws_parser *w)
{
	size_t need = 2;

	if (w->hdr_have < 2)
		return need;
	if ((w->hdr[1] & WS_B1_LEN) == WS_LEN_16)
		need += 2;
	else if ((w->hdr[1] & WS_B1_LEN) == WS_LEN_64)
		need += 8;
	if (w->hdr[1] & WS_B1_MASK)
		need += 4;
	return need;
}

static bool opcode_known(uint8_t op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* Checks the first two header bytes. */
static int header_check_start(const struct ws_parser *w)
{
	uint8_t op = w->hdr[0] & WS_B0_OPCODE;
	bool fin = (w->hdr[0] & WS_B0_FIN) != 0;
	bool masked = (w->hdr[1] & WS_B1_MASK) != 0;

	if ((w->hdr[0] & WS_B0_RSV) != 0 || !opcode_known(op) || masked != w->from_client)
		return -EPROTO;
	if (op & WS_OP_CONTROL)
		return fin && (w->hdr[1] & WS_B1_LEN) <= WS_CONTROL_MAX ? 0 : -EPROTO;
	if (op == WS_OP_CONT)
		return w->msg_open ? 0 : -EPROTO;
	return w->msg_open ? -EPROTO : 0;
}

/* Decodes a complete header; extended lengths must be in their shortest form. */
static int header_decode(struct ws_parser *w)
{
	const uint8_t *q = w->hdr + 2;
	uint64_t len = w->hdr[1] & WS_B1_LEN;

	if (len == WS_LEN_16) {
		len = (uint64_t)q[0] << 8 | q[1];
		q += 2;
		if (len < WS_LEN_16)
			return -EPROTO;
	} else if (len == WS_LEN_64) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | q[i];
		q += 8;
		if ((len >> 63) != 0 || len <= UINT16_MAX)
			return -EPROTO;
	}
	w->opcode = w->hdr[0] & WS_B0_OPCODE;
	w->fin = (w->hdr[0] & WS_B0_FIN) != 0;
	w->frame_len = len;
	w->frame_pos = 0;
	if (w->hdr[1] & WS_B1_MASK)
		memcpy(w->mask, q, sizeof(w->mask));
	else
		memset(w->mask, 0, sizeof(w->mask));
	return 0;
}

int ws_header_feed(struct ws_parser *w, const uint8_t *p, size_t n, size_t *used)
{
	size_t need;
	int r;

	*used = 0;
	while ((need = header_need(w)) > w->hdr_have) {
		size_t take = need - w->hdr_have;

		if (*used == n)
			return 0;
		if (take > n - *used)
			take = n - *used;
		memcpy(w->hdr + w->hdr_have, p + *used, take);
		w->hdr_have += take;
		*used += take;
		if (w->hdr_have == 2) {
			r = header_check_start(w);
			if (r < 0)
				return r;
		}
	}
	w->hdr_have = 0;
	r = header_decode(w);
	return r < 0 ? r : 1;
}
