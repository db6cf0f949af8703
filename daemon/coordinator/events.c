/* Runs in the coordinator, the single writer of output: prints flows as
 * mitmdump does, appends them to the flow file and prints the log events
 * that workers and the ca send.  The messages were validated by ipc/. */
#include <stdio.h>
#include <stdlib.h>

#include "coordinator/coord.h"
#include "core/log.h"

void coord_on_flow(struct coord *co, Snare__Flow *f)
{
	coord_parts_attach(f);
	dump_flow(stdout, f, &co->dump);
	fflush(stdout);
	if (co->ff && flowfile_write(co->ff, f) < 0) {
		log_error("cannot write the flow file; stopping");
		co->exit_code = 1;
		flowfile_close(co->ff);
		co->ff = NULL;
	}
	coord_parts_release(f);
}

void coord_on_log(struct coord *co, const Snare__LogEvent *ev)
{
	enum log_level lvl = ev->level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : ev->level;

	if (lvl > log_get_level())
		return;
	log_print_foreign(lvl, ev->client, ev->text ? ev->text : "");
}
