/* Confinement of a privileged helper, in the helper itself: keep only the
 * capabilities it needs (and check a dropped one cannot be raised again),
 * then PR_SET_NO_NEW_PRIVS and its own seccomp allow-list: default kill,
 * harmless library probes answered with an errno.  Trusts only the
 * helper_def compiled into the binary. */
#include "helper.h"
#include "core/errf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__)
#define HELPER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define HELPER_SANITIZER 1
#endif
#endif

#define ANY(n)                                                                                     \
	{                                                                                          \
		.name = #n                                                                         \
	}
#define ERR(n, e)                                                                                  \
	{                                                                                          \
		.name = #n, .err = e                                                               \
	}

/* ---- capabilities ------------------------------------------------------ */

static bool helper_cap_in(cap_value_t c, const cap_value_t *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == c)
			return true;
	return false;
}

static bool helper_cap_has(cap_t c, cap_value_t v, cap_flag_t set)
{
	cap_flag_value_t f = CAP_CLEAR;

	return cap_get_flag(c, v, set, &f) == 0 && f == CAP_SET;
}

/* Drops from the bounding set everything not kept, when we may. */
static void helper_caps_bound(cap_t cur, const cap_value_t *keep, int nkeep)
{
	cap_value_t c;

	if (!helper_cap_has(cur, CAP_SETPCAP, CAP_EFFECTIVE))
		return;
	for (c = 0; c <= CAP_LAST_CAP; c++)
		if (!helper_cap_in(c, keep, nkeep) && CAP_IS_SUPPORTED(c))
			cap_drop_bound(c);
}

/* Raising a capability we dropped must fail. */
static int helper_caps_verify(cap_t want, const cap_value_t *keep, int nkeep)
{
	static const cap_value_t probes[] = {CAP_SYS_ADMIN, CAP_SETUID, CAP_SYS_MODULE};
	cap_value_t probe = CAP_SYS_ADMIN;
	int rc = 0;
	size_t i;
	cap_t t;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (!helper_cap_in(probes[i], keep, nkeep))
			probe = probes[i];
	t = cap_dup(want);
	if (t == NULL)
		return -ENOMEM;
	if (cap_set_flag(t, CAP_PERMITTED, 1, &probe, CAP_SET) == 0 && cap_set_proc(t) == 0)
		rc = -EPERM;
	cap_free(t);
	if (rc == 0 && cap_set_proc(want) < 0)
		rc = -errno;
	return rc;
}

int helper_caps_limit(const cap_value_t *caps, int ncaps, const cap_value_t *extra, int nextra,
		      char *err, size_t errlen)
{
	cap_value_t keep[HELPER_MAX_CAPS + 4];
	cap_t cur = cap_get_proc(), want = cap_init();
	int nkeep = 0, i, rc = 0;

	if (cur == NULL || want == NULL || ncaps > HELPER_MAX_CAPS || nextra > 4) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ncaps + nextra; i++) {
		cap_value_t c = i < ncaps ? caps[i] : extra[i - ncaps];

		if (helper_cap_has(cur, c, CAP_PERMITTED))
			keep[nkeep++] = c;
		else if (i < ncaps) {
			char *name = cap_to_name(c);

			snprintf(err, errlen, "missing capability %s (see snare-helpers(8))",
				 name != NULL ? name : "?");
			cap_free(name);
			rc = -EPERM;
			goto out;
		}
	}
	helper_caps_bound(cur, keep, nkeep);
	if (nkeep > 0 && (cap_set_flag(want, CAP_PERMITTED, nkeep, keep, CAP_SET) < 0 ||
			  cap_set_flag(want, CAP_EFFECTIVE, nkeep, keep, CAP_SET) < 0)) {
		rc = -EINVAL;
		goto out;
	}
	if (cap_set_proc(want) < 0) {
		rc = -errno;
		goto out;
	}
	cap_reset_ambient();
	rc = helper_caps_verify(want, keep, nkeep);
out:
	if (rc < 0 && err[0] == '\0')
		errf(err, errlen, rc, "capabilities");
	cap_free(cur);
	cap_free(want);
	return rc;
}

/* ---- seccomp ----------------------------------------------------------- */

enum { HS_ANY, HS_EQ, HS_NE, HS_MASK };

struct helper_rule {
	const char *name;
	int err; /* 0: allow; else answer -err */
	int how; /* HS_ANY, HS_EQ (arg == a), HS_NE (arg != a), HS_MASK ((arg & a) == b) */
	unsigned arg;
	uint64_t a, b;
};

/* The loop on open fds, memory, clocks, exit.  Netlink and the bound
 * sockets are already open; what a helper adds is in its helper_def. */
/* clang-format off */
static const struct helper_rule helper_base_rules[] = {
	ANY(read), ANY(write), ANY(close), ANY(recvmsg), ANY(sendmsg), ANY(recvfrom),
	ANY(sendto), ANY(poll), ANY(ppoll), ANY(fstat), ANY(newfstatat),
	ANY(brk), ANY(munmap), ANY(mremap), ANY(madvise),
	ANY(clock_gettime), ANY(clock_nanosleep), ANY(nanosleep), ANY(futex),
	ANY(getrandom), ANY(getpid), ANY(gettid), ANY(getppid),
	ANY(rt_sigreturn), ANY(rt_sigprocmask), ANY(restart_syscall),
	ANY(exit), ANY(exit_group),
#ifndef HELPER_SANITIZER
	{.name = "mmap", .how = HS_MASK, .arg = 2, .a = PROT_EXEC, .b = 0},
#endif
	{.name = "fcntl", .how = HS_EQ, .arg = 1, .a = F_GETFL},
	{.name = "fcntl", .how = HS_EQ, .arg = 1, .a = F_GETFD},
	ERR(open, EACCES), ERR(openat, EACCES), ERR(stat, EACCES), ERR(access, EACCES),
	ERR(faccessat, EACCES), ERR(readlink, EACCES), ERR(prlimit64, EPERM),
	ERR(sched_getaffinity, ENOSYS), ERR(ioctl, ENOTTY),
};
/* clang-format on */

