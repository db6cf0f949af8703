/* Start-up hardening, written once for every process (docs/architecture.md,
 * "Start-up and sandboxes"): drop ids and verify, no_new_privs, non-dumpable
 * where keys live, then the role's seccomp allow-list (default action: kill;
 * harmless probes: an errno). */
#ifndef SNARE_POLICY_SANDBOX_H
#define SNARE_POLICY_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum sandbox_role {
	SANDBOX_COORDINATOR,
	SANDBOX_CA,
	SANDBOX_WORKER,
	SANDBOX_SPAWNER,
	SANDBOX_UI,
	SANDBOX_ROLE_COUNT
};

/* When running as root: setgroups/setgid/setuid to `user` and verify that
 * uid 0 cannot be regained.  A no-op (0) when not root.  On error a negative
 * code and one line in err. */
int sandbox_drop_user(const char *user, char *err, size_t errlen);
/* Steps 1 and 3 for a plan with keep_read_search (see there). */
int sandbox_drop_keeping_read_search(const char *user, char *err, size_t errlen);
/* Drops every capability from all sets (for non-root processes). */
int sandbox_drop_caps(void);
/* Raises (on) or lowers CAP_DAC_READ_SEARCH in the effective set of a
 * process whose plan kept it permitted; 0, or a negative code (-EPERM when
 * the process never had it: started by a user, nothing to raise). */
int sandbox_read_search(bool on);
/* PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0 for SANDBOX_CA, then loads the
 * role's seccomp filter.  0 or a negative code. */
int sandbox_enter(enum sandbox_role role);
const char *sandbox_role_name(enum sandbox_role role);

/* What a role does when it sandboxes itself, in this order:
 *   1. drop ids to `user` (when root; NULL keeps the ids: the worker is
 *      started by a spawner that has already dropped);
 *   2. when `parent` > 0, re-arm the parent-death signal (SIGKILL), which an
 *      id change clears, and stop if the parent is no longer `parent`;
 *   3. drop every capability (no daemon role keeps one in use; the
 *      spawner may keep one permitted, see keep_read_search; the privileged
 *      helpers, which do, confine themselves in helpers/common/);
 *   4. PR_SET_NO_NEW_PRIVS, non-dumpable for the ca, the role's seccomp list.
 * The descriptor limit is not a step here: the coordinator raises it before
 * the spawner starts, so every role inherits it (core/fdlimit.c). */
struct sandbox_plan {
	enum sandbox_role role;
	const char *user;
	pid_t parent;
	/* Step 3 keeps CAP_DAC_READ_SEARCH permitted (never effective, never
	 * inheritable: a child it executes gets nothing) when the process was
	 * root.  Only the spawner asks for it, to read the configuration file
	 * and the files it names again on reload where root put them (the
	 * default confdir of a root-started snare is /root/.snare, closed to
	 * the user it drops to); sandbox_read_search raises it around that. */
	bool keep_read_search;
};

/* The one start-up path of every snare process, for a process that has
 * opened what it needs and closed the rest.  On error a negative code and one
 * line in err naming the role and the step ("worker: cannot drop
 * capabilities: ..."); the caller must then stop. */
int sandbox_startup(const struct sandbox_plan *plan, char *err, size_t errlen);
/* Lists the syscalls the role's filter allows, and those it answers with an
 * errno, one line per answer (for tests and documentation). */
void sandbox_describe(enum sandbox_role role, FILE *out);

#endif
