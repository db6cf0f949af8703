/* Runs in a worker: a DNS flow per query — question, answers, response code
 * and timings — built from the parsed messages and sent to the coordinator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/dns_int.h"
#include "core/unconst.h"
#include "worker/dns_mode.h"
#include "worker/flows.h"
#include "worker/worker_ctx.h"

struct dns_flow_parts {
	Snare__DnsRecord *recs;
	Snare__DnsRecord **ptrs;
	size_t n;
};

static Snare__DnsRecord **dns_records(const struct dns_rr *rr, size_t n, bool question,
				      struct dns_flow_parts *fp)
{
	size_t i, base = fp->n;

	for (i = 0; i < n; i++) {
		Snare__DnsRecord *r = &fp->recs[fp->n];

		snare__dns_record__init(r);
		r->name = unconst(rr[i].name);
		r->has_type = r->has_class_ = 1;
		r->type = rr[i].type;
		r->class_ = rr[i].class;
		if (!question) {
			r->has_ttl = r->has_data = 1;
			r->ttl = rr[i].ttl;
			r->data.data = unconst(rr[i].rdata);
			r->data.len = rr[i].rdlen;
			r->display = unconst(rr[i].display);
		}
		fp->ptrs[fp->n++] = r;
	}
	return fp->ptrs + base;
}

static void dns_message(const struct dns_msg *m, Snare__DnsMessage *out, double ts,
			struct dns_flow_parts *fp)
{
	snare__dns_message__init(out);
	out->has_id = out->has_response = out->has_opcode = out->has_rcode = 1;
	out->has_timestamp = 1;
	out->id = m->id;
	out->response = m->qr;
	out->opcode = m->opcode;
	out->rcode = m->rcode;
	out->timestamp = ts;
	out->questions = dns_records(m->qd, m->nqd, true, fp);
	out->n_questions = m->nqd;
	out->answers = dns_records(m->an, m->nan, false, fp);
	out->n_answers = m->nan;
}

static void dns_flow_emit(Snare__Flow *f, void *arg)
{
	flow_send(f);
}

void dns_flow_send(struct dns_query *q, const uint8_t *resp, size_t len, const char *error)
{
	if (wk->want_flows)
		dns_flow_with(q, resp, len, error, dns_flow_emit, NULL);
}

void dns_flow_with(struct dns_query *q, const uint8_t *resp, size_t len, const char *error,
		   void (*fn)(Snare__Flow *f, void *arg), void *arg)
{
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__Connection cc = SNARE__CONNECTION__INIT, sc = SNARE__CONNECTION__INIT;
	Snare__Address peer, sock, up;
	Snare__DnsMessage rq, rs;
	struct dns_msg resp_msg;
	struct dns_flow_parts fp = {0};
	char h1[INET6_ADDRSTRLEN], h2[INET6_ADDRSTRLEN], h3[INET6_ADDRSTRLEN];
	bool have_resp;
	size_t total;

	have_resp = resp && dns_parse(resp, len, &resp_msg) == 0;
	total = (q->parsed ? q->msg.nqd + q->msg.nan : 0) +
		(have_resp ? resp_msg.nqd + resp_msg.nan : 0);

	fp.recs = xcalloc(total ? total : 1, sizeof(*fp.recs));
	fp.ptrs = xcalloc(total ? total : 1, sizeof(*fp.ptrs));
	if (!q->flow_id[0])
		flow_new_id(q->flow_id);
	flow_init_with_id(&f, q->flow_id, SNARE__FLOW__TYPE__DNS, q->ts);
	flow_addr_fill(&peer, &q->peer.sa, h1);
	flow_addr_fill(&sock, &q->local.sa, h2);
	cc.peer = &peer;
	cc.sock = &sock;
	cc.proxy_mode = wk->modes[q->mode_index].full;
	f.client = &cc;
	if (q->upstream.sa.sa_family) {
		flow_addr_fill(&up, &q->upstream.sa, h3);
		sc.peer = &up;
		f.server = &sc;
	}
	if (q->parsed) {
		dns_message(&q->msg, &rq, q->ts, &fp);
		f.dns_request = &rq;
	}
	if (have_resp) {
		dns_message(&resp_msg, &rs, clock_wall(), &fp);
		f.dns_response = &rs;
	}
	f.error = unconst(error);
	fn(&f, arg);
	if (have_resp)
		dns_msg_free(&resp_msg);
	free(fp.recs);
	free(fp.ptrs);
}

/* A DNS exchange seen by another layer (SOCKS5 UDP): request and response
 * bytes, recorded as one DNS flow. */
void dns_flow_pair(unsigned mode_index, const union sockaddr_any *client,
		   const union sockaddr_any *server, const uint8_t *req, size_t reqlen,
		   const uint8_t *resp, size_t resplen)
{
	struct dns_query q;

	memset(&q, 0, sizeof(q));
	q.mode_index = mode_index;
	q.peer = *client;
	q.local = *client;
	q.upstream = *server;
	q.ts = clock_wall();
	q.raw = unconst(req);
	q.rawlen = reqlen;
	q.parsed = dns_parse(req, reqlen, &q.msg) == 0;
	dns_flow_send(&q, resp, resplen, NULL);
	if (q.parsed)
		dns_msg_free(&q.msg);
}
