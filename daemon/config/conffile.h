/* The configuration file (YAML, libyaml): a mapping of the `--set` option
 * names to values, plus `mode`.  Read by the coordinator at start-up (under
 * the command line, see cli_parse) and again on SIGHUP into a fresh struct,
 * so that a bad file leaves the running configuration alone. */
#ifndef SNARE_CONFIG_CONFFILE_H
#define SNARE_CONFIG_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/options.h"

#define CONFFILE_SYSTEM "/etc/snare/config.yaml" /* the service's file (--conf) */
#define CONFFILE_NAME "config.yaml"		 /* a user's file, inside confdir */
#define CONFFILE_MAX_BYTES (1 << 20)
#define CONFFILE_MAX_MODES 256

/* Reads path and applies each entry with options_set_kv, so values are
 * checked exactly as `--set` checks them.  A scalar sets the option (for a
 * list option: adds one entry); a sequence gives a list option its entries;
 * null clears a list or unsets a string.  `mode:` (a spec or a list of specs,
 * each checked with modespec_parse) replaces the contents of *modes (owned
 * strings; free with conffile_modes_free).
 * Returns 1 when the file was applied, 0 when it does not exist and
 * !must_exist, else -EINVAL (or -errno for I/O) with one line in err:
 * "FILE:LINE: OPTION: message" ("FILE:LINE: message" for syntax errors).
 * On error *o and *modes may hold part of the file: load into fresh structs
 * (options_init) and drop them on error. */
int conffile_load(const char *path, bool must_exist, struct options *o, struct strlist *modes,
		  char *err, size_t errlen) SNARE_MUST_CHECK;
void conffile_modes_free(struct strlist *modes);

/* For cli_parse: the file that applies to a command line already parsed into
 * cmd_conf (--conf, may be NULL) and cmd_opts: --conf FILE (must exist), else
 * <confdir>/config.yaml if present.  Loads it into o (fresh defaults) and
 * *modes, then empties every list option the command line set, so that
 * replaying the command line over o gives file < command line.  Returns as
 * conffile_load. */
int conffile_load_for_cli(const char *cmd_conf, const struct options *cmd_opts, struct options *o,
			  struct strlist *modes, char *err, size_t errlen) SNARE_MUST_CHECK;

/* The file's description for `snare --options`. */
void conffile_usage(FILE *out);

#endif
