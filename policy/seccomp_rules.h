/* Internal to policy/: the shape of a seccomp allow-list.  Each role's list is
 * a handful of static rule sets (seccomp_*.c); seccomp_load.c turns them into
 * a libseccomp filter.  Nothing here reads input; the tables are the truth. */
#ifndef SNARE_POLICY_SECCOMP_RULES_H
#define SNARE_POLICY_SECCOMP_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <seccomp.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

#define SANDBOX_MAX_ARGS 2
#define SANDBOX_MAX_RULES 512 /* per role, all sets together */

/* One comparison: argument idx `op` a (for SCMP_CMP_MASKED_EQ: arg & a == b). */
struct sandbox_arg {
	uint8_t idx;
	uint8_t op; /* enum scmp_compare */
	uint64_t a, b;
};

enum {
	SANDBOX_RULE_SELF = 1, /* args[0].a is replaced by getpid() at load time */
};

/* err == 0 allows; err > 0 answers the call with -err instead of killing. */
struct sandbox_rule {
	int nr; /* SCMP_SYS(name); negative (pseudo) numbers are skipped */
	int err;
	uint8_t nargs;
	uint8_t flags;
	struct sandbox_arg args[SANDBOX_MAX_ARGS];
};

struct sandbox_set {
	const char *name;
	const struct sandbox_rule *rules;
	size_t n;
};

#define SANDBOX_MAX_SETS 8
struct sandbox_policy {
	const char *role;
	const struct sandbox_set *sets[SANDBOX_MAX_SETS]; /* NULL-terminated */
};

/* clang-format off */
#define SB_SET(id, arr) const struct sandbox_set id = {#id, arr, sizeof(arr) / sizeof(arr[0])}

#define SB_ALLOW(sys) {.nr = SCMP_SYS(sys)}
#define SB_ERRNO(sys, e) {.nr = SCMP_SYS(sys), .err = (e)}
#define SB_ARG_EQ(sys, i, v) \
	{.nr = SCMP_SYS(sys), .nargs = 1, .args = {{(i), SCMP_CMP_EQ, (v), 0}}}
/* Allowed when (arg i & mask) == v. */
#define SB_ARG_MASK(sys, i, mask, v) \
	{.nr = SCMP_SYS(sys), .nargs = 1, .args = {{(i), SCMP_CMP_MASKED_EQ, (mask), (v)}}}
#define SB_ERRNO_EQ(sys, e, i, v) \
	{.nr = SCMP_SYS(sys), .err = (e), .nargs = 1, .args = {{(i), SCMP_CMP_EQ, (v), 0}}}
#define SB_ERRNO_MASK(sys, e, i, mask, v) \
	{.nr = SCMP_SYS(sys), .err = (e), .nargs = 1, \
	 .args = {{(i), SCMP_CMP_MASKED_EQ, (mask), (v)}}}
/* Signals to this process only: arg 0 must be our own pid. */
#define SB_SELF(sys) \
	{.nr = SCMP_SYS(sys), .nargs = 1, .flags = SANDBOX_RULE_SELF, \
	 .args = {{0, SCMP_CMP_EQ, 0, 0}}}
/* clang-format on */

/* seccomp_common.c */
extern const struct sandbox_set sandbox_set_base;
extern const struct sandbox_set sandbox_set_noexec;
extern const struct sandbox_set sandbox_set_probes;
extern const struct sandbox_set sandbox_set_self_signals;
extern const struct sandbox_set sandbox_set_sanitizer;
/* seccomp_worker.c */
extern const struct sandbox_set sandbox_set_net;
extern const struct sandbox_policy sandbox_policy_worker;
/* seccomp_ca.c */
extern const struct sandbox_policy sandbox_policy_ca;
/* seccomp_coordinator.c */
extern const struct sandbox_policy sandbox_policy_coordinator;
/* seccomp_spawner.c */
extern const struct sandbox_policy sandbox_policy_spawner;
/* seccomp_ui.c */
extern const struct sandbox_policy sandbox_policy_ui;

/* seccomp_load.c */
const struct sandbox_policy *sandbox_policy_of(enum sandbox_role role);
/* Builds (not loads) the role's filter; the caller releases it. */
int sandbox_filter_build(enum sandbox_role role, scmp_filter_ctx *out);
int sandbox_filter_load(enum sandbox_role role);
void sandbox_filter_describe(enum sandbox_role role, FILE *out);

#endif
