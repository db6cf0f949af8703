/* mitmdump-style flow lines (snare(1), docs/architecture.md#output) for flow_detail 0..4.  Runs in
 * the coordinator, the single writer of output. */
#ifndef SNARE_OUTPUT_DUMP_H
#define SNARE_OUTPUT_DUMP_H

#include <stdbool.h>
#include <stdio.h>

#include "flow.pb-c.h"

struct dump_opts {
	int flow_detail; /* 0: nothing; 1: request line + response line; 2: + headers;
			    3: + bodies cut at 512 lines; 4: everything */
	bool showhost;	 /* use the Host header in the URL */
	int term_width;	 /* URL truncation at detail 1; 0 = none */
};

/* Prints one finished (or failed) flow. */
void dump_flow(FILE *out, const Snare__Flow *f, const struct dump_opts *o);
/* "532b", "1.2k", "13m" (mitmproxy's human.pretty_size). */
void dump_pretty_size(unsigned long long n, char *buf, size_t len);
/* The reason phrase of a common status code ("OK", "Not Found"), or "". */
const char *dump_status_reason(unsigned code);

#endif
