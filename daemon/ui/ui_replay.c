/* Runs in the ui: the web interface's replay (POST /api/flows/ID/replay,
 * mitmweb's POST /flows/ID/replay).  The ui holds the flow; it asks the
 * coordinator (never a worker) to have it sent again.  The replayed
 * request comes back as a new flow with is_replay "request", which the
 * list marks.  The request passed the access rules (token, CSRF) already;
 * the flow id is untrusted and looked up in the store. */
#include <errno.h>
#include <stdio.h>

#include "replay/replay.h"
#include "ui/ui_int.h"

#define UI_REPLAY_ROOM (IPC_MAX_FRAME - 1024) /* one frame to the coordinator */

static int send_replay(struct ui *ui, Snare__Flow *f)
{
	Snare__UiToCoord env = SNARE__UI_TO_COORD__INIT;
	Snare__ReplayRequest m = SNARE__REPLAY_REQUEST__INIT;

	if (!ui->chan_open || ui->chan.closed)
		return -EPIPE;
	m.flow = f;
	env.body_case = SNARE__UI_TO_COORD__BODY_REPLAY;
	env.replay = &m;
	if (snare__ui_to_coord__get_packed_size(&env) > UI_REPLAY_ROOM)
		return -EMSGSIZE;
	return ipc_chan_send(&ui->chan, &env.base, NULL, 0);
}

void ui_api_replay(struct ui *ui, struct ui_conn *c, struct ui_req *r)
{
	ssize_t k = ui_store_find(ui->store, r->args[0]);
	Snare__Flow *f;
	const char *why;
	int rc;

	if (k < 0) {
		ui_respond_error(c, 404, "no such flow");
		return;
	}
	if ((f = ui_store_load(ui->store, (size_t)k)) == NULL) {
		ui_respond_error(c, 500, "cannot read the flow back");
		return;
	}
	why = replay_client_check(f);
	rc = why ? -EINVAL : send_replay(ui, f);
	if (rc == -EINVAL)
		ui_respond_error(c, 400, why);
	else if (rc == -EMSGSIZE)
		ui_respond_error(c, 413, "the flow is too large to replay (256 KiB at most)");
	else if (rc < 0)
		ui_respond_error(c, 503, "cannot reach the coordinator");
	else
		ui_respond_json(c, 200, json_pack("{s:s}", "replay", "queued"));
	snare__flow__free_unpacked(f, NULL);
}
