/* Runs in the coordinator: the pieces of large flow bodies that workers
 * send ahead of their flow (FlowBody), held per (worker, flow id, part)
 * until that worker's FlowEvent comes.  Every piece is worker-supplied:
 * a worker can only fill its own quota and only ever gets its own pieces
 * attached to its own flows. */
#ifndef SNARE_COORDINATOR_FLOW_PARTS_H
#define SNARE_COORDINATOR_FLOW_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "flow.pb-c.h"
#include "ipc.pb-c.h"

#define PARTS_MAX_BODY (8u << 20)      /* one body (workers keep 4 MiB of one) */
#define PARTS_WORKER_BYTES (16u << 20) /* pending per worker: two whole flows */
#define PARTS_WORKER_ENTRIES 8	       /* pending bodies per worker */
#define PARTS_TOTAL_BYTES (256u << 20) /* pending in all, a memory backstop */
#define PARTS_AGE_MS 30000	       /* a body whose flow has not come is dropped */

struct coord;

/* A piece from worker w; pieces over w's quota drop the body they belong to. */
void coord_on_flow_body(struct coord *co, unsigned w, const Snare__FlowBody *fb);
/* Puts w's pending bodies for f into f (pointing at our buffers until
 * coord_parts_release). */
void coord_parts_attach(unsigned w, Snare__Flow *f);
/* Gives f its own state back and drops w's bodies for it. */
void coord_parts_release(unsigned w, Snare__Flow *f);
/* w's channel closed: everything it sent goes. */
void coord_parts_drop_worker(unsigned w);
/* Drops bodies not added to for PARTS_AGE_MS before now_ms (the timer's
 * work; tests call it with their own clock). */
void coord_parts_expire(uint64_t now_ms);
/* What w has pending: bodies, and bytes in *bytes. */
size_t coord_parts_pending(unsigned w, size_t *bytes);

#endif
