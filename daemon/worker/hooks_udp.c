/* Runs in a worker: the hooks of relayed UDP flows (udp_flow.c records
 * them in the transparent, packet and reverse udp modes): udp_start before
 * the first datagram, udp_message for each datagram, which a script may
 * change or drop, and udp_end or udp_error as the flow ends.  flow:kill()
 * drops the datagram and every later one of the flow.  Datagrams and
 * scripts are untrusted. */
#include <stdlib.h>

#include "core/log.h"
#include "worker/hooks.h"
#include "worker/udp.h"

#define UDP_PAYLOAD_MAX 65507 /* the most one IPv4 datagram carries */

struct udp_hook {
	enum script_event ev;
	bool from_client;
	const uint8_t *d;
	size_t n;
	unsigned ch;
	uint8_t *out;
	size_t len;
};

static void run_event(Snare__Flow *f, void *arg)
{
	struct udp_hook *h = arg;

	h->ch = hooks_event_run(f, h->ev);
}

static void run_message(Snare__Flow *f, void *arg)
{
	struct udp_hook *h = arg;

	h->ch = hooks_message_run(f, SCRIPT_EV_UDP_MESSAGE, h->from_client, h->d, h->n,
				  SNARE__MESSAGE__KIND__RAW, &h->out, &h->len);
}

bool hooks_udp_message(struct udp_rec *r, bool from_client, const uint8_t **d, size_t *n,
		       uint8_t **keep)
{
	struct udp_hook h = {.ev = SCRIPT_EV_UDP_START, .from_client = from_client};

	if (udp_record_start_hook(r) && script_set_wants(&hooks.scripts, SCRIPT_EV_UDP_START)) {
		udp_record_with(r, NULL, run_event, &h);
		if (h.ch & SCRIPT_CH_KILL) {
			udp_record_kill(r);
			return false;
		}
	}
	if (!script_set_wants(&hooks.scripts, SCRIPT_EV_UDP_MESSAGE))
		return true;
	h.d = *d;
	h.n = *n;
	udp_record_with(r, NULL, run_message, &h);
	if (h.ch & SCRIPT_CH_KILL)
		udp_record_kill(r);
	if (h.ch & (SCRIPT_CH_KILL | SCRIPT_CH_DROP)) {
		free(h.out);
		return false;
	}
	if (h.out && h.len > UDP_PAYLOAD_MAX) {
		log_warn("udp_message: a changed datagram of %zu bytes is sent unchanged", h.len);
		free(h.out);
	} else if (h.out) {
		*keep = h.out;
		*d = h.out;
		*n = h.len;
	}
	return true;
}

void hooks_udp_end(struct udp_rec *r, const char *error)
{
	struct udp_hook h = {.ev = error ? SCRIPT_EV_UDP_ERROR : SCRIPT_EV_UDP_END};

	if (script_set_wants(&hooks.scripts, h.ev))
		udp_record_with(r, error, run_event, &h);
}
