/* Flows sent to the coordinator (flows.c): HTTP exchanges, raw TCP and
 * WebSocket messages.  Runs in a worker. */
#ifndef SNARE_WORKER_FLOWS_H
#define SNARE_WORKER_FLOWS_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "flow.pb-c.h"
#include "worker/http_framing.h"

struct conn;
struct body_xfer;
void flow_send(Snare__Flow *f);
void flow_new_id(char out[37]);
/* f = an empty flow of `type` created at ts, with a new id written to `id`. */
void flow_init(Snare__Flow *f, char id[37], Snare__Flow__Type type, double ts);
/* The same with an id the caller made (flow_new_id) and keeps. */
void flow_init_with_id(Snare__Flow *f, char *id, Snare__Flow__Type type, double ts);
/* a = sa's host and port (host written to `host`); left empty unless sa is
 * AF_INET or AF_INET6. */
void flow_addr_fill(Snare__Address *a, const struct sockaddr *sa, char host[INET6_ADDRSTRLEN]);
void flow_send_http(struct conn *c, const char *error);
/* The exchange in progress as a flow for the hooks, built whether or not
 * flows are wanted; its strings point into c's messages.  Free with
 * flow_view_free before c's messages change. */
Snare__Flow *flow_http_view(struct conn *c);
/* The same without the connections (flow->client and ->server NULL), which
 * flow_view_conns adds when a hook first asks for them. */
Snare__Flow *flow_http_view_bare(struct conn *c);
void flow_view_conns(Snare__Flow *f, struct conn *c);
/* c's connections alone as a flow of `type` (TCP hooks); flow_view_free. */
Snare__Flow *flow_conn_view(struct conn *c, Snare__Flow__Type type);
/* The same with the flow id in `id_slot` (made on first use). */
Snare__Flow *flow_conn_view_id(struct conn *c, Snare__Flow__Type type, char *id_slot);
void flow_view_free(Snare__Flow *f);
/* The exchange as it stands, with `error` set; a body that did not complete
 * is recorded as missing, an error page of ours is left out. */
void flow_send_http_error(struct conn *c, const char *error);
/* Raw TCP and WebSocket flows: f holds the collected messages (not freed). */
void flow_send_tcp(struct conn *c, Snare__Flow *f, const char *error);
void flow_send_ws(struct conn *c, Snare__Flow *f, const char *error);

/* One message of an exchange, framing-neutral (an HTTP/2 stream's): the
 * request's method, scheme and path or the response's status, the version
 * ("HTTP/2.0"), fields and trailers in wire order, the body as the engine
 * kept it (`complete` false: recorded as missing). */
struct flow_msg {
	const char *method, *scheme, *path, *version;
	int status;
	const struct hf_field *fields, *trailers;
	size_t nfields, ntrailers;
	const struct body_xfer *body;
	double ts_start, ts_end;
	bool complete;
	char *id_slot;	       /* request: the flow's id slot ("" until made; NULL: a new id) */
	const Snare__Flow *ws; /* request: a WebSocket's messages and close code (h2_ws.c) */
};
/* An HTTP flow with c's connections; rs NULL: no response. */
void flow_send_msgs(struct conn *c, const struct flow_msg *rq, const struct flow_msg *rs,
		    const char *error);
/* The same over the server connection srv named srv_id (a shared h2
 * connection, h2_shared.h), not c's own. */
struct stream;
void flow_send_msgs_via(struct conn *c, const struct stream *srv, char *srv_id,
			const struct flow_msg *rq, const struct flow_msg *rs, const char *error);

#endif
