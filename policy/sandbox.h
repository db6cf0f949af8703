/* Start-up hardening, written once for every process (DESIGN.md §4): drop
 * ids and verify, no_new_privs, non-dumpable where keys live, then the role's
 * seccomp allow-list (default action: kill; harmless probes: an errno). */
#ifndef SNARE_POLICY_SANDBOX_H
#define SNARE_POLICY_SANDBOX_H

#include <stddef.h>
#include <stdio.h>

enum sandbox_role {
	SANDBOX_COORDINATOR,
	SANDBOX_CA,
	SANDBOX_WORKER,
	SANDBOX_SPAWNER,
	SANDBOX_ROLE_COUNT
};

/* When running as root: setgroups/setgid/setuid to `user` and verify that
 * uid 0 cannot be regained.  A no-op (0) when not root.  On error a negative
 * code and one line in err. */
int sandbox_drop_user(const char *user, char *err, size_t errlen);
/* Drops every capability from all sets (for non-root processes). */
int sandbox_drop_caps(void);
/* PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0 for SANDBOX_CA, then loads the
 * role's seccomp filter.  0 or a negative code. */
int sandbox_enter(enum sandbox_role role);
const char *sandbox_role_name(enum sandbox_role role);

/* The whole start-up order in one call, for a process that has opened what it
 * needs and closed the rest: sandbox_drop_user (when user is not NULL),
 * sandbox_drop_caps, sandbox_enter.  On error a negative code and one line in
 * err; the caller must then exit. */
int sandbox_startup(enum sandbox_role role, const char *user, char *err, size_t errlen);
/* Lists the syscalls the role's filter allows, and those it answers with an
 * errno, one line per answer (for `--sandbox-info` and documentation). */
void sandbox_describe(enum sandbox_role role, FILE *out);

#endif
