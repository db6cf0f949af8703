/* multipart/form-data bodies read exactly as mitmproxy's decode_multipart
 * does for server_replay_ignore_payload_params, quirks included (the
 * part's name from the line after the boundary only, the value's lines
 * joined without their line breaks, one malformed part voids the whole
 * form).  Our own code: a conforming MIME parser would hash differently
 * from mitmproxy.  The body and the Content-Type are untrusted bytes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay/replay_int.h"

/* The boundary parameter's value as mitmproxy's parse_content_type keeps
 * it (trimmed, quotes not removed); false when there is none. */
static bool boundary_of(const char *ct, const char **b, size_t *blen)
{
	const char *semi = strchr(ct, ';');
	bool found = false;

	while (semi) {
		const char *p = semi + 1, *end = strchr(p, ';'), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', n);
		if (eq) {
			const char *k = p, *ke = eq, *v = eq + 1, *ve = p + n;

			while (k < ke && (*k == ' ' || *k == '\t'))
				k++;
			while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ke - k == 8 && memcmp(k, "boundary", 8) == 0) {
				*b = v; /* a later one wins, as in Python's dict */
				*blen = (size_t)(ve - v);
				found = true;
			}
		}
		semi = end;
	}
	return found;
}

/* bytes.splitlines(): the line at *p (up to e) and where the next starts. */
static const char *line(const char *p, const char *e, size_t *len)
{
	const char *q = p;

	while (q < e && *q != '\n' && *q != '\r')
		q++;
	*len = (size_t)(q - p);
	if (q < e && *q == '\r' && q + 1 < e && q[1] == '\n')
		return q + 2;
	return q < e ? q + 1 : e;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* re.search(rb'\bname="([^"]+)"') in one line. */
static bool name_in(const char *s, size_t n, struct replay_pair *p)
{
	for (size_t i = 0; i + 7 <= n; i++) {
		const char *q;

		if (memcmp(s + i, "name=\"", 6) != 0 || (i > 0 && word_char(s[i - 1])))
			continue;
		q = memchr(s + i + 6, '"', n - i - 6);
		if (q && q > s + i + 6) {
			p->name = s + i + 6;
			p->nlen = (size_t)(q - p->name);
			return true;
		}
	}
	return false;
}

/* One piece between boundaries: 1 with a pair (value in *buf, caller
 * frees), 0 when the piece is skipped, -1 when it voids the form. */
static int piece(const char *p, const char *e, struct replay_pair *pr, char **buf)
{
	size_t l0, l1, len, o = 0;
	const char *l0s = p, *l1s, *q;

	if (p == e)
		return 0;
	l1s = line(p, e, &l0);
	if (l1s == e || (l0 >= 2 && l0s[0] == '-' && l0s[1] == '-'))
		return 0; /* fewer than two lines, or the closing boundary */
	q = line(l1s, e, &l1);
	if (!name_in(l1s, l1, pr))
		return 0;
	do { /* the first empty line from the third on */
		if (q == e)
			return -1;
		q = line(q, e, &len);
	} while (len != 0);
	*buf = xmalloc((size_t)(e - q) + 1);
	while (q < e) {
		const char *s = q;

		q = line(q, e, &len);
		memcpy(*buf + o, s, len);
		o += len;
	}
	pr->value = *buf;
	pr->vlen = o;
	return 1;
}

/* Walks the pieces; with fn NULL only checks that no piece voids it. */
static bool walk(const char *body, size_t n, const char *b, size_t blen,
		 bool (*fn)(const struct replay_pair *p, void *arg), void *arg, size_t *count)
{
	const char *e = body + n, *p = body;
	char *sep = xmalloc(blen + 2);
	bool ok = true;

	memcpy(sep, "--", 2);
	memcpy(sep + 2, b, blen);
	for (bool last = false; ok && !last;) {
		const char *hit = memmem(p, (size_t)(e - p), sep, blen + 2);
		const char *end = hit ? hit : e;
		struct replay_pair pr = {0};
		char *buf = NULL;
		int rc = piece(p, end, &pr, &buf);

		if (rc < 0)
			ok = false;
		else if (rc > 0 && ++*count && fn)
			fn(&pr, arg);
		free(buf);
		last = !hit;
		p = hit ? hit + blen + 2 : e;
	}
	free(sep);
	return ok;
}

bool replay_multipart(const char *ctype, const char *body, size_t n,
		      bool (*fn)(const struct replay_pair *p, void *arg), void *arg)
{
	const char *b;
	size_t blen, count = 0;

	if (!ctype || !strcasestr(ctype, "multipart/form-data") || !boundary_of(ctype, &b, &blen))
		return false;
	if (!walk(body, n, b, blen, NULL, NULL, &count) || count == 0)
		return false;
	count = 0;
	return walk(body, n, b, blen, fn, arg, &count);
}
