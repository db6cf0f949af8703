/* Runs in a worker: records a relayed UDP conversation (packet modes) as a
 * UDP flow, bounded in messages and bytes, sent when the flow ends. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "worker/flows.h"
#include "worker/udp.h"
#include "worker/worker_ctx.h"

struct udp_rec {
	unsigned mode_index;
	struct sockaddr_storage client, server;
	Snare__Message **msgs;
	size_t n, bytes;
	double ts;
	uint32_t pid; /* local mode: the process that sent it */
	char name[16];
};

void udp_record_set_process(struct udp_rec *r, uint32_t pid, const char *name)
{
	if (r == NULL)
		return;
	r->pid = pid;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

struct udp_rec *udp_record_start(unsigned mode_index, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *server)
{
	struct udp_rec *r = xcalloc(1, sizeof(*r));

	r->mode_index = mode_index;
	r->client = *client;
	r->server = *server;
	r->ts = clock_wall();
	return r;
}

void udp_record(struct udp_rec *r, bool from_client, const uint8_t *d, size_t n)
{
	Snare__Message *m;
	size_t keep = n;

	if (r == NULL || r->n >= RELAY_MSGS_MAX || !wk->want_flows)
		return;
	if (r->bytes + keep > RELAY_KEEP_MAX)
		keep = RELAY_KEEP_MAX - r->bytes;
	m = xmalloc(sizeof(*m));
	snare__message__init(m);
	m->has_from_client = m->has_content = m->has_timestamp = 1;
	m->from_client = from_client;
	m->content.data = xmalloc(keep ? keep : 1);
	memcpy(m->content.data, d, keep);
	m->content.len = keep;
	m->timestamp = clock_wall();
	if (keep < n)
		m->has_truncated = m->truncated = 1;
	r->bytes += keep;
	r->msgs = xrealloc(r->msgs, (r->n + 1) * sizeof(*r->msgs));
	r->msgs[r->n++] = m;
}

void udp_record_finish(struct udp_rec *r, const char *error)
{
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__Connection cc = SNARE__CONNECTION__INIT, sc = SNARE__CONNECTION__INIT;
	Snare__Address cp, sp;
	char id[37], h1[INET6_ADDRSTRLEN], h2[INET6_ADDRSTRLEN];
	size_t i;

	if (r == NULL)
		return;
	flow_init(&f, id, SNARE__FLOW__TYPE__UDP, r->ts);
	flow_addr_fill(&cp, (const struct sockaddr *)&r->client, h1);
	flow_addr_fill(&sp, (const struct sockaddr *)&r->server, h2);
	cc.peer = &cp;
	cc.proxy_mode = wk->modes[r->mode_index].full;
	if (r->pid) {
		cc.has_pid = 1;
		cc.pid = r->pid;
		cc.process_name = r->name;
	}
	sc.peer = &sp;
	sc.address = &sp;
	f.client = &cc;
	f.server = &sc;
	f.messages = r->msgs;
	f.n_messages = r->n;
	f.error = (char *)error;
	if (r->n > 0 || error)
		flow_send(&f);
	for (i = 0; i < r->n; i++) {
		free(r->msgs[i]->content.data);
		free(r->msgs[i]);
	}
	free(r->msgs);
	free(r);
}
