/* A bound on what a regex costs before regcomp sees it.  glibc's regcomp
 * copies a repeated atom once per repetition ("a+" is "aa*", "a{100}" is
 * a hundred a's), so stacked or nested repetitions grow exponentially:
 * "((((a+)+)+)+)..." or "a{255}{255}" exhaust memory.  The expressions are
 * untrusted (web page, command line), so this walk estimates the size of
 * the expanded pattern and refuses it above a limit, and refuses stacked
 * repetitions ("a**") and back-references, whose matching can take exponential time.  It is a
 * bound, not a parser: syntax errors are left to regcomp. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

struct rx {
	const char *p;
	size_t limit;
	int depth;
	const char *why; /* set when refused */
};

static size_t sat_add(const struct rx *r, size_t a, size_t b)
{
	return a + b > r->limit ? r->limit + 1 : a + b;
}

static size_t sat_mul(const struct rx *r, size_t a, size_t b)
{
	return b != 0 && a > (r->limit + 1) / b ? r->limit + 1 : a * b;
}

static size_t rx_alt(struct rx *r);

/* "[...]", with "]" first, and "[:class:]", "[=x=]", "[.x.]" inside. */
static void skip_bracket(struct rx *r)
{
	r->p++;
	if (*r->p == '^')
		r->p++;
	if (*r->p == ']')
		r->p++;
	while (*r->p && *r->p != ']') {
		if (r->p[0] == '[' && r->p[1] && strchr(":=.", r->p[1])) {
			const char end[3] = {r->p[1], ']', '\0'};
			const char *close = strstr(r->p + 2, end);

			r->p = close ? close + 2 : r->p + strlen(r->p);
			continue;
		}
		r->p++;
	}
	if (*r->p)
		r->p++;
}

static size_t rx_atom(struct rx *r)
{
	size_t n;

	switch (*r->p) {
	case '(':
		if (++r->depth > FILTER_DEPTH_MAX) {
			r->why = "nested too deeply";
			return r->limit + 1;
		}
		r->p++;
		n = rx_alt(r);
		if (*r->p == ')')
			r->p++;
		r->depth--;
		return sat_add(r, n, 1);
	case '[':
		skip_bracket(r);
		return 1;
	case '\\':
		if (r->p[1] >= '1' && r->p[1] <= '9') {
			r->why = "back-references are not supported";
			return r->limit + 1;
		}
		r->p += r->p[1] ? 2 : 1;
		return 1;
	default:
		r->p++;
		return 1;
	}
}

/* "{m}", "{m,}", "{m,n}": how many copies glibc makes (at least 1). */
static size_t interval(struct rx *r)
{
	char *end;
	unsigned long lo = strtoul(r->p + 1, &end, 10), hi = lo;

	if (*end == ',') {
		hi = isdigit((unsigned char)end[1]) ? strtoul(end + 1, &end, 10) : lo + 1;
		if (*end == ',')
			end++;
	}
	r->p = *end == '}' ? end + 1 : end;
	return hi > lo ? (size_t)hi : (size_t)lo + 1;
}

/* The atom of size n with the repetition that follows it.  One repetition
 * only, as Python's re (mitmproxy's) insists ("multiple repeat"), except
 * that a "?" after one is taken, since "*?" and "+?" (lazy in Python)
 * match the same text. */
static size_t rx_quant(struct rx *r, size_t n)
{
	switch (*r->p) {
	case '*':
	case '?':
		r->p++;
		n = sat_add(r, n, 1);
		break;
	case '+':
		r->p++;
		n = sat_add(r, sat_mul(r, n, 2), 1);
		break;
	case '{':
		if (!isdigit((unsigned char)r->p[1]))
			return n;
		n = sat_add(r, sat_mul(r, n, interval(r)), 1);
		break;
	default:
		return n;
	}
	if (*r->p == '?')
		r->p++;
	if ((*r->p && strchr("*+?", *r->p)) || (*r->p == '{' && isdigit((unsigned char)r->p[1])))
		r->why = "multiple repeat";
	return n;
}

static size_t rx_branch(struct rx *r)
{
	size_t n = 0;

	while (*r->p && *r->p != '|' && *r->p != ')' && !r->why && n <= r->limit)
		n = sat_add(r, n, rx_quant(r, rx_atom(r)));
	return n;
}

static size_t rx_alt(struct rx *r)
{
	size_t n = rx_branch(r);

	while (*r->p == '|' && !r->why && n <= r->limit) {
		r->p++;
		n = sat_add(r, n, rx_branch(r));
	}
	return n;
}

const char *filter_regex_refused(const char *re)
{
	struct rx r = {.p = re, .limit = FILTER_REGEX_NODES};
	size_t n = 0;

	/* a ")" with no "(" is a plain character in ERE: take it and go on */
	while (*r.p && !r.why && n <= r.limit) {
		n = sat_add(&r, n, rx_alt(&r));
		if (*r.p == ')')
			r.p++;
	}
	if (r.why)
		return r.why;
	return n > r.limit ? "too many repetitions" : NULL;
}
