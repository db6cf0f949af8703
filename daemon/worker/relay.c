/* Runs in a worker: relays raw bytes both ways (raw TCP, ignored hosts,
 * WebSocket after the 101) with back-pressure, propagates half-closes and,
 * unless passing through, records the messages in a flow (WebSocket frames
 * are parsed only to record messages; the bytes are forwarded unchanged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/relay.h"
#include "worker/stream.h"
#include "worker/tunnel.h"
#include "worker/worker_ctx.h"

static void relay_add_msg(struct conn *c, bool from_client, const uint8_t *d, size_t n,
			  Snare__Message__Kind kind, bool truncated)
{
	Snare__Flow *f = c->rflow;
	Snare__Message *m;
	size_t keep = n;

	if (f == NULL || f->n_messages >= RELAY_MSGS_MAX || !wk->want_flows)
		return;
	if (c->rflow_bytes + keep > RELAY_KEEP_MAX) {
		keep = RELAY_KEEP_MAX - c->rflow_bytes;
		truncated = true;
	}
	m = xmalloc(sizeof(*m));
	snare__message__init(m);
	m->has_from_client = m->has_content = m->has_timestamp = m->has_kind = 1;
	m->from_client = from_client;
	m->content.data = xmalloc(keep ? keep : 1);
	memcpy(m->content.data, d, keep);
	m->content.len = keep;
	m->timestamp = clock_wall();
	m->kind = kind;
	if (truncated)
		m->has_truncated = m->truncated = 1;
	c->rflow_bytes += keep;
	f->messages = xrealloc(f->messages, (f->n_messages + 1) * sizeof(*f->messages));
	f->messages[f->n_messages++] = m;
}

static void ws_on_message(void *arg, enum ws_msg_kind kind, const uint8_t *d, size_t n,
			  bool truncated)
{
	struct conn *c = arg;

	relay_add_msg(c, c->ws_dir_client, d, n,
		      kind == WS_TEXT ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY,
		      truncated);
}

static void ws_on_close(void *arg, uint16_t code)
{
	struct conn *c = arg;

	if (c->rflow) {
		c->rflow->has_websocket_close_code = 1;
		c->rflow->websocket_close_code = code;
	}
}

static void relay_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		conn_close(c);
		return;
	}
	if (c->server_tls && c->server.ssl == NULL && tunnel_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	relay_start(c, c->relay_record);
}

void relay_start(struct conn *c, bool record)
{
	if (c->server.fd < 0) { /* lazy: connect now */
		c->relay_record = record;
		conn_connect(c, c->host, c->port, relay_connected);
		return;
	}
	c->relay_record = record;
	if (record) {
		c->rflow = xmalloc(sizeof(*c->rflow));
		snare__flow__init(c->rflow);
		c->rflow_bytes = 0;
	}
	c->websocket = c->resp.raw && c->resp.head->status == 101;
	if (c->websocket) {
		conn_ws_free(c);
		c->ws = xmalloc(sizeof(*c->ws));
		ws_parser_init(&c->ws->c2s, true, RELAY_KEEP_MAX);
		ws_parser_init(&c->ws->s2c, false, RELAY_KEEP_MAX);
	}
	conn_set_state(c, CS_RELAY);
	conn_pump_later(c);
}

/* Moves one direction; records what moved. */
static void relay_dir(struct conn *c, struct stream *from, struct stream *to, bool from_client,
		      bool *progress)
{
	size_t n = buf_len(&from->in);

	if (n > buf_room(&to->out))
		n = buf_room(&to->out);
	if (n > 0) {
		const uint8_t *p = buf_ptr(&from->in);

		if (c->websocket && c->rflow) {
			c->ws_dir_client = from_client;
			if (ws_parser_feed(from_client ? &c->ws->c2s : &c->ws->s2c, p, n,
					   ws_on_message, ws_on_close, c) < 0) {
				conn_client_log(c, LOG_LVL_INFO,
						"WebSocket protocol error; "
						"no longer recording messages");
				relay_flow_finish(c, "WebSocket protocol error");
			}
		} else if (c->rflow) {
			relay_add_msg(c, from_client, p, n, SNARE__MESSAGE__KIND__RAW, false);
		}
		if (buf_append(&to->out, p, n) == 0) {
			buf_consume(&from->in, n);
			*progress = true;
		}
	}
	if (from->rd_eof && buf_len(&from->in) == 0 && !to->shut_req) {
		to->shut_req = true;
		*progress = true;
	}
}

void relay_step(struct conn *c, bool *progress)
{
	if (c->server.failed || c->client.failed) {
		if (c->server.failed && c->rflow)
			relay_flow_finish(c, c->server.err);
		conn_close(c);
		return;
	}
	relay_dir(c, &c->client, &c->server, true, progress);
	relay_dir(c, &c->server, &c->client, false, progress);
	if (c->client.shut_done && c->server.shut_done)
		conn_close(c);
}

void relay_flow_finish(struct conn *c, const char *error)
{
	Snare__Flow *f = c->rflow;
	size_t i;

	if (f == NULL)
		return;
	c->rflow = NULL;
	if (c->websocket) {
		flow_send_ws(c, f, error);
	} else {
		flow_send_tcp(c, f, error);
	}
	for (i = 0; i < f->n_messages; i++) {
		free(f->messages[i]->content.data);
		free(f->messages[i]);
	}
	free(f->messages);
	free(f);
	conn_ws_free(c);
}
