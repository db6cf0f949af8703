/* Runs in a worker: the DNS hook points (dns_int.h).  dns_request may
 * answer a query itself (flow.request:answer / :fail) or kill it;
 * dns_response may rewrite the answer the upstream (or the resolver) gave.
 * The wire bytes of a hook's answer are built and checked by daemon/script/
 * (script_dns_wire) and copied here; the scripts are untrusted. */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "worker/dns_int.h"
#include "worker/hooks.h"

struct dns_hook {
	enum script_event ev;
	unsigned changed;
	uint8_t *answer; /* malloc'd copy of the hooks' answer */
	size_t len;
};

static void dns_hook_run(Snare__Flow *f, void *arg)
{
	struct dns_hook *h = arg;
	struct script_flow sf;

	script_flow_init(&sf, f);
	script_set_call(&hooks.scripts, h->ev, &sf);
	h->changed = sf.changed;
	if ((sf.changed & SCRIPT_CH_DNS_RESPONSE) && f->dns_response && f->dns_response->has_raw &&
	    f->dns_response->raw.len > 0) {
		h->len = f->dns_response->raw.len;
		h->answer = xmalloc(h->len);
		memcpy(h->answer, f->dns_response->raw.data, h->len);
	}
	script_flow_release(&sf);
}

bool hooks_dns_request(struct dns_query *q)
{
	struct dns_hook h = {.ev = SCRIPT_EV_DNS_REQUEST};

	if (!q->parsed || !script_set_wants(&hooks.scripts, SCRIPT_EV_DNS_REQUEST))
		return false;
	dns_flow_with(q, NULL, 0, NULL, dns_hook_run, &h);
	if (h.changed & SCRIPT_CH_KILL) {
		log_debug("DNS: query killed by a script");
		dns_flow_send(q, NULL, 0, "killed by a script");
		dns_query_free(q);
	} else if (h.answer) {
		dns_reply(q, h.answer, h.len, NULL);
		dns_query_free(q);
	}
	free(h.answer);
	return (h.changed & SCRIPT_CH_KILL) || h.answer;
}

void hooks_dns_response(struct dns_query *q, const uint8_t **resp, size_t *len, uint8_t **keep)
{
	struct dns_hook h = {.ev = SCRIPT_EV_DNS_RESPONSE};

	*keep = NULL;
	if (!q->parsed || *resp == NULL ||
	    !script_set_wants(&hooks.scripts, SCRIPT_EV_DNS_RESPONSE))
		return;
	dns_flow_with(q, *resp, *len, NULL, dns_hook_run, &h);
	if (h.answer) {
		*resp = h.answer;
		*len = h.len;
		*keep = h.answer;
	}
}

void hooks_dns_error(struct dns_query *q, const char *error)
{
	struct dns_hook h = {.ev = SCRIPT_EV_DNS_ERROR};

	if (!script_set_wants(&hooks.scripts, SCRIPT_EV_DNS_ERROR))
		return;
	dns_flow_with(q, NULL, 0, error, dns_hook_run, &h);
	free(h.answer); /* an answer set here is not sent: the query failed */
}
