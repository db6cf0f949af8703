/* The start-up order every snare process ends with (DESIGN.md §4): ids and
 * capabilities dropped, PR_SET_NO_NEW_PRIVS, non-dumpable where keys live,
 * then the role's seccomp filter.  Runs in the coordinator, the spawner, the
 * ca and every worker; trusts nothing but its caller's choice of role. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "sandbox.h"
#include "seccomp_rules.h"

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
    [SANDBOX_COORDINATOR] = "coordinator",
    [SANDBOX_CA] = "ca",
    [SANDBOX_WORKER] = "worker",
    [SANDBOX_SPAWNER] = "spawner",
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

int sandbox_startup(enum sandbox_role role, const char *user, char *err, size_t errlen)
{
	int rc = 0;

	if (user != NULL && (rc = sandbox_drop_user(user, err, errlen)) < 0)
		goto out;
	if ((rc = sandbox_drop_caps()) < 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(-rc));
		goto out;
	}
	if ((rc = sandbox_enter(role)) < 0)
		snprintf(err, errlen, "cannot enter the %s sandbox: %s", sandbox_role_name(role),
			 strerror(-rc));
out:
	return rc;
}

void sandbox_describe(enum sandbox_role role, FILE *out)
{
	sandbox_filter_describe(role, out);
}
