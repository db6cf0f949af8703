/* The HTTP layer as the rest of the worker sees it (http.c and its
 * internal files, http_int.h).  Runs in a worker. */
#ifndef SNARE_WORKER_HTTP_H
#define SNARE_WORKER_HTTP_H

#include <stdbool.h>

struct conn;
void http_step(struct conn *c, bool *progress);
/* Ends the exchange in progress, recording its flow if it was not sent. */
void http_exchange_reset(struct conn *c);
/* Queues a short HTML error page and closes after it. */
void http_error(struct conn *c, int status, const char *reason, const char *msg);

#endif
