/* Runs in the ca and the workers: fills a LogEvent for the coordinator, the
 * single writer of output, with the client and text cut to what
 * ipc_validate accepts (a longer line would be a protocol violation). */
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
