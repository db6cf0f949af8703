/* Fuzz target: the flow file reader (flowfile_read_mem) on arbitrary bytes,
 * and the dumper on every flow it accepts, at the most and least detailed
 * levels.  Flow files and the flows in them are untrusted input. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output/dump.h"
#include "output/flowfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static void on_flow(const Snare__Flow *f, void *arg)
{
	static const struct dump_opts opts[] = {
	    {.flow_detail = 4, .showhost = true},
	    {.flow_detail = 3, .showhost = false},
	    {.flow_detail = 1, .showhost = true, .term_width = 80},
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		dump_flow(sink, f, &opts[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink)
		return 0;
	(void)flowfile_read_mem(data, size, "fuzz", on_flow, NULL, err, sizeof(err));
	return 0;
}
