/* Which finished flows go where, each behind its filter expression
 * (man/snare-filters.7), as mitmdump's options say: dumper_filter for the
 * terminal, save_stream_filter for the -w file and the hardump HAR file,
 * readfile_filter for flows read with -r.  Runs in the coordinator. */
#ifndef SNARE_OUTPUT_FLOWOUT_H
#define SNARE_OUTPUT_FLOWOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/options.h"
#include "core/util.h"
#include "filter/filter.h"
#include "flow.pb-c.h"
#include "output/har.h"

struct flowout {
	struct filter *dump, *save, *read; /* NULL: every flow */
	struct har *har;		   /* hardump set: the entries kept until exit */
	int har_fd;
	char *har_path;
};

/* Compiles the filters and opens the hardump file (before privileges are
 * dropped).  -EINVAL or -errno with one line in err. */
int flowout_init(struct flowout *o, const struct options *opts, char *err,
		 size_t errlen) SNARE_MUST_CHECK;
/* Compiles the three filters again (a configuration reload); on error the
 * old ones stay. */
int flowout_set_filters(struct flowout *o, const struct options *opts, char *err,
			size_t errlen) SNARE_MUST_CHECK;
bool flowout_reads(const struct flowout *o, const Snare__Flow *f);
bool flowout_prints(const struct flowout *o, const Snare__Flow *f);
bool flowout_saves(const struct flowout *o, const Snare__Flow *f);
/* Keeps the flow for the HAR file (when hardump is set); call when it saves. */
void flowout_keep(struct flowout *o, const Snare__Flow *f);
/* Writes the HAR file; -errno with one line in err. */
int flowout_finish(struct flowout *o, char *err, size_t errlen) SNARE_MUST_CHECK;
void flowout_free(struct flowout *o);

#endif
