/* The HTTP layer as the rest of the worker sees it (http.c and its
 * internal files, http_int.h).  Runs in a worker. */
#ifndef SNARE_WORKER_HTTP_H
#define SNARE_WORKER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "http1/http1.h"

struct conn;

struct body_xfer {
	enum http1_body kind;
	uint64_t remaining;
	struct http1_chunked chunked;
	bool done;
	uint64_t total;
	struct buf keep; /* up to FLOW_BODY_KEEP bytes for the flow */
	bool streamed;	 /* more than we keep */
	bool hold;	 /* kept for a hook even when no flow is wanted (hooks_http.c) */
};

struct http_msg {
	uint8_t *raw; /* copy of the head bytes; head points into it */
	size_t raw_len;
	struct http1_head *head;
	struct body_xfer body;
	double ts_start, ts_end;
};

/* The HTTP layer's state on a connection (c->http), from its first request
 * to the close; between exchanges it holds no message. */
struct http_state {
	struct http_msg req, resp;
	bool local_response; /* answered by us (error page, mitm.it) */
	bool flow_sent;
	bool closing_after;	  /* close after the current response */
	bool on_kept_server;	  /* sent on a server connection kept from an earlier exchange */
	char scheme[8];		  /* of the current request: http or https */
	char flow_id[37];	  /* of the current exchange, "" until its first use (flows.c) */
	struct hooks_http *hooks; /* scripts and rewrites (hooks.h), NULL without */
	struct hold_http *held;	  /* intercept (hold_http.h), NULL unless matched */
	bool replay_wait;	  /* server replay waits for the request body (replay_worker.h) */
	/* http2_origin: the server's ALPN was learnt before the first request
	 * head was taken (http.c); h1_only: it chose HTTP/1.1, so a server
	 * connection made again is offered only that */
	bool alpn_done, h1_only;
};

/* The layer starts (or a new request begins on it): CS_CLIENT_HEAD. */
void http_start(struct conn *c);
/* Queues a short HTML error page and closes after it. */
void http_error(struct conn *c, int status, const char *reason, const char *msg);

#endif
