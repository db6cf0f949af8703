/* The start-up order every snare process ends with (docs/architecture.md,
 * "Start-up and sandboxes"): ids dropped, the parent-death signal re-armed
 * where asked, capabilities dropped, PR_SET_NO_NEW_PRIVS, non-dumpable where
 * keys live, then the role's seccomp filter.  Runs in the coordinator, the
 * spawner, the ca and every worker; trusts nothing but its caller's plan. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "seccomp_rules.h"
#include "core/errf.h"

#ifdef SANDBOX_SANITIZER
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

static volatile int sandbox_entered;

/* LeakSanitizer's exit-time check stops the world with ptrace, which no
 * filter allows: skip it once this process is sandboxed. */
int __lsan_is_turned_off(void)
{
	return sandbox_entered;
}

/* Let the runtime cache /proc/self/maps and its binary name while it can. */
static void sandbox_sanitizer_prepare(void)
{
	__sanitizer_sandbox_arguments args = {.coverage_sandboxed = 0, .coverage_fd = -1};

	__sanitizer_sandbox_on_notify(&args);
}
#else
static void sandbox_sanitizer_prepare(void)
{
}
#endif

static const char *const role_names[SANDBOX_ROLE_COUNT] = {
    [SANDBOX_COORDINATOR] = "coordinator", [SANDBOX_CA] = "ca", [SANDBOX_WORKER] = "worker",
    [SANDBOX_SPAWNER] = "spawner",	   [SANDBOX_UI] = "ui",
};

const char *sandbox_role_name(enum sandbox_role role)
{
	if ((unsigned)role >= SANDBOX_ROLE_COUNT)
		return "unknown";
	return role_names[role];
}

int sandbox_enter(enum sandbox_role role)
{
	int rc;

	if ((unsigned)role >= SANDBOX_ROLE_COUNT)
		return -EINVAL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (role == SANDBOX_CA && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	sandbox_sanitizer_prepare();
	rc = sandbox_filter_load(role);
#ifdef SANDBOX_SANITIZER
	if (rc == 0)
		sandbox_entered = 1;
#endif
	return rc;
}

/* Step 2: the parent-death signal does not survive a change of ids. */
static int rearm_parent_death(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}

int sandbox_startup(const struct sandbox_plan *plan, char *err, size_t errlen)
{
	const char *name = sandbox_role_name(plan->role);
	char why[384] = "";
	int rc = 0;

	if (plan->keep_read_search)
		rc = sandbox_drop_keeping_read_search(plan->user, why, sizeof(why));
	else if (plan->user != NULL)
		rc = sandbox_drop_user(plan->user, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		return rc;
	}
	if (plan->parent > 0 && (rc = rearm_parent_death(plan->parent)) < 0)
		errf(err, errlen, rc, "%s: the parent (pid %ld) is gone", name, (long)plan->parent);
	else if (!plan->keep_read_search && (rc = sandbox_drop_caps()) < 0)
		errf(err, errlen, rc, "%s: cannot drop capabilities", name);
	else if ((rc = sandbox_enter(plan->role)) < 0)
		errf(err, errlen, rc, "%s: cannot enter the sandbox", name);
	return rc;
}

void sandbox_describe(enum sandbox_role role, FILE *out)
{
	sandbox_filter_describe(role, out);
}
