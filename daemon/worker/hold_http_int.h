/* Internal interface of intercept in the worker (hold_http.c, hold_edit.c):
 * the per-exchange state and the edits applied on resume.  Runs in a
 * worker. */
#ifndef SNARE_WORKER_HOLD_HTTP_INT_H
#define SNARE_WORKER_HOLD_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "flow.pb-c.h"

struct conn;

struct hold_http {
	char flow_id[37]; /* kept by every flow of the exchange once held */
	uint64_t hold_id; /* in the store; 0: not */
	bool forced;	  /* a script called flow:intercept(): held as a match */
	bool req_wait;	  /* the request matched; its body is still coming */
	bool req_body;	  /* the held request has its body: client.in[0, req_len) */
	size_t req_len;
	bool resp_wait; /* the response matched; its body is collected */
	bool resp_head; /* the response is held with its head only (its body streams after) */
	bool out_on;	/* out is being written to the client */
	struct buf out;
	size_t out_off;
};

/* hold_edit.c: the edited request becomes the head we send (method, path,
 * headers; host and port move the destination) and, when the body was
 * held, its body; -EINVAL for an edit that would break the message. */
int hold_request_edit(struct conn *c, const Snare__HttpRequest *rq);
/* The edited response replaces the collected one (status, reason, headers,
 * body), or for a head held alone its head, keeping its framing. */
int hold_response_edit(struct conn *c, const Snare__HttpResponse *rs);

#endif
