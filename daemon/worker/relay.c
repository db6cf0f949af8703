/* Runs in a worker: relays raw bytes both ways (raw TCP, ignored hosts,
 * WebSocket after the 101) with back-pressure, propagates half-closes and,
 * unless passing through, records the messages in a flow (WebSocket frames
 * are parsed only to record messages; the bytes are forwarded unchanged). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "ws/ws.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/layer.h"
#include "worker/relay.h"
#include "worker/stream.h"
#include "worker/worker_ctx.h"

/* The relay layer's state (c->relay), from relay_start to the close. */
struct relay_state {
	bool record;	    /* collect the messages as a flow */
	bool websocket;	    /* after a 101: frames parsed to record messages */
	bool ws_dir_client; /* the direction being parsed */
	struct ws_parser c2s, s2c;
	struct hooks_ws *hws; /* websocket_message hooks (hooks_ws.c) */
	Snare__Flow *flow;    /* TCP/WebSocket flow being collected */
	size_t flow_bytes;
};

void relay_msg_add(Snare__Flow *f, size_t *flow_bytes, bool from_client, const uint8_t *d, size_t n,
		   Snare__Message__Kind kind, bool truncated)
{
	Snare__Message *m;
	size_t keep = n;

	if (f == NULL || f->n_messages >= RELAY_MSGS_MAX || !wk->want_flows)
		return;
	if (*flow_bytes + keep > RELAY_KEEP_MAX) {
		keep = RELAY_KEEP_MAX - *flow_bytes;
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
	*flow_bytes += keep;
	f->messages = xrealloc(f->messages, (f->n_messages + 1) * sizeof(*f->messages));
	f->messages[f->n_messages++] = m;
}

void relay_msgs_free(Snare__Flow *f)
{
	for (size_t i = 0; i < f->n_messages; i++) {
		free(f->messages[i]->content.data);
		free(f->messages[i]);
	}
	free(f->messages);
	f->messages = NULL;
	f->n_messages = 0;
}

static void relay_add_msg(struct conn *c, bool from_client, const uint8_t *d, size_t n,
			  Snare__Message__Kind kind, bool truncated)
{
	relay_msg_add(c->relay->flow, &c->relay->flow_bytes, from_client, d, n, kind, truncated);
}

static void ws_on_message(void *arg, enum ws_msg_kind kind, const uint8_t *d, size_t n,
			  bool truncated)
{
	struct conn *c = arg;

	relay_add_msg(c, c->relay->ws_dir_client, d, n,
		      kind == WS_TEXT ? SNARE__MESSAGE__KIND__TEXT : SNARE__MESSAGE__KIND__BINARY,
		      truncated);
}

static void ws_on_close(void *arg, uint16_t code)
{
	struct conn *c = arg;

	if (c->relay->flow) {
		c->relay->flow->has_websocket_close_code = 1;
		c->relay->flow->websocket_close_code = code;
	}
}

static void relay_begin(struct conn *c);

static void relay_connected(struct conn *c, int err)
{
	if (conn_connect_failed(c, err)) {
		conn_close(c);
		return;
	}
	if (c->server_tls && c->server.ssl == NULL && conn_server_tls_begin(c) < 0) {
		conn_close(c);
		return;
	}
	relay_begin(c);
}

/* The server is connected: the flow and, after a 101, the WebSocket
 * parsers start. */
static void relay_begin(struct conn *c)
{
	struct relay_state *r = c->relay;

	if (r->record) {
		r->flow = xmalloc(sizeof(*r->flow));
		snare__flow__init(r->flow);
		r->flow_bytes = 0;
	}
	r->websocket = c->http && c->http->resp.raw && c->http->resp.head->status == 101;
	if (r->websocket) {
		ws_parser_init(&r->c2s, true, RELAY_KEEP_MAX);
		ws_parser_init(&r->s2c, false, RELAY_KEEP_MAX);
	}
	if (hooks.active && r->record &&
	    hooks_flow_event(c, r->websocket ? SCRIPT_EV_WEBSOCKET_START : SCRIPT_EV_TCP_START,
			     r->websocket, NULL)) {
		conn_close(c);
		return;
	}
	conn_set_state(c, CS_RELAY);
	conn_pump_later(c);
}

void relay_start(struct conn *c, bool record)
{
	c->relay->record = record;
	if (c->server.fd < 0) { /* lazy: connect now */
		conn_connect(c, c->host, c->port, relay_connected);
		return;
	}
	relay_begin(c);
}

/* Records WebSocket bytes the hooks sent on (hooks_ws.c). */
static void relay_ws_sent(struct conn *c, bool from_client, const uint8_t *p, size_t n)
{
	c->relay->ws_dir_client = from_client;
	if (c->relay->flow && ws_parser_feed(from_client ? &c->relay->c2s : &c->relay->s2c, p, n,
					     ws_on_message, ws_on_close, c) < 0)
		relay_flow_finish(c, "WebSocket protocol error");
}

/* Moves one direction; records what moved. */
static void relay_dir(struct conn *c, struct stream *from, struct stream *to, bool from_client,
		      bool *progress)
{
	size_t n = buf_len(&from->in);

	if ((c->relay->hws || (c->relay->websocket && c->relay->flow && hooks_ws_wanted())) &&
	    hooks_ws_relay(c, &c->relay->hws, from, to, from_client, relay_ws_sent, progress))
		n = 0; /* the hooks moved what they could */

	if (n > buf_room(&to->out))
		n = buf_room(&to->out);
	if (n > 0) {
		const uint8_t *p = buf_ptr(&from->in);
		size_t len = n;
		uint8_t *keep = NULL;
		enum hooks_msg h = HOOKS_MSG_FORWARD;

		if (hooks.active && c->relay->record && !c->relay->websocket &&
		    (h = hooks_tcp_message(c, from_client, &p, &n, buf_room(&to->out), &keep)) ==
			HOOKS_MSG_KILL) {
			conn_close(c);
			return;
		}
		if (c->relay->websocket && c->relay->flow) {
			c->relay->ws_dir_client = from_client;
			if (ws_parser_feed(from_client ? &c->relay->c2s : &c->relay->s2c, p, n,
					   ws_on_message, ws_on_close, c) < 0) {
				conn_client_log(c, LOG_LVL_INFO,
						"WebSocket protocol error; "
						"no longer recording messages");
				relay_flow_finish(c, "WebSocket protocol error");
			}
		} else if (c->relay->flow && h == HOOKS_MSG_FORWARD) {
			relay_add_msg(c, from_client, p, n, SNARE__MESSAGE__KIND__RAW, false);
		}
		if (h == HOOKS_MSG_DROP || buf_append(&to->out, p, n) == 0) {
			buf_consume(&from->in, len);
			*progress = true;
		}
		free(keep);
	}
	if (from->rd_eof && buf_len(&from->in) == 0 && !to->shut_req) {
		to->shut_req = true;
		*progress = true;
	}
}

static void relay_step(struct conn *c, bool *progress)
{
	if (c->server.failed || c->client.failed) {
		if (c->server.failed && c->relay->flow)
			relay_flow_finish(c, c->server.err);
		conn_close(c);
		return;
	}
	relay_dir(c, &c->client, &c->server, true, progress);
	relay_dir(c, &c->server, &c->client, false, progress);
	if (c->client.shut_done && c->server.shut_done)
		conn_close(c);
}

static void relay_ws_free(struct relay_state *r)
{
	if (!r->websocket)
		return;
	ws_parser_free(&r->c2s);
	ws_parser_free(&r->s2c);
	r->websocket = false;
}

void relay_flow_finish(struct conn *c, const char *error)
{
	Snare__Flow *f = c->relay ? c->relay->flow : NULL;

	if (f == NULL)
		return;
	c->relay->flow = NULL;
	if (hooks.active)
		(void)hooks_flow_event(c,
				       c->relay->websocket ? SCRIPT_EV_WEBSOCKET_END
				       : error		   ? SCRIPT_EV_TCP_ERROR
							   : SCRIPT_EV_TCP_END,
				       c->relay->websocket, error);
	if (c->relay->websocket) {
		flow_send_ws(c, f, error);
	} else {
		flow_send_tcp(c, f, error);
	}
	relay_msgs_free(f);
	free(f);
	relay_ws_free(c->relay);
}

/* Sends what was collected. */
static void relay_close(struct conn *c)
{
	relay_flow_finish(c, NULL);
	relay_ws_free(c->relay);
	hooks_ws_free(c->relay->hws);
	c->relay->hws = NULL;
}

const struct layer_ops layer_relay = {
    .name = "relay",
    .step = relay_step,
    .close = relay_close,
    LAYER_STATE(relay),
};