#ifdef HELPER_SANITIZER
#include <sanitizer/common_interface_defs.h>

static volatile int helper_sandboxed;

/* LeakSanitizer's exit-time check uses ptrace: off once sandboxed. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return helper_sandboxed;
}

/* What the ASan/UBSan runtime needs while running and at exit. */
static const struct helper_rule helper_san_rules[] = {
    ANY(mmap),	       ANY(mprotect),	 ANY(sigaltstack),  ANY(sched_yield),
    ANY(rt_sigaction), ERR(pipe, EPERM), ERR(pipe2, EPERM), ERR(readlinkat, EACCES),
};
#endif

static int helper_rule_add(scmp_filter_ctx ctx, const struct helper_rule *r)
{
	uint32_t action = r->err ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_ALLOW;
	int nr = seccomp_syscall_resolve_name(r->name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	if (nr < 0)
		return 0; /* a pseudo syscall number */
	if (r->how == HS_EQ)
		return seccomp_rule_add(ctx, action, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_EQ, r->a, 0));
	if (r->how == HS_NE)
		return seccomp_rule_add(ctx, action, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_NE, r->a, 0));
	if (r->how == HS_MASK)
		return seccomp_rule_add(ctx, action, nr, 1,
					SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->a, r->b));
	return seccomp_rule_add(ctx, action, nr, 0);
}

#ifdef HELPER_SANITIZER
static int helper_rules_add(scmp_filter_ctx ctx, const struct helper_rule *rules, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = helper_rule_add(ctx, &rules[i])) < 0)
			return rc;
	return 0;
}
#endif

/* A syscall the helper allows for one argument value (NULL: none). */
static const struct helper_syscall *helper_def_one_value(const struct helper_def *def,
							 const char *name)
{
	size_t i;

	for (i = 0; i < def->nsyscalls; i++)
		if (def->syscalls[i].arg >= 0 && def->syscalls[i].nvals == 1 &&
		    strcmp(def->syscalls[i].name, name) == 0)
			return &def->syscalls[i];
	return NULL;
}

/* The base list; libseccomp lets an unconditional rule win over the
 * helper's conditional one, so a base errno answer for a syscall the
 * helper allows for one value (ioctl TUNSETIFF) covers the other values. */
static int helper_base_rules_add(scmp_filter_ctx ctx, const struct helper_def *def)
{
	const struct helper_syscall *s;
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(helper_base_rules); i++) {
		struct helper_rule r = helper_base_rules[i];

		if (r.err != 0 && r.how == HS_ANY &&
		    (s = helper_def_one_value(def, r.name)) != NULL) {
			r.how = HS_NE;
			r.arg = (unsigned)s->arg;
			r.a = s->vals[0];
		}
		if ((rc = helper_rule_add(ctx, &r)) < 0)
			return rc;
	}
	return 0;
}

/* The helper's own syscalls, one rule per allowed argument value. */
static int helper_def_rules_add(scmp_filter_ctx ctx, const struct helper_def *def)
{
	size_t i;
	int k, rc;

	for (i = 0; i < def->nsyscalls; i++) {
		const struct helper_syscall *s = &def->syscalls[i];
		struct helper_rule r = {.name = s->name, .how = s->arg >= 0 ? HS_EQ : HS_ANY};

		r.arg = s->arg >= 0 ? (unsigned)s->arg : 0;
		for (k = 0; k < (s->arg >= 0 ? s->nvals : 1); k++) {
			r.a = s->vals[k];
			if ((rc = helper_rule_add(ctx, &r)) < 0)
				return rc;
		}
	}
	return 0;
}

static int helper_filter_build(scmp_filter_ctx ctx, const struct helper_def *def)
{
	int rc = helper_base_rules_add(ctx, def);

	if (rc == 0)
		rc = helper_def_rules_add(ctx, def);
#ifdef HELPER_SANITIZER
	if (rc == 0)
		rc = helper_rules_add(ctx, helper_san_rules, ARRAY_SIZE(helper_san_rules));
#endif
	return rc;
}

int helper_sandbox_enter(const struct helper_def *def, char *err, size_t errlen)
{
	uint32_t kill = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
	scmp_filter_ctx ctx;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		errf(err, errlen, rc, "no_new_privs");
		return rc;
	}
	ctx = seccomp_init(kill);
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	rc = helper_filter_build(ctx, def);
#ifdef HELPER_SANITIZER
	if (rc == 0) {
		__sanitizer_sandbox_arguments args = {.coverage_sandboxed = 0, .coverage_fd = -1};

		__sanitizer_sandbox_on_notify(&args);
		helper_sandboxed = 1;
	}
#endif
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		errf(err, errlen, rc, "seccomp");
	return rc;
}
