/* header_timeout and the waiting list (conn_wait.c). */
#ifndef SNARE_WORKER_CONN_WAIT_H
#define SNARE_WORKER_CONN_WAIT_H

#include "worker/conn.h"

/* At conn_start: the deadline's timer. */
void conn_wait_init(struct conn *c);
/* From conn_set_state: a wait begins, goes on or ends. */
void conn_wait_state(struct conn *c, enum conn_state from, enum conn_state to);
/* From conn_close. */
void conn_wait_close(struct conn *c);

#endif
