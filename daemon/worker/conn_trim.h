/* When a connection's buffers go back to the heap (conn_trim.c): after
 * every pump for a connection that is not busy, once it has been quiet for
 * CONN_TRIM_MS for one that is.  Runs in a worker. */
#ifndef SNARE_WORKER_CONN_TRIM_H
#define SNARE_WORKER_CONN_TRIM_H

#include <stdbool.h>

struct conn;

/* After a pump: trims c's streams, or arms c's timer to trim them later. */
void conn_trim_streams(struct conn *c);
/* From c's timer: true when c still holds buffers and has not been quiet
 * long enough (the timer was re-armed for that); trims them otherwise. */
bool conn_trim_due(struct conn *c);

#endif
