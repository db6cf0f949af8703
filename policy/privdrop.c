/* Dropping ids and capabilities at start-up, then checking they are gone
 * (docs/architecture.md, "Start-up and sandboxes").  Runs in every snare
 * process before its seccomp filter; trusts only the user name its caller
 * passes. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"

static int drop_fail(const char *user, const char *what, int e, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot drop to user '%s': %s%s%s", user, what, e ? ": " : "",
		 e ? strerror(e) : "");
	return e ? -e : -EPERM;
}

/* Old ids must be gone for good: all three ids equal the target, the only
 * group is the target's, and uid/gid 0 cannot be taken back. */
static int drop_verify(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return drop_fail(user, "getresuid", errno, err, errlen);
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return drop_fail(user, "ids did not change", 0, err, errlen);
	if (getgroups(2, groups) != 1 || groups[0] != gid)
		return drop_fail(user, "supplementary groups remain", 0, err, errlen);
	if (uid != 0 && setuid(0) != -1)
		return drop_fail(user, "uid 0 can be regained", 0, err, errlen);
	if (gid != 0 && uid != 0 && setgid(0) != -1)
		return drop_fail(user, "gid 0 can be regained", 0, err, errlen);
	return 0;
}

int sandbox_drop_user(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return drop_fail(user, errno ? "getpwnam" : "no such user",
				 errno == 0 ? ENOENT : errno, err, errlen);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (setgroups(1, &gid) < 0)
		return drop_fail(user, "setgroups", errno, err, errlen);
	if (setresgid(gid, gid, gid) < 0)
		return drop_fail(user, "setresgid", errno, err, errlen);
	if (setresuid(uid, uid, uid) < 0)
		return drop_fail(user, "setresuid", errno, err, errlen);
	return drop_verify(user, uid, gid, err, errlen);
}

/* The bounding set needs CAP_SETPCAP: EPERM is expected when not root. */
static int drop_bounding(void)
{
	cap_value_t c;

	for (c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if (cap_get_bound(c) <= 0)
			continue;
		if (cap_drop_bound(c) < 0 && errno != EPERM)
			return -errno;
	}
	return 0;
}

static bool caps_empty(void)
{
	cap_t now = cap_get_proc(), none = cap_init();
	bool empty = now != NULL && none != NULL && cap_compare(now, none) == 0;

	cap_free(now);
	cap_free(none);
	return empty;
}

int sandbox_drop_caps(void)
{
	cap_t none = NULL;
	int rc;

	if ((rc = drop_bounding()) < 0)
		goto out;
	/* EINVAL: a kernel without ambient capabilities has none to clear. */
	if (cap_reset_ambient() < 0 && errno != EINVAL) {
		rc = -errno;
		goto out;
	}
	none = cap_init();
	if (none == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (cap_set_proc(none) < 0) {
		rc = -errno;
		goto out;
	}
	rc = caps_empty() ? 0 : -EPERM;
out:
	cap_free(none);
	return rc;
}
