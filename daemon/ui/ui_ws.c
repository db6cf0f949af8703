/* Runs in the ui: the live updates of docs/web-api.md over WebSocket
 * (RFC 6455).  The handshake is answered here; the page's frames are read
 * with snare's own parser (daemon/ws/), which checks masking and framing;
 * the page sends nothing but pings and a close.  Flows are pushed in
 * batches (ui_ws_push_flow).  Pushes never wait: a page
 * whose queue passes UI_WS_QUEUE_MAX loses them, and hears how many in a
 * `dropped` message once its queue is empty again. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/ui_int.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_IN_MAX 4096 /* a page's message */

void ui_ws_upgrade(struct ui *ui, struct ui_conn *c, const struct ui_req *r)
{
	unsigned char md[SHA_DIGEST_LENGTH], acc[64];
	char src[128], head[512];
	int n;

	if (r->ws_key == NULL || r->upgrade == NULL || strcasecmp(r->upgrade, "websocket") != 0 ||
	    strlen(r->ws_key) > 64) {
		ui_respond_error(c, 400, "expected a WebSocket upgrade");
		return;
	}
	snprintf(src, sizeof(src), "%s%s", r->ws_key, WS_GUID);
	SHA1((const unsigned char *)src, strlen(src), md);
	EVP_EncodeBlock(acc, md, sizeof(md));
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n\r\n",
		     acc);
	ui_out_append(c, head, (size_t)n);
	c->ws = true;
	c->close_after = false;
	ws_parser_init(&c->wsp, true, WS_IN_MAX);
}

/* One unmasked frame of opcode op. */
static void ws_frame(struct ui_conn *c, uint8_t op, const void *p, size_t n)
{
	uint8_t h[10];
	size_t hl = 2;

	h[0] = 0x80 | op;
	if (n < 126) {
		h[1] = (uint8_t)n;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	ui_out_append(c, h, hl);
	ui_out_append(c, p, n);
}

static void on_close(void *arg, uint16_t code)
{
	struct ui_conn *c = arg;
	uint8_t b[2] = {0x03, 0xe8}; /* 1000 */

	(void)code;
	ws_frame(c, 0x8, b, sizeof(b));
	c->close_after = true;
}

void ui_ws_input(struct ui_conn *c)
{
	int rc;

	if (c->in_len == 0)
		return;
	rc = ws_parser_feed(&c->wsp, c->in, c->in_len, NULL, on_close, c);
	c->in_len = 0;
	if (rc < 0)
		ui_conn_close(c);
}

static void ws_send_dropped(struct ui_conn *c)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "{\"type\":\"dropped\",\"count\":%llu}",
			 (unsigned long long)c->ws_dropped);

	ws_frame(c, 0x1, msg, (size_t)n);
	c->ws_dropped = 0;
}

void ui_ws_drained(struct ui_conn *c)
{
	if (c->ws_dropped > 0 && !c->close_after) {
		ws_send_dropped(c);
		ui_out_kick(c);
	}
}

/* msg (taken) to every page; a page too far behind loses it, counted as
 * `views` dropped. */
static void broadcast_n(struct ui *ui, json_t *msg, uint64_t views)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	struct ui_conn *c, *next;
	size_t n;

	json_decref(msg);
	if (s == NULL)
		return;
	n = strlen(s);
	for (c = ui->conns; c; c = next) {
		next = c->next;
		if (!c->ws || c->close_after)
			continue;
		if (ui_out_pending(c) + n > UI_WS_QUEUE_MAX) {
			c->ws_dropped += views;
			continue;
		}
		ws_frame(c, 0x1, s, n);
		ui_out_kick(c);
	}
	free(s);
}

/* What waits as one "flows" message: new flows as [seq, id] (the page
 * fetches the rows it shows), changed ones as summaries. */
static void push_flush(struct ui *ui)
{
	json_t *fresh = ui->push_new, *changed = ui->push;
	size_t n;

	if (fresh == NULL && changed == NULL)
		return;
	ui->push = ui->push_new = NULL;
	loop_timer_cancel(ui->loop, &ui->push_timer);
	n = json_array_size(fresh) + json_array_size(changed);
	broadcast_n(ui,
		    json_pack("{s:s,s:o,s:o}", "type", "flows", "new", fresh ? fresh : json_array(),
			      "flows", changed ? changed : json_array()),
		    n);
}

void ui_ws_push_timer(struct loop_timer *t)
{
	push_flush(t->arg);
}

void ui_ws_push_flow(struct ui *ui, size_t i, bool is_new)
{
	json_t **a = is_new ? &ui->push_new : &ui->push;

	if (ui->conns == NULL)
		return;
	if (*a == NULL)
		*a = json_array();
	if (is_new)
		json_array_append_new(*a, json_pack("[I,s]",
						    (json_int_t)ui_store_sum(ui->store, i)->seq,
						    ui_store_str(ui->store, i, UI_S_ID, NULL)));
	else
		json_array_append_new(*a, ui_json_summary(ui->store, i));
	if (json_array_size(ui->push_new) + json_array_size(ui->push) >= UI_PUSH_MAX)
		push_flush(ui);
	else if (!loop_timer_armed(&ui->push_timer))
		loop_timer_arm(ui->loop, &ui->push_timer, UI_PUSH_MS);
}

void ui_ws_push_free(struct ui *ui)
{
	loop_timer_cancel(ui->loop, &ui->push_timer);
	json_decref(ui->push);
	json_decref(ui->push_new);
	ui->push = ui->push_new = NULL;
}

/* Other messages go after the flows already waiting (a mark must not be
 * overtaken by an older summary of the same flow). */
void ui_ws_broadcast(struct ui *ui, json_t *msg)
{
	push_flush(ui);
	broadcast_n(ui, msg, 1);
}
