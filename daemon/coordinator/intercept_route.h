/* Intercept's routing in the coordinator (intercept_route.c): which worker
 * holds which flow, the held flows passed to the ui, and the ui's commands
 * (resume, edit, kill, a new filter) passed to the worker holding the flow,
 * and the answers to edits passed back.
 * Runs in the coordinator; the ui names flows only by id and never reaches
 * a worker but through this table. */
#ifndef SNARE_COORDINATOR_INTERCEPT_ROUTE_H
#define SNARE_COORDINATOR_INTERCEPT_ROUTE_H

#include "coordinator/coord.h"

/* WORKER_TO_COORD handlers (ch->arg is the worker's struct coord_child). */
void coord_hold_on_held(struct ipc_chan *ch, struct ipc_frame *f);
void coord_hold_on_released(struct ipc_chan *ch, struct ipc_frame *f);
/* A worker's answer to an edit: passed to the ui when it is the answer
 * that worker owes (an edit id sent to it and not answered yet). */
void coord_hold_on_edit_result(struct ipc_chan *ch, struct ipc_frame *f);
/* UI_TO_COORD handlers (ch->arg is the ui's struct coord_child). */
void coord_hold_on_ui_command(struct ipc_chan *ch, struct ipc_frame *f);
void coord_hold_on_ui_intercept(struct ipc_chan *ch, struct ipc_frame *f);
/* Worker `index` is gone: the edits it owed an answer are refused and the
 * flows it held released (the ui is told). */
void coord_hold_worker_gone(struct coord *co, unsigned index);
/* At start: a warning when intercept is set but nothing can resume a flow
 * (no web interface). */
void coord_hold_check_start(const struct coord *co);
/* After a reload: the ui is told the filter of the new options. */
void coord_hold_reloaded(struct coord *co);
/* How many flows are held, in all workers (tests, logs). */
size_t coord_hold_count(void);
/* Edits sent to a worker and not answered yet (tests). */
size_t coord_hold_edits_waiting(void);

#endif
