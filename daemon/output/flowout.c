/* The output filters and the hardump file (flowout.h).  Runs in the
 * coordinator; the expressions were checked when the options were set, and
 * are compiled again here into the filters that are used. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/flowout.h"

static int compile(const char *name, const char *expr, struct filter **f, char *err, size_t errlen)
{
	char why[256];

	*f = NULL;
	if (!expr || !expr[0])
		return 0;
	if (filter_compile(expr, f, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "Invalid filter expression for %s: %s", name, why);
		return -EINVAL;
	}
	return 0;
}

int flowout_set_filters(struct flowout *o, const struct options *opts, char *err, size_t errlen)
{
	struct filter *dump, *save = NULL, *read = NULL;
	int rc;

	if ((rc = compile("dumper_filter", opts->dumper_filter, &dump, err, errlen)) < 0 ||
	    (rc = compile("save_stream_filter", opts->save_stream_filter, &save, err, errlen)) <
		0 ||
	    (rc = compile("readfile_filter", opts->readfile_filter, &read, err, errlen)) < 0) {
		filter_free(dump);
		filter_free(save);
		return rc;
	}
	filter_free(o->dump);
	filter_free(o->save);
	filter_free(o->read);
	o->dump = dump;
	o->save = save;
	o->read = read;
	return 0;
}

int flowout_init(struct flowout *o, const struct options *opts, char *err, size_t errlen)
{
	int rc;

	*o = (struct flowout){.har_fd = -1};
	if ((rc = flowout_set_filters(o, opts, err, errlen)) < 0)
		return rc;
	if (opts->hardump && opts->hardump[0]) {
		if ((rc = har_open(opts->hardump, &o->har_fd, err, errlen)) < 0) {
			flowout_free(o);
			return rc;
		}
		o->har = har_new();
		o->har_path = xstrdup(opts->hardump);
	}
	return 0;
}

static bool passes(const struct filter *f, const Snare__Flow *flow)
{
	return !f || filter_match(f, flow, NULL);
}

bool flowout_reads(const struct flowout *o, const Snare__Flow *f)
{
	return passes(o->read, f);
}

bool flowout_prints(const struct flowout *o, const Snare__Flow *f)
{
	return passes(o->dump, f);
}

bool flowout_saves(const struct flowout *o, const Snare__Flow *f)
{
	return passes(o->save, f);
}

void flowout_keep(struct flowout *o, const Snare__Flow *f)
{
	if (o->har)
		har_add(o->har, f);
}

int flowout_finish(struct flowout *o, char *err, size_t errlen)
{
	int rc = 0;

	if (o->har && o->har_fd >= 0)
		rc = har_write_fd(o->har, o->har_fd, o->har_path, err, errlen);
	if (o->har_fd >= 0 && close(o->har_fd) < 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", o->har_path, strerror(errno));
	}
	o->har_fd = -1;
	har_free(o->har);
	o->har = NULL;
	return rc;
}

void flowout_free(struct flowout *o)
{
	filter_free(o->dump);
	filter_free(o->save);
	filter_free(o->read);
	har_free(o->har);
	if (o->har_fd >= 0)
		close(o->har_fd);
	free(o->har_path);
	*o = (struct flowout){.har_fd = -1};
}
