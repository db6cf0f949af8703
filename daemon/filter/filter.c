/* filter_compile, filter_match and filter_free over the tree parse.c
 * builds, and the binary-safe regex search every matcher uses.  The
 * expression and the flows are untrusted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

struct filter {
	struct fnode *root;
};

int filter_compile(const char *expr, struct filter **out, char *err, size_t errlen)
{
	struct fnode *root;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!(root = filter_parse(expr, err, errlen)))
		return -EINVAL;
	*out = xcalloc(1, sizeof(**out));
	(*out)->root = root;
	return 0;
}

bool filter_match(const struct filter *f, const Snare__Flow *flow, const struct filter_extra *x)
{
	static const struct filter_extra none;
	struct fctx c = {flow, x ? x : &none};

	return fnode_match(f->root, &c);
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	fnode_free(f->root);
	free(f);
}

static unsigned fnode_needs(const struct fnode *n)
{
	switch (n->kind) {
	case FN_NOT:
		return fnode_needs(n->a);
	case FN_AND:
	case FN_OR:
		return fnode_needs(n->a) | fnode_needs(n->b);
	case FN_OP:
		return n->op->need;
	}
	return 0;
}

unsigned filter_needs(const struct filter *f)
{
	return fnode_needs(f->root);
}

char *filter_pretty_host(const Snare__HttpRequest *r)
{
	return ftext_pretty_host(r);
}

bool fnode_match(const struct fnode *n, const struct fctx *c)
{
	switch (n->kind) {
	case FN_NOT:
		return !fnode_match(n->a, c);
	case FN_AND:
		return fnode_match(n->a, c) && fnode_match(n->b, c);
	case FN_OR:
		return fnode_match(n->a, c) || fnode_match(n->b, c);
	case FN_OP:
		return n->op->match(n, c);
	}
	return false;
}

/* glibc's REG_STARTEND takes the subject's bounds from pmatch[0] (even with
 * REG_NOSUB), so NUL bytes in a body are data.  The subject is still copied
 * with a NUL after it: sanitizers' regexec interceptors read up to a NUL
 * whatever the flags say. */
bool fre_search(const regex_t *re, const uint8_t *p, size_t n)
{
	regmatch_t m[1];
	char *copy;
	bool hit;

	if (n > FILTER_MATCH_CAP)
		n = FILTER_MATCH_CAP;
	copy = xmalloc(n + 1);
	if (n)
		memcpy(copy, p, n);
	copy[n] = '\0';
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)n;
	hit = regexec(re, copy, 1, m, REG_STARTEND) == 0;
	free(copy);
	return hit;
}

/* A C string needs no copy: it has no NUL inside and one after it. */
bool fre_search_str(const regex_t *re, const char *s)
{
	if (s == NULL)
		return false;
	if (strnlen(s, FILTER_MATCH_CAP + 1) <= FILTER_MATCH_CAP)
		return regexec(re, s, 0, NULL, 0) == 0;
	return fre_search(re, (const uint8_t *)s, strlen(s));
}
