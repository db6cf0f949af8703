/* Runs in the worker: mitmproxy's event names, and a list of scripts that
 * each see an event in the order they were loaded (mitmproxy's order). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "script/script_int.h"

static const char *const script_event_names[SCRIPT_EV_COUNT] = {
    [SCRIPT_EV_LOAD] = "load",
    [SCRIPT_EV_CONFIGURE] = "configure",
    [SCRIPT_EV_RUNNING] = "running",
    [SCRIPT_EV_DONE] = "done",
    [SCRIPT_EV_REQUESTHEADERS] = "requestheaders",
    [SCRIPT_EV_REQUEST] = "request",
    [SCRIPT_EV_RESPONSEHEADERS] = "responseheaders",
    [SCRIPT_EV_RESPONSE] = "response",
    [SCRIPT_EV_ERROR] = "error",
    [SCRIPT_EV_WEBSOCKET_START] = "websocket_start",
    [SCRIPT_EV_WEBSOCKET_MESSAGE] = "websocket_message",
    [SCRIPT_EV_WEBSOCKET_END] = "websocket_end",
    [SCRIPT_EV_TCP_START] = "tcp_start",
    [SCRIPT_EV_TCP_MESSAGE] = "tcp_message",
    [SCRIPT_EV_TCP_END] = "tcp_end",
    [SCRIPT_EV_TCP_ERROR] = "tcp_error",
    [SCRIPT_EV_UDP_START] = "udp_start",
    [SCRIPT_EV_UDP_MESSAGE] = "udp_message",
    [SCRIPT_EV_UDP_END] = "udp_end",
    [SCRIPT_EV_UDP_ERROR] = "udp_error",
    [SCRIPT_EV_DNS_REQUEST] = "dns_request",
    [SCRIPT_EV_DNS_RESPONSE] = "dns_response",
    [SCRIPT_EV_DNS_ERROR] = "dns_error",
    [SCRIPT_EV_TLS_CLIENTHELLO] = "tls_clienthello",
};

const char *script_event_name(enum script_event ev)
{
	return (unsigned)ev < SCRIPT_EV_COUNT ? script_event_names[ev] : "?";
}

int script_event_from_name(const char *name)
{
	for (int i = 0; i < SCRIPT_EV_COUNT; i++)
		if (strcmp(script_event_names[i], name) == 0)
			return i;
	return -1;
}

void script_set_add(struct script_set *set, struct script *s)
{
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = s;
}

void script_set_free(struct script_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		script_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

bool script_set_wants(const struct script_set *set, enum script_event ev)
{
	for (size_t i = 0; i < set->n; i++)
		if (script_wants(set->v[i], ev))
			return true;
	return false;
}

size_t script_set_call(struct script_set *set, enum script_event ev, struct script_flow *sf)
{
	size_t failed = 0;

	for (size_t i = 0; i < set->n; i++)
		if (script_call(set->v[i], ev, sf) < 0)
			failed++;
	return failed;
}
