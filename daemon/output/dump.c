/* mitmdump-style flow lines: picks the printer for a finished flow by its
 * type (docs/architecture.md#output).  Runs in the coordinator, the single writer of
 * output; the flow came from a worker and is untrusted. */
#include "output/dump_int.h"

void dump_flow(FILE *out, const Snare__Flow *f, const struct dump_opts *o)
{
	static void (*const printers[])(FILE *, const Snare__Flow *, const struct dump_opts *) = {
	    [SNARE__FLOW__TYPE__HTTP] = dump_http,
	    [SNARE__FLOW__TYPE__TCP] = dump_stream,
	    [SNARE__FLOW__TYPE__UDP] = dump_stream,
	    [SNARE__FLOW__TYPE__DNS] = dump_dns,
	};
	unsigned type = (unsigned)f->type;

	if (o->flow_detail <= 0 || type >= ARRAY_SIZE(printers) || !printers[type])
		return;
	printers[type](out, f, o);
	fflush(out);
}
