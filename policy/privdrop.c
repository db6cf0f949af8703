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
#include "core/errf.h"

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

/* The capability set left after step 3: empty, or CAP_DAC_READ_SEARCH
 * permitted only (keep), lowered or raised in the effective set (on). */
static cap_t caps_left(bool keep, bool on)
{
	cap_t c = cap_init();
	cap_value_t v = CAP_DAC_READ_SEARCH;

	if (c != NULL && keep &&
	    (cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
	     cap_set_flag(c, CAP_EFFECTIVE, 1, &v, on ? CAP_SET : CAP_CLEAR) < 0)) {
		cap_free(c);
		return NULL;
	}
	return c;
}

static bool caps_are(cap_t want)
{
	cap_t now = cap_get_proc();
	bool same = now != NULL && cap_compare(now, want) == 0;

	cap_free(now);
	return same;
}

static int drop_caps_to(bool keep)
{
	cap_t left = NULL;
	int rc;

	if ((rc = drop_bounding()) < 0)
		goto out;
	/* EINVAL: a kernel without ambient capabilities has none to clear. */
	if (cap_reset_ambient() < 0 && errno != EINVAL) {
		rc = -errno;
		goto out;
	}
	left = caps_left(keep, false);
	if (left == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (cap_set_proc(left) < 0) {
		rc = -errno;
		goto out;
	}
	rc = caps_are(left) ? 0 : -EPERM;
out:
	cap_free(left);
	return rc;
}

int sandbox_drop_caps(void)
{
	return drop_caps_to(false);
}

int sandbox_read_search(bool on)
{
	cap_t want = caps_left(true, on);
	int rc = 0;

	if (want == NULL)
		return -ENOMEM;
	if (cap_set_proc(want) < 0)
		rc = -errno;
	cap_free(want);
	return rc;
}

/* Step 1 with keep: the ids change with PR_SET_KEEPCAPS so the permitted
 * set survives it (the effective set is cleared all the same); step 3 then
 * leaves only CAP_DAC_READ_SEARCH permitted. */
int sandbox_drop_keeping_read_search(const char *user, char *err, size_t errlen)
{
	int rc;

	if (geteuid() != 0) { /* nothing to keep: as sandbox_drop_caps */
		if ((rc = drop_caps_to(false)) < 0)
			errf(err, errlen, rc, "cannot drop capabilities");
		return rc;
	}
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0)
		return drop_fail(user, "PR_SET_KEEPCAPS", errno, err, errlen);
	rc = sandbox_drop_user(user, err, errlen);
	(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	if (rc == 0 && (rc = drop_caps_to(true)) < 0)
		errf(err, errlen, rc, "cannot keep only CAP_DAC_READ_SEARCH");
	return rc;
}
