/* Runs in the ca and the workers: fills a LogEvent for the coordinator, the
 * single writer of output, with the client and text cut to what
 * ipc_validate accepts (a longer line would be a protocol violation). */
#include <errno.h>
#include <stdio.h>

#include "ipc/ipc.h"

void ipc_log_event(Snare__LogEvent *ev, struct ipc_log_buf *b, int level, const char *client,
		   const char *msg)
{
	snare__log_event__init(ev);
	ev->has_level = 1;
	ev->level = (uint32_t)level;
	snprintf(b->client, sizeof(b->client), "%s", client ? client : "");
	snprintf(b->text, sizeof(b->text), "%s", msg);
	ev->client = b->client;
	ev->text = b->text;
}

int ipc_log_send(struct ipc_chan *c, int level, const char *client, const char *msg)
{
	Snare__CaToCoord ca = SNARE__CA_TO_COORD__INIT;
	Snare__WorkerToCoord wk = SNARE__WORKER_TO_COORD__INIT;
	Snare__LogEvent ev;
	struct ipc_log_buf b;

	ipc_log_event(&ev, &b, level, client, msg);
	if (c->rx == IPC_CH_COORD_TO_CA) {
		ca.body_case = SNARE__CA_TO_COORD__BODY_LOG;
		ca.log = &ev;
		return ipc_chan_send(c, &ca.base, NULL, 0);
	}
	if (c->rx == IPC_CH_COORD_TO_WORKER) {
		wk.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
		wk.log = &ev;
		return ipc_chan_send(c, &wk.base, NULL, 0);
	}
	return -EINVAL;
}
