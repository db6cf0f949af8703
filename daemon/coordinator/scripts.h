/* Files named by the scripting and rewrite options: the Lua scripts,
 * map_local's files and directories, and the "@file" values of
 * modify_headers and modify_body.  Workers open no files, so the
 * coordinator (at start-up, still privileged) and the spawner (on reload)
 * read them and the worker configuration carries their bytes
 * (proto/ipc.proto OptionFile).  A script is only compiled here, to report
 * a syntax error: its code runs in the workers, never in these processes. */
#ifndef SNARE_COORDINATOR_SCRIPTS_H
#define SNARE_COORDINATOR_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/options.h"
#include "core/util.h"
#include "ipc.pb-c.h"
#include "ipc/ipc.h"

enum optfile_kind { OPTFILE_SCRIPT = 1, OPTFILE_MAP_LOCAL = 2, OPTFILE_VALUE = 3 };

/* So that a worker configuration stays well inside one IPC frame. */
#define OPTFILE_MAX_BYTES ((unsigned)IPC_MAX_OPT_FILE)	      /* one file */
#define OPTFILE_MAX_TOTAL ((unsigned)IPC_MAX_OPT_FILES_TOTAL) /* all of them */
#define OPTFILE_MAX_COUNT IPC_MAX_OPT_FILES
#define OPTFILE_MAX_DEPTH 8 /* directories below a map_local directory */

struct optfile {
	enum optfile_kind kind;
	char *path; /* as the option names it; map_local dir entries: "DIR/REL" */
	uint8_t *data;
	size_t len;
};
struct optfiles {
	struct optfile *v;
	size_t n;
	size_t total; /* bytes of data */
};

/* Reads every file o names (O_NOFOLLOW, regular files only, the caps
 * above) and checks each script's syntax.  0; or -EINVAL with one line in
 * err naming the option, the file and the problem (out is then empty). */
int optfiles_read(const struct options *o, struct optfiles *out, char *err,
		  size_t errlen) SNARE_MUST_CHECK;
void optfiles_free(struct optfiles *f);
/* Protobuf views of f (the entries point into f); free with
 * optfiles_pb_free before f changes. */
Snare__OptionFile **optfiles_pb(const struct optfiles *f, size_t *n);
void optfiles_pb_free(Snare__OptionFile **v, size_t n);
/* A copy of received entries (already validated by daemon/ipc). */
void optfiles_from_pb(Snare__OptionFile *const *v, size_t n, struct optfiles *out);
/* The script's data, or NULL when f holds none by that path. */
const struct optfile *optfiles_find(const struct optfiles *f, enum optfile_kind kind,
				    const char *path);

/* Lua syntax only: the text is compiled in a throwaway state with no
 * libraries and never run.  0, or -EINVAL with "FILE:LINE: message". */
int optfiles_check_lua(const char *path, const void *text, size_t len, char *err,
		       size_t errlen) SNARE_MUST_CHECK;

struct coord;
/* coordinator side (scripts.c): reads the files at start-up and watches
 * the scripts (inotify, set up before the sandbox); a change logs
 * "Reloading script FILE" and reloads the configuration (the spawner reads
 * the files again, the workers restart with the new text). */
int coord_scripts_load(struct coord *co, char *err, size_t errlen) SNARE_MUST_CHECK;
int coord_scripts_watch(struct coord *co) SNARE_MUST_CHECK;
/* What the worker configuration carries; free with optfiles_pb_free. */
Snare__OptionFile **coord_scripts_pb(struct coord *co, size_t *n);
/* A reload's files replace the current ones. */
void coord_scripts_replace(struct coord *co, Snare__OptionFile *const *v, size_t n);
void coord_scripts_free(struct coord *co);

#endif
