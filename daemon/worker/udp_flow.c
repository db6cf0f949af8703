/* Runs in a worker: records a relayed UDP conversation (packet modes) as a
 * UDP flow, bounded in messages and bytes, sent when the flow ends. A
 * conversation that starts with a QUIC Initial is described by its hello
 * (quic_peek.c); one to an ignored host is not recorded. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "core/unconst.h"
#include "worker/flows.h"
#include "worker/hooks.h"
#include "worker/quic_peek.h"
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
	struct quic_peek *quic; /* reading a QUIC Initial, or what it said */
	enum quic_peek_state quic_state;
	Snare__Flow__Type type; /* UDP, or TCP for a QUIC stream */
	char quic_version[8];	/* "" unless QUIC */
	char quic_sni[256], quic_alpn[256];
	char id[37];	    /* the flow's, the same at every hook and in the record */
	bool started, dead; /* udp_start ran; a hook killed the flow */
};

static void messages_free(struct udp_rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->msgs[i]->content.data);
		free(r->msgs[i]);
	}
	free(r->msgs);
	r->msgs = NULL;
	r->n = r->bytes = 0;
}

void udp_record_peek_quic(struct udp_rec *r)
{
	if (r == NULL || r->quic)
		return;
	r->quic = quic_peek_new(addr_port((const struct sockaddr *)&r->server));
	r->quic_state = QUIC_PEEK_PENDING;
}

/* A client datagram while the Initial is being read; an ignored host drops
 * what was kept so far. */
static void peek_quic(struct udp_rec *r, const uint8_t *d, size_t n)
{
	char client[ADDR_STRLEN];

	addr_format((const struct sockaddr *)&r->client, client, sizeof(client));
	r->quic_state = quic_peek_feed(r->quic, client, d, n);
	if (r->quic_state == QUIC_PEEK_IGNORED)
		messages_free(r);
	if (r->quic_state == QUIC_PEEK_QUIC) {
		const char *version, *sni, *alpn;

		quic_peek_hello(r->quic, &version, &sni, &alpn);
		udp_record_set_quic(r, version, sni, alpn);
	}
}

void udp_record_set_quic(struct udp_rec *r, const char *version, const char *sni, const char *alpn)
{
	if (r == NULL)
		return;
	snprintf(r->quic_version, sizeof(r->quic_version), "%s", version);
	snprintf(r->quic_sni, sizeof(r->quic_sni), "%s", sni ? sni : "");
	snprintf(r->quic_alpn, sizeof(r->quic_alpn), "%s", alpn ? alpn : "");
}

void udp_record_set_stream(struct udp_rec *r)
{
	if (r)
		r->type = SNARE__FLOW__TYPE__TCP;
}

/* The client's QUIC hello as the flow's client TLS info. */
static void describe_quic(struct udp_rec *r, Snare__TlsInfo *t)
{
	snare__tls_info__init(t);
	t->version = r->quic_version;
	if (r->quic_sni[0])
		t->sni = r->quic_sni;
	if (r->quic_alpn[0])
		t->alpn = r->quic_alpn;
}

void udp_record_set_process(struct udp_rec *r, uint32_t pid, const char *name)
{
	if (r == NULL)
		return;
	r->pid = pid;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

uint32_t udp_record_process(const struct udp_rec *r, const char **name)
{
	*name = r ? r->name : "";
	return r ? r->pid : 0;
}

struct udp_rec *udp_record_start(unsigned mode_index, const struct sockaddr_storage *client,
				 const struct sockaddr_storage *server)
{
	struct udp_rec *r = xcalloc(1, sizeof(*r));

	r->mode_index = mode_index;
	r->client = *client;
	r->server = *server;
	r->ts = clock_wall();
	r->type = SNARE__FLOW__TYPE__UDP;
	flow_new_id(r->id);
	return r;
}

void udp_record(struct udp_rec *r, bool from_client, const uint8_t *d, size_t n)
{
	Snare__Message *m;
	size_t keep = n;

	if (r == NULL)
		return;
	if (from_client && r->quic_state == QUIC_PEEK_PENDING && r->quic)
		peek_quic(r, d, n);
	if (r->n >= RELAY_MSGS_MAX || !wk->want_flows || r->quic_state == QUIC_PEEK_IGNORED)
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

void udp_record_with(struct udp_rec *r, const char *error, void (*fn)(Snare__Flow *f, void *arg),
		     void *arg)
{
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__Connection cc = SNARE__CONNECTION__INIT, sc = SNARE__CONNECTION__INIT;
	Snare__Address cp, sp;
	Snare__TlsInfo quic;
	char h1[INET6_ADDRSTRLEN], h2[INET6_ADDRSTRLEN];

	flow_init_with_id(&f, r->id, r->type, r->ts);
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
	f.error = unconst(error);
	if (r->quic_version[0]) {
		describe_quic(r, &quic);
		cc.tls = &quic;
	}
	fn(&f, arg);
}

static void finish_send(Snare__Flow *f, void *arg)
{
	flow_send(f);
}

bool udp_record_hooked(struct udp_rec *r, bool from_client, const uint8_t **d, size_t *n,
		       uint8_t **keep)
{
	*keep = NULL;
	if (r == NULL)
		return true;
	if (r->dead || (hooks.active && !hooks_udp_message(r, from_client, d, n, keep)))
		return false;
	udp_record(r, from_client, *d, *n);
	return true;
}

bool udp_record_start_hook(struct udp_rec *r)
{
	bool first = !r->started;

	r->started = true;
	return first;
}

void udp_record_kill(struct udp_rec *r)
{
	r->dead = true;
}

void udp_record_finish(struct udp_rec *r, const char *error)
{
	if (r == NULL)
		return;
	if (hooks.active && r->started)
		hooks_udp_end(r, error);
	if ((r->n > 0 || error) && r->quic_state != QUIC_PEEK_IGNORED)
		udp_record_with(r, error, finish_send, NULL);
	messages_free(r);
	quic_peek_free(r->quic);
	free(r);
}
