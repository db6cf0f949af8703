/* Internal interface of the worker's DNS files (dns_mode.c, dns_forward.c,
 * dns_flow.c).  Runs in a worker; every message is untrusted. */
#ifndef SNARE_WORKER_DNS_INT_H
#define SNARE_WORKER_DNS_INT_H

#include "dns/dns.h"
#include "flow.pb-c.h"
#include "worker/conn.h"
#include "worker/worker_ctx.h"

#define DNS_TTL 60
#define DNS_FORWARD_TIMEOUT_MS 5000
#define DNS_MAX_INFLIGHT 4096

/* One query from a client, answered locally or forwarded. */
struct dns_query {
	struct dns_query *prev, *next;
	unsigned mode_index;
	bool tcp;
	struct worker_listener *l; /* UDP: the socket to answer from */
	struct conn *conn;	   /* TCP: the client connection, NULL once closed */
	union sockaddr_any peer, local;
	uint8_t *raw; /* the query as received (owned) */
	size_t rawlen;
	struct dns_msg msg; /* parsed from raw */
	bool parsed;
	double ts;
	struct resolve_req *rq;
	/* forwarding */
	int fd;
	struct loop_io io;
	struct loop_timer timer;
	union sockaddr_any upstream;
	struct buf in, out; /* TCP framing towards the upstream */
	/* packet modes: the query came through the network stack */
	struct ns_stack *ns;
	bool local_resolve; /* WireGuard's 10.0.0.53: answered like the dns mode */
	struct sockaddr_storage ns_src, ns_dst;
	char flow_id[37]; /* the same at every hook and in the record; "" until used */
};

/* dns_mode.c */
/* Records the flow and sends resp to the client; over UDP a reply larger
 * than the client takes is cut first (dns_fit_udp), and the flow shows what
 * was sent. */
void dns_reply(struct dns_query *q, const uint8_t *resp, size_t len, const char *error);
void dns_query_free(struct dns_query *q);
/* dns_forward.c: sends q->raw to q->upstream over q->tcp's transport. */
int dns_forward(struct dns_query *q);
void dns_forward_stop(struct dns_query *q);
int dns_upstream_for(unsigned mode_index, union sockaddr_any *out);
/* dns_flow.c */
void dns_flow_send(struct dns_query *q, const uint8_t *resp, size_t len, const char *error);
/* The same flow handed to fn (built whether or not flows are wanted); it
 * lives until fn returns. */
void dns_flow_with(struct dns_query *q, const uint8_t *resp, size_t len, const char *error,
		   void (*fn)(Snare__Flow *f, void *arg), void *arg);
/* hooks_dns.c: dns_error (the query failed with error), dns_request (true: a hook answered or
 * killed the query, which is freed) and dns_response (*resp, *len replaced by the hooks' answer,
 * owned by *keep until the caller frees it). */
bool hooks_dns_request(struct dns_query *q);
void hooks_dns_response(struct dns_query *q, const uint8_t **resp, size_t *len, uint8_t **keep);
void hooks_dns_error(struct dns_query *q, const char *error);

#endif
