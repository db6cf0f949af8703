/* Runs in the coordinator, the single writer of output: prints flows as
 * mitmdump does, appends them to the flow file and prints the log events
 * that workers and the ca send.  The messages were validated by ipc/. */
#include <stdio.h>
#include <stdlib.h>

#include "coordinator/coord.h"
#include "core/log.h"

/* Fields this build does not know are nobody's word: a worker may not slip
 * them into the flow file (where a later snare could take them for its
 * own).  The frame was unpacked with protobuf-c's default allocator, which
 * is malloc.  The schema has no recursive messages, so the depth is fixed. */
static void strip_unknown(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;
	size_t j;

	for (i = 0; i < m->n_unknown_fields; i++)
		free(m->unknown_fields[i].data);
	free(m->unknown_fields);
	m->unknown_fields = NULL;
	m->n_unknown_fields = 0;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		char *member = (char *)m + fd->offset;

		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(uint32_t *)((char *)m + fd->quantifier_offset) != fd->id)
			continue; /* another member of its oneof is set */
		if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
			if (*(ProtobufCMessage **)member)
				strip_unknown(*(ProtobufCMessage **)member);
			continue;
		}
		for (j = 0; j < *(size_t *)((char *)m + fd->quantifier_offset); j++)
			if ((*(ProtobufCMessage ***)member)[j])
				strip_unknown((*(ProtobufCMessage ***)member)[j]);
	}
}

/* What the coordinator knows about a flow, whatever the worker put there:
 * which worker sent it (snare-flows(5) says which fields a worker asserts). */
static void flow_stamp(Snare__Flow *f, const struct coord_child *w)
{
	strip_unknown(&f->base);
	f->has_worker = 1;
	f->worker = w->index;
	f->has_worker_pid = w->pid > 0;
	f->worker_pid = w->pid > 0 ? (uint32_t)w->pid : 0;
}

void coord_on_flow(struct coord *co, const struct coord_child *w, Snare__Flow *f)
{
	flow_stamp(f, w);
	coord_parts_attach(w->index, f);
	coord_output(co, f);
	coord_parts_release(w->index, f);
}

void coord_output(struct coord *co, const Snare__Flow *f)
{
	if (flowout_prints(&co->out, f)) {
		dump_flow(stdout, f, &co->dump);
		fflush(stdout);
	}
	if (!flowout_saves(&co->out, f))
		return;
	flowout_keep(&co->out, f);
	if (co->ff && flowfile_write(co->ff, f) < 0) {
		log_error("cannot write the flow file; stopping");
		co->exit_code = 1;
		flowfile_close(co->ff);
		co->ff = NULL;
	}
}

void coord_on_log(struct coord *co, const Snare__LogEvent *ev)
{
	enum log_level lvl = ev->level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : ev->level;

	if (lvl > log_get_level())
		return;
	log_print_foreign(lvl, ev->client, ev->text ? ev->text : "");
}
