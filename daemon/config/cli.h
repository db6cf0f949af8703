/* The command line, following mitmdump (snare(1)): turns argv into mode
 * specs and options.  Pure: prints nothing itself except --help, --version
 * and --options (to stdout). */
#ifndef SNARE_CONFIG_CLI_H
#define SNARE_CONFIG_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "config/modespec.h"
#include "config/options.h"

enum cli_action { CLI_RUN, CLI_EXIT_OK }; /* EXIT_OK: --help, --version, --options printed */

struct cli {
	enum cli_action action;
	struct mode_spec *modes; /* at least one: "regular" when none given */
	size_t nmodes;
	struct options opts;
	int verbosity; /* -q: -1, default 0, -v: +1 per -v */
	char *wfile;   /* -w FILE (without '+') */
	bool wappend;  /* -w +FILE */
	char *rfile;   /* -r FILE */
	char *role;    /* hidden --role ca|worker (re-exec) */
	char *conf;    /* --conf FILE (read by a later issue) */
	char *filter;  /* the positional arguments joined by spaces, NULL when none: as
			  mitmdump, it sets dumper_filter, save_stream_filter and
			  readfile_filter */
};

/* Parses argv.  On error returns -EINVAL with one line in err (no program
 * name prefix), e.g. "Invalid proxy mode specification: flibbel (unknown
 * mode)" or "unrecognized option: --frob". */
int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen) SNARE_MUST_CHECK;
void cli_free(struct cli *c);
void cli_usage(FILE *out);

#endif
