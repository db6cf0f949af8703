/* Turns a role's static rule sets into a libseccomp filter and loads it, or
 * prints them.  Runs in every snare process at the end of start-up; it trusts
 * only the tables in seccomp_*.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_rules.h"

const struct sandbox_policy *sandbox_policy_of(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_COORDINATOR:
		return &sandbox_policy_coordinator;
	case SANDBOX_CA:
		return &sandbox_policy_ca;
	case SANDBOX_WORKER:
		return &sandbox_policy_worker;
	case SANDBOX_SPAWNER:
		return &sandbox_policy_spawner;
	case SANDBOX_UI:
		return &sandbox_policy_ui;
	default:
		return NULL;
	}
}

#ifdef SANDBOX_SANITIZER
static bool policy_names(const struct sandbox_policy *p, int nr)
{
	size_t s, i;

	for (s = 0; s < SANDBOX_MAX_SETS && p->sets[s] != NULL; s++)
		for (i = 0; i < p->sets[s]->n; i++)
			if (p->sets[s]->rules[i].nr == nr)
				return true;
	return false;
}
#endif

/* Calls fn for every rule the role's filter holds: its own sets, then (in
 * sanitizer builds) the sanitizer rules for syscalls the role does not name. */
static int policy_walk(const struct sandbox_policy *p,
		       int (*fn)(const struct sandbox_rule *r, void *arg), void *arg)
{
	const struct sandbox_set *set;
	size_t s, i;
	int rc;

	for (s = 0; s < SANDBOX_MAX_SETS && p->sets[s] != NULL; s++) {
		set = p->sets[s];
		for (i = 0; i < set->n; i++)
			if ((rc = fn(&set->rules[i], arg)) < 0)
				return rc;
	}
#ifdef SANDBOX_SANITIZER
	set = &sandbox_set_sanitizer;
	for (i = 0; i < set->n; i++) {
		if (policy_names(p, set->rules[i].nr))
			continue;
		if ((rc = fn(&set->rules[i], arg)) < 0)
			return rc;
	}
#endif
	return 0;
}

static int rule_add(const struct sandbox_rule *r, void *arg)
{
	scmp_filter_ctx ctx = arg;
	struct scmp_arg_cmp cmp[SANDBOX_MAX_ARGS];
	uint32_t action = r->err ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_ALLOW;
	unsigned i;

	if (r->nr < 0) /* not a syscall on this architecture */
		return 0;
	if (r->nargs > SANDBOX_MAX_ARGS)
		return -EINVAL;
	for (i = 0; i < r->nargs; i++) {
		cmp[i] = (struct scmp_arg_cmp){.arg = r->args[i].idx,
					       .op = (enum scmp_compare)r->args[i].op,
					       .datum_a = r->args[i].a,
					       .datum_b = r->args[i].b};
	}
	if (r->flags & SANDBOX_RULE_SELF)
		cmp[0].datum_a = (uint64_t)getpid();
	return seccomp_rule_add_array(ctx, action, r->nr, r->nargs, cmp);
}

static uint32_t kill_action(void)
{
	/* SCMP_ACT_KILL_PROCESS needs API level 3 (kernel 4.14). */
	return seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
}

int sandbox_filter_build(enum sandbox_role role, scmp_filter_ctx *out)
{
	const struct sandbox_policy *p = sandbox_policy_of(role);
	scmp_filter_ctx ctx;
	int rc;

	if (p == NULL)
		return -EINVAL;
	ctx = seccomp_init(kill_action());
	if (ctx == NULL)
		return -ENOMEM;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, kill_action());
	if (rc < 0)
		goto out;
	rc = policy_walk(p, rule_add, ctx);
out:
	if (rc < 0)
		seccomp_release(ctx);
	else
		*out = ctx;
	return rc;
}

int sandbox_filter_load(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	int rc;

	rc = sandbox_filter_build(role, &ctx);
	if (rc < 0)
		return rc;
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* ---- description -------------------------------------------------------- */

struct desc_entry {
	int nr;
	int err;
	bool restricted;
	char *name;
};

struct desc {
	struct desc_entry e[SANDBOX_MAX_RULES];
	size_t n;
};

/* One entry per (syscall, answer); "restricted" when a rule compares arguments. */
static int desc_add(const struct sandbox_rule *r, void *arg)
{
	struct desc *d = arg;
	char *name;
	size_t i;

	if (r->nr < 0)
		return 0;
	for (i = 0; i < d->n; i++) {
		if (d->e[i].nr == r->nr && d->e[i].err == r->err) {
			d->e[i].restricted |= r->nargs > 0;
			return 0;
		}
	}
	if (d->n == SANDBOX_MAX_RULES)
		return -E2BIG;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
	if (name == NULL)
		return -ENOMEM;
	d->e[d->n++] = (struct desc_entry){r->nr, r->err, r->nargs > 0, name};
	return 0;
}

static int desc_cmp(const void *a, const void *b)
{
	const struct desc_entry *x = a, *y = b;

	if (x->err != y->err)
		return x->err - y->err;
	return strcmp(x->name, y->name);
}

static const char *desc_label(int err)
{
	const char *s;

	if (err == 0)
		return "allow";
	s = strerrorname_np(err);
	return s ? s : "errno";
}

/* One line per answer ("allow", "EACCES", ...), wrapped at 100 columns. */
static void desc_print(const struct desc *d, FILE *out)
{
	const struct desc_entry *e;
	size_t i, col = 0;

	for (i = 0; i < d->n; i++) {
		e = &d->e[i];
		if (i == 0 || e->err != d->e[i - 1].err) {
			if (i > 0)
				fputc('\n', out);
			col = (size_t)fprintf(out, "  %s:", desc_label(e->err));
		} else if (col + strlen(e->name) + 2 > 100) {
			col = (size_t)fprintf(out, "\n   ") - 1;
		}
		col += (size_t)fprintf(out, " %s%s", e->name, e->restricted ? "*" : "");
	}
	if (d->n > 0)
		fputc('\n', out);
}

void sandbox_filter_describe(enum sandbox_role role, FILE *out)
{
	const struct sandbox_policy *p = sandbox_policy_of(role);
	struct desc *d;
	size_t i;

	if (p == NULL)
		return;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return;
	if (policy_walk(p, desc_add, d) == 0) {
		qsort(d->e, d->n, sizeof(d->e[0]), desc_cmp);
		fprintf(out, "seccomp list of the %s (else: kill; *: some arguments only)\n",
			p->role);
		desc_print(d, out);
	}
	for (i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d);
}
