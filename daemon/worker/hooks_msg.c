/* Runs in a worker: the hooks of the relay (relay.c): tcp_message for each
 * piece of raw TCP data as it is read, which a script may change or drop;
 * tcp_start, tcp_end, tcp_error, websocket_start and websocket_end; and the
 * HTTP error hook (flows.c).  The flow handed to the script holds the connections and the
 * current message only (earlier messages are history, see
 * snare-scripting(7)).  The bytes and the scripts are untrusted. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/unconst.h"
#include "core/util.h"
#include "worker/conn.h"
#include "worker/flows.h"
#include "worker/hooks.h"

unsigned hooks_event_run(Snare__Flow *f, enum script_event ev)
{
	struct script_flow sf;
	unsigned ch;

	script_flow_init(&sf, f);
	script_set_call(&hooks.scripts, ev, &sf);
	ch = sf.changed;
	script_flow_release(&sf);
	return ch;
}

unsigned hooks_message_run(Snare__Flow *f, enum script_event ev, bool from_client, const uint8_t *d,
			   size_t n, Snare__Message__Kind kind, uint8_t **out, size_t *outlen)
{
	Snare__Message m = SNARE__MESSAGE__INIT, *mp = &m;
	struct script_flow sf;
	unsigned ch;

	*out = NULL;
	m.has_from_client = m.has_content = m.has_timestamp = m.has_kind = 1;
	m.from_client = from_client;
	m.content.data = unconst(d);
	m.content.len = n;
	m.timestamp = clock_wall();
	m.kind = kind;
	f->messages = &mp;
	f->n_messages = 1;
	script_flow_init(&sf, f);
	script_set_call(&hooks.scripts, ev, &sf);
	ch = sf.changed;
	if ((ch & SCRIPT_CH_MESSAGE) && !(ch & (SCRIPT_CH_DROP | SCRIPT_CH_KILL)) &&
	    f->n_messages > 0) {
		const Snare__Message *o = f->messages[f->n_messages - 1];

		*outlen = o->content.len;
		*out = xmalloc(*outlen ? *outlen : 1);
		memcpy(*out, o->content.data, *outlen);
	}
	script_flow_release(&sf);
	f->messages = NULL;
	f->n_messages = 0;
	return ch;
}

enum hooks_msg hooks_tcp_message(struct conn *c, bool from_client, const uint8_t **p, size_t *n,
				 size_t room, uint8_t **keep)
{
	Snare__Flow *f;
	uint8_t *out;
	size_t len = 0;
	unsigned ch;

	*keep = NULL;
	if (!script_set_wants(&hooks.scripts, SCRIPT_EV_TCP_MESSAGE))
		return HOOKS_MSG_FORWARD;
	f = flow_conn_view(c, SNARE__FLOW__TYPE__TCP);
	ch = hooks_message_run(f, SCRIPT_EV_TCP_MESSAGE, from_client, *p, *n,
			       SNARE__MESSAGE__KIND__RAW, &out, &len);
	flow_view_free(f);
	if (ch & SCRIPT_CH_KILL) {
		conn_client_log(c, LOG_LVL_INFO, "flow killed by a hook");
		return HOOKS_MSG_KILL;
	}
	if (ch & SCRIPT_CH_DROP)
		return HOOKS_MSG_DROP;
	if (out && len > room) {
		conn_client_log(c, LOG_LVL_WARN,
				"tcp_message: a changed message larger than %zu bytes is sent "
				"unchanged",
				room);
		free(out);
	} else if (out) {
		*keep = out;
		*p = out;
		*n = len;
	}
	return HOOKS_MSG_FORWARD;
}

bool hooks_flow_event(struct conn *c, enum script_event ev, bool websocket, const char *error)
{
	Snare__Flow *f;
	unsigned ch;

	if (!script_set_wants(&hooks.scripts, ev))
		return false;
	f = websocket ? flow_http_view(c) : flow_conn_view(c, SNARE__FLOW__TYPE__TCP);
	f->has_websocket = f->websocket = websocket;
	f->error = unconst(error);
	ch = hooks_event_run(f, ev);
	flow_view_free(f);
	if (ch & SCRIPT_CH_KILL)
		conn_client_log(c, LOG_LVL_INFO, "flow killed by a hook");
	return ch & SCRIPT_CH_KILL;
}

void hooks_http_error(struct conn *c, const char *error)
{
	Snare__Flow *f;

	if (!hooks.active || !script_set_wants(&hooks.scripts, SCRIPT_EV_ERROR) ||
	    c->http->req.raw == NULL)
		return;
	f = flow_http_view(c);
	f->error = unconst(error);
	(void)hooks_event_run(f, SCRIPT_EV_ERROR);
	flow_view_free(f);
}
