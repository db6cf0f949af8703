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
#include "hold/hold.h"

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

/* hold_edit.c: whether an edit from the web interface can be applied to
 * the held exchange c in this phase (the new head is built and parsed,
 * then thrown away): 0, or -EINVAL (the edit would break the message),
 * -E2BIG (it does not fit a buffer), -EPROTO (its head does not parse),
 * with one line in *why for the page. */
int hold_edit_check(struct conn *c, enum hold_phase phase, const Snare__Flow *ed, const char **why);
/* The checks of an edit's fields alone (names are tokens, no controls;
 * for an HTTP/2 stream, whose head is not HTTP/1): the same returns. */
int hold_edit_fields(const Snare__Flow *ed, enum hold_phase phase, const char **why);
/* An HTTP/2 stream's edit, against the store's copy of the held flow:
 * its fields, and a body only where the copy has one (not
 * content_streamed). */
int hold_edit_h2_check(const Snare__Flow *held, enum hold_phase phase, const Snare__Flow *ed,
		       const char **why);
/* The edited request becomes the head we send (method, path, headers; host
 * and port move the destination) and, when the body was held, its body;
 * a refusal (as hold_edit_check) leaves the held request as it was. */
int hold_request_edit(struct conn *c, const Snare__HttpRequest *rq, const char **why);
/* The edited response replaces the collected one (status, reason, headers,
 * body), or for a head held alone its head, keeping its framing. */
int hold_response_edit(struct conn *c, const Snare__HttpResponse *rs, const char **why);

#endif
