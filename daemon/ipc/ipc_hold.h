/* Validators of the intercept messages (proto/ipc.proto: FlowHeld,
 * FlowReleased, HoldCommand, HoldEditResult, InterceptSet), one per direction where the
 * sender's duty differs: a worker names a held flow by its hold id, the ui
 * by the flow's id, the coordinator towards a worker by the hold id.  Rows
 * for them are in ipc_rules (ipc_validate.c).  Trusts only that protobuf-c
 * unpacked the frame. */
#ifndef SNARE_IPC_IPC_HOLD_H
#define SNARE_IPC_IPC_HOLD_H

#include <stdbool.h>

#include "ipc/chan.h"

#define IPC_MAX_FILTER 4096 /* an intercept filter's text */

enum ipc_hold_action {
	IPC_HOLD_RESUME = 1,
	IPC_HOLD_KILL = 2,
	IPC_HOLD_EDIT = 3,
};

/* HoldEditResult.result: what became of an edit. */
enum ipc_hold_edit_result {
	IPC_EDIT_SAVED = 1,
	IPC_EDIT_REFUSED = 2,	  /* the edit would break the message */
	IPC_EDIT_NOT_HELD = 3,	  /* the flow is no longer held */
	IPC_EDIT_TOO_LARGE = 4,	  /* beyond a buffer or the store's budget */
	IPC_EDIT_UNREACHABLE = 5, /* the coordinator cannot reach the worker */
};
#define IPC_MAX_EDIT_REASON 256 /* HoldEditResult.reason */

enum ipc_hold_how {
	IPC_HOLD_RESUMED = 1,
	IPC_HOLD_KILLED = 2,
	IPC_HOLD_TIMED_OUT = 3,
	IPC_HOLD_CLIENT_GONE = 4,
};

/* worker -> coordinator: a hold id, a phase, a flow with an id. */
bool ipc_validate_flow_held(const ProtobufCMessage *body, const struct chan_in *in);
/* coordinator -> ui: the same without a hold id. */
bool ipc_validate_flow_held_ui(const ProtobufCMessage *body, const struct chan_in *in);
/* worker -> coordinator: a hold id and the flow's id; to the ui: the id. */
bool ipc_validate_flow_released(const ProtobufCMessage *body, const struct chan_in *in);
bool ipc_validate_flow_released_ui(const ProtobufCMessage *body, const struct chan_in *in);
/* ui -> coordinator: by flow id (none: all, for resume and kill). */
bool ipc_validate_hold_command_ui(const ProtobufCMessage *body, const struct chan_in *in);
/* coordinator -> worker: by hold id (0: all, for resume and kill). */
bool ipc_validate_hold_command_worker(const ProtobufCMessage *body, const struct chan_in *in);
/* worker -> coordinator: a hold id, an edit id, a result; to the ui: no
 * hold id.  A reason of at most IPC_MAX_EDIT_REASON bytes. */
bool ipc_validate_edit_result(const ProtobufCMessage *body, const struct chan_in *in);
bool ipc_validate_edit_result_ui(const ProtobufCMessage *body, const struct chan_in *in);
bool ipc_validate_intercept_set(const ProtobufCMessage *body, const struct chan_in *in);

#endif
