/* The HTTP/1.1 framing facing a client (h1_server.c): http_framing.h's ops
 * for HF_SERVER.  Requests arrive one at a time on a kept-alive connection
 * (a pipelined request waits in the caller's buffer until the stream before
 * it closed: feed again when bytes are left), responses are submitted.
 * Runs in a worker. */
#ifndef SNARE_WORKER_H1_SERVER_H
#define SNARE_WORKER_H1_SERVER_H

#include "worker/http_framing.h"

extern const struct http_framing_ops h1s_framing_ops;

/* The scheme the requests in origin-form get ("http", "https"): the
 * connection's, which the framing cannot see.  NULL (the default) leaves
 * it to the engine.  `scheme` must outlive the framing. */
void h1s_set_scheme(struct http_framing *f, const char *scheme);
/* The client closed its side: a request cut short is reset (HF_E_CANCEL);
 * a whole request is still answered, then the side is done. */
void h1s_eof(struct http_framing *f);

#endif
