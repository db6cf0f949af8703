/* The intercept messages' validators (ipc_hold.h).  Lengths and ranges
 * only: whether a hold id or flow id is held is the receiver's business
 * (an unknown one is answered by nothing, not by ending the channel, since
 * a flow may leave the store while a command is on its way). */
#include <string.h>

#include "ipc/ipc.h"
#include "ipc/ipc_hold.h"

#define IPC_MAX_FLOW_ID 64

static bool id_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, IPC_MAX_FLOW_ID + 1);
	return n >= 1 && n <= IPC_MAX_FLOW_ID;
}

static bool held_ok(const Snare__FlowHeld *m, const struct chan_in *in)
{
	return in->nfds == 0 && m->has_phase && m->phase <= 1 && m->flow != NULL &&
	       id_ok(m->flow->id);
}

bool ipc_validate_flow_held(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowHeld *m = (const Snare__FlowHeld *)body;

	return held_ok(m, in) && m->has_hold_id && m->hold_id != 0;
}

bool ipc_validate_flow_held_ui(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowHeld *m = (const Snare__FlowHeld *)body;

	return held_ok(m, in) && !m->has_hold_id;
}

static bool released_ok(const Snare__FlowReleased *m, const struct chan_in *in)
{
	return in->nfds == 0 && id_ok(m->flow_id) && m->has_how && m->how >= IPC_HOLD_RESUMED &&
	       m->how <= IPC_HOLD_CLIENT_GONE;
}

bool ipc_validate_flow_released(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowReleased *m = (const Snare__FlowReleased *)body;

	return released_ok(m, in) && m->has_hold_id && m->hold_id != 0;
}

bool ipc_validate_flow_released_ui(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__FlowReleased *m = (const Snare__FlowReleased *)body;

	return released_ok(m, in) && !m->has_hold_id;
}

/* The action and its flow: edit needs one, kill takes none; an edit id
 * (an answer wanted) goes with an edit only. */
static bool command_ok(const Snare__HoldCommand *m, const struct chan_in *in)
{
	if (in->nfds != 0 || !m->has_action ||
	    (m->has_edit_id && (m->edit_id == 0 || m->action != IPC_HOLD_EDIT)))
		return false;
	switch (m->action) {
	case IPC_HOLD_RESUME:
		return true;
	case IPC_HOLD_KILL:
		return m->flow == NULL;
	case IPC_HOLD_EDIT:
		return m->flow != NULL;
	default:
		return false;
	}
}

/* "All" (no flow named) is for resume and kill without a flow only. */
static bool all_ok(const Snare__HoldCommand *m, bool named)
{
	return named || (m->action != IPC_HOLD_EDIT && m->flow == NULL);
}

bool ipc_validate_hold_command_ui(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__HoldCommand *m = (const Snare__HoldCommand *)body;

	return command_ok(m, in) && !m->has_hold_id && (m->flow_id == NULL || id_ok(m->flow_id)) &&
	       all_ok(m, m->flow_id != NULL);
}

bool ipc_validate_hold_command_worker(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__HoldCommand *m = (const Snare__HoldCommand *)body;

	return command_ok(m, in) && m->has_hold_id && m->flow_id == NULL &&
	       all_ok(m, m->hold_id != 0);
}

static bool edit_result_ok(const Snare__HoldEditResult *m, const struct chan_in *in)
{
	return in->nfds == 0 && m->has_edit_id && m->edit_id != 0 && m->has_result &&
	       m->result >= IPC_EDIT_SAVED && m->result <= IPC_EDIT_UNREACHABLE &&
	       (m->reason == NULL ||
		strnlen(m->reason, IPC_MAX_EDIT_REASON + 1) <= IPC_MAX_EDIT_REASON);
}

bool ipc_validate_edit_result(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__HoldEditResult *m = (const Snare__HoldEditResult *)body;

	return edit_result_ok(m, in) && m->has_hold_id && m->hold_id != 0 &&
	       m->result != IPC_EDIT_UNREACHABLE; /* the coordinator's alone */
}

bool ipc_validate_edit_result_ui(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__HoldEditResult *m = (const Snare__HoldEditResult *)body;

	return edit_result_ok(m, in) && !m->has_hold_id;
}

bool ipc_validate_intercept_set(const ProtobufCMessage *body, const struct chan_in *in)
{
	const Snare__InterceptSet *m = (const Snare__InterceptSet *)body;

	return in->nfds == 0 && m->filter != NULL &&
	       strnlen(m->filter, IPC_MAX_FILTER + 1) <= IPC_MAX_FILTER;
}
