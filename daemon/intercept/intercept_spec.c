/* The intercept spec compiler and its reference decision, in any snare
 * process that handles a local capture spec.  Trusts nothing in the text:
 * every entry is bounded, trimmed and checked before it becomes one fixed
 * 24-byte table entry; the table is the whole value one eBPF map slot holds. */
#include "intercept/intercept.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool intercept_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims [*s, *e) in place. */
static void intercept_trim(const char **s, const char **e)
{
	while (*s < *e && intercept_space(**s))
		(*s)++;
	while (*e > *s && intercept_space((*e)[-1]))
		(*e)--;
}

/* All digits and at most UINT32_MAX: a process id. */
static bool intercept_pid(const char *s, const char *e, uint32_t *pid)
{
	uint64_t v = 0;

	if (s == e)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*pid = (uint32_t)v;
	return true;
}

static int intercept_entry(const char *s, const char *e, struct redir_entry *out)
{
	size_t len;

	intercept_trim(&s, &e);
	out->action = REDIR_INCLUDE;
	if (s < e && *s == '!') {
		out->action = REDIR_EXCLUDE;
		s++;
		intercept_trim(&s, &e);
	}
	if (s == e)
		return -EINVAL;
	if (intercept_pid(s, e, &out->pid)) {
		out->kind = REDIR_PID;
		return 0;
	}
	for (const char *p = s; p < e; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	out->kind = REDIR_NAME;
	len = (size_t)(e - s) < INTERCEPT_NAME_MAX ? (size_t)(e - s) : INTERCEPT_NAME_MAX;
	memcpy(out->comm, s, len);
	return 0;
}

static int intercept_fail(struct redir_spec *out, int rc, const char *spec, char *err,
			  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err == NULL || errlen == 0)
		return rc;
	if (rc == -E2BIG)
		snprintf(err, errlen, "invalid intercept spec: more than %d entries",
			 REDIR_MAX_ENTRIES);
	else
		snprintf(err, errlen, "invalid intercept spec: %.*s", 80, spec);
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return rc;
}

int intercept_compile(const char *spec, struct redir_spec *out, char *err, size_t errlen)
{
	size_t len = strnlen(spec, INTERCEPT_SPEC_MAX + 1);
	const char *s = spec, *e = spec + len, *comma;

	memset(out, 0, sizeof(*out));
	if (len > INTERCEPT_SPEC_MAX)
		return intercept_fail(out, -EINVAL, spec, err, errlen);
	intercept_trim(&s, &e);
	if (s == e)
		return 0;
	for (;;) {
		comma = memchr(s, ',', (size_t)(e - s));
		if (out->n == REDIR_MAX_ENTRIES)
			return intercept_fail(out, -E2BIG, spec, err, errlen);
		if (intercept_entry(s, comma != NULL ? comma : e, &out->e[out->n]) < 0)
			return intercept_fail(out, -EINVAL, spec, err, errlen);
		out->n++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	out->dflt = out->e[0].action == REDIR_EXCLUDE;
	return 0;
}

static bool intercept_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool intercept_entry_valid(const struct redir_entry *en)
{
	const char *c = (const char *)en->comm;
	size_t len = strnlen(c, REDIR_COMM_LEN);

	if ((en->action != REDIR_INCLUDE && en->action != REDIR_EXCLUDE) || en->pad[0] != 0 ||
	    en->pad[1] != 0)
		return false;
	if (en->kind == REDIR_PID)
		return intercept_zero(en->comm, sizeof(en->comm));
	if (en->kind != REDIR_NAME || en->pid != 0 || len == 0 || len > INTERCEPT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			return false;
	return intercept_zero(c + len, REDIR_COMM_LEN - len);
}

bool intercept_table_valid(const struct redir_spec *t)
{
	if (t->n > REDIR_MAX_ENTRIES)
		return false;
	if (t->dflt != (t->n > 0 && t->e[0].action == REDIR_EXCLUDE))
		return false;
	for (uint32_t i = 0; i < t->n; i++)
		if (!intercept_entry_valid(&t->e[i]))
			return false;
	return intercept_zero(&t->e[t->n], sizeof(t->e[0]) * (REDIR_MAX_ENTRIES - t->n));
}

bool intercept_decide(const struct redir_spec *t, uint32_t tgid, const char comm[REDIR_COMM_LEN])
{
	uint64_t c[REDIR_COMM_LEN / 8] = {0};
	bool intercept = t->dflt != 0, m;

	memcpy(c, comm, strnlen(comm, REDIR_COMM_LEN - 1));
	for (uint32_t i = 0; i < t->n && i < REDIR_MAX_ENTRIES; i++) {
		const struct redir_entry *en = &t->e[i];

		if (en->kind == REDIR_PID)
			m = en->pid == tgid;
		else
			m = en->comm[0] == c[0] && en->comm[1] == c[1];
		if (en->action == REDIR_INCLUDE)
			intercept = intercept || m;
		else
			intercept = intercept && !m;
	}
	return intercept;
}

void intercept_describe(const struct redir_spec *t, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (t->n == 0) {
		snprintf(buf, len, "Intercept nothing.");
		return;
	}
	for (uint32_t i = 0; i < t->n && i < REDIR_MAX_ENTRIES && off < len; i++) {
		const struct redir_entry *en = &t->e[i];
		const char *verb = en->action == REDIR_EXCLUDE ? "Exclude" : "Include";
		const char *sp = i > 0 ? " " : "";

		if (en->kind == REDIR_PID)
			n = snprintf(buf + off, len - off, "%s%s PID %u.", sp, verb, en->pid);
		else
			n = snprintf(buf + off, len - off, "%s%s processes matching \"%.*s\".", sp,
				     verb, REDIR_COMM_LEN - 1, (const char *)en->comm);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}
