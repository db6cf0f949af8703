/* Runs where options are read (the coordinator) and in tests: parsing the
 * rewrite options' values, untrusted text.  The value is split at its
 * first character as mitmproxy splits it (into at most three parts, so the
 * replacement may hold the separator); subjects and replacements take
 * Python's string escapes (\n, \x41, \\ ...), as mitmproxy's do. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite/rewrite.h"
/* The filter engine's bound on a regex's cost before regcomp (stacked and
 * nested repetitions, back-references): one rule for both modules. */
#include "filter/filter_int.h"

static const char *const rewrite_names[REWRITE_KIND_COUNT] = {
    [REWRITE_MODIFY_HEADERS] = "modify_headers", [REWRITE_MODIFY_BODY] = "modify_body",
    [REWRITE_MAP_REMOTE] = "map_remote",	 [REWRITE_MAP_LOCAL] = "map_local",
    [REWRITE_BLOCK_LIST] = "block_list",
};

const char *rewrite_kind_name(enum rewrite_kind k)
{
	return (unsigned)k < REWRITE_KIND_COUNT ? rewrite_names[k] : "?";
}

int rewrite_kind_from_name(const char *name)
{
	for (int i = 0; i < REWRITE_KIND_COUNT; i++)
		if (strcmp(rewrite_names[i], name) == 0)
			return i;
	return -1;
}

static int spec_err(char *err, size_t errlen, const struct rewrite_spec *s, const char *fmt, ...)
    SNARE_PRINTF(4, 5);
static int spec_err(char *err, size_t errlen, const struct rewrite_spec *s, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", rewrite_kind_name(s->kind));

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	/* One line: control bytes the option brought in are shown as '?'. */
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Python's escape decoding: \\ \' \" \a \b \f \n \r \t \v \xHH \ooo; an
 * unknown escape stays as written.  Writes at most n bytes into out. */
static int unescape(const char *s, size_t n, char *out, size_t *outlen)
{
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p;
		if (s[i] != '\\' || i + 1 == n) {
			out[k++] = s[i];
			continue;
		}
		i++;
		if ((p = strchr(from, s[i])) && s[i]) {
			out[k++] = to[p - from];
		} else if (s[i] == 'x') {
			if (i + 2 >= n + 0 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -EINVAL;
			out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] >= '0' && s[i] <= '7') {
			unsigned v = 0, d = 0;
			for (; d < 3 && i < n && s[i] >= '0' && s[i] <= '7'; d++, i++)
				v = v * 8 + (s[i] - '0');
			i--;
			out[k++] = (char)(v & 0xff);
		} else {
			out[k++] = '\\';
			out[k++] = s[i];
		}
	}
	out[k] = 0;
	*outlen = k;
	return 0;
}

struct spec_parts {
	const char *p[3];
	size_t len[3];
	int n;
};

/* Splits "SEP a SEP b [SEP c]" into at most three parts. */
static void split_spec(const char *option, struct spec_parts *sp)
{
	char sep = option[0];
	const char *cur = option + 1;

	sp->n = 0;
	while (sp->n < 3) {
		const char *next = sp->n < 2 ? strchr(cur, sep) : NULL;
		sp->p[sp->n] = cur;
		sp->len[sp->n] = next ? (size_t)(next - cur) : strlen(cur);
		sp->n++;
		if (!next)
			break;
		cur = next + 1;
	}
}

static char *dup_unescaped(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(2 * n + 1);

	if (unescape(s, n, out, outlen) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int spec_filter(struct rewrite_spec *s, const char *text, size_t n, char *err, size_t errlen)
{
	char *expr = xstrndup(text, n), ferr[256];
	int rc = filter_compile(expr, &s->filter, ferr, sizeof(ferr));

	free(expr);
	if (rc == -EINVAL)
		return spec_err(err, errlen, s, "bad flow filter: %s", ferr);
	return rc;
}

static int spec_regex(struct rewrite_spec *s, char *err, size_t errlen)
{
	char msg[128];
	const char *why = filter_regex_refused(s->subject);
	int rc;

	if (why)
		return spec_err(err, errlen, s, "regular expression refused: %s", why);
	rc = regcomp(&s->re, s->subject, REG_EXTENDED);

	if (rc != 0) {
		regerror(rc, &s->re, msg, sizeof(msg));
		return spec_err(err, errlen, s, "bad regular expression \"%s\": %s", s->subject,
				msg);
	}
	s->has_re = true;
	return 0;
}

static bool header_safe(const char *v, size_t n)
{
	return !memchr(v, '\r', n) && !memchr(v, '\n', n) && !memchr(v, 0, n);
}

static int spec_block(struct rewrite_spec *s, const struct spec_parts *sp, char *err, size_t errlen)
{
	char *end;
	unsigned long st;

	if (sp->n != 2)
		return spec_err(err, errlen, s,
				"\"/flow-filter/status\" expected (2 parts, got %d)", sp->n);
	if (sp->len[0] == 0)
		return spec_err(err, errlen, s, "empty flow filter");
	st = strtoul(sp->p[1], &end, 10);
	if (sp->len[1] == 0 || end != sp->p[1] + sp->len[1] || st < 100 || st > 999)
		return spec_err(err, errlen, s, "bad HTTP status code \"%.*s\"", (int)sp->len[1],
				sp->p[1]);
	s->status = (unsigned)st;
	return spec_filter(s, sp->p[0], sp->len[0], err, errlen);
}

/* The subject and replacement parts (the last two) of the other kinds. */
static int spec_subject(struct rewrite_spec *s, const char *p, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return spec_err(err, errlen, s, "empty %s",
				s->kind == REWRITE_MODIFY_HEADERS ? "header name"
								  : "regular expression");
	s->subject = dup_unescaped(p, n, &s->subject_len);
	if (!s->subject)
		return spec_err(err, errlen, s, "bad \\x escape in \"%.*s\"", (int)n, p);
	if (s->kind == REWRITE_MODIFY_HEADERS) {
		if (!header_safe(s->subject, s->subject_len) || strpbrk(s->subject, ": \t"))
			return spec_err(err, errlen, s, "bad header name \"%.*s\"", (int)n, p);
		return 0;
	}
	if (strlen(s->subject) != s->subject_len)
		return spec_err(err, errlen, s, "NUL byte in the regular expression");
	return spec_regex(s, err, errlen);
}

static int spec_replacement(struct rewrite_spec *s, const char *p, size_t n, char *err,
			    size_t errlen)
{
	if (s->kind == REWRITE_MAP_LOCAL ||
	    (n >= 1 && p[0] == '@' && s->kind != REWRITE_MAP_REMOTE)) {
		size_t skip = s->kind == REWRITE_MAP_LOCAL ? 0 : 1;
		if (n <= skip || memchr(p, 0, n))
			return spec_err(err, errlen, s, "empty file path");
		s->file = xstrndup(p + skip, n - skip);
		s->local_is_dir = p[n - 1] == '/';
		return 0;
	}
	if (s->kind == REWRITE_MAP_REMOTE) {
		s->replacement = xstrndup(p, n);
		s->replacement_len = n;
		return 0;
	}
	s->replacement = dup_unescaped(p, n, &s->replacement_len);
	if (!s->replacement)
		return spec_err(err, errlen, s, "bad \\x escape in \"%.*s\"", (int)n, p);
	if (s->kind == REWRITE_MODIFY_HEADERS && !header_safe(s->replacement, s->replacement_len))
		return spec_err(err, errlen, s, "CR, LF or NUL in the header value");
	return 0;
}

int rewrite_parse(enum rewrite_kind kind, const char *option, struct rewrite_spec *out, char *err,
		  size_t errlen)
{
	struct spec_parts sp;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if ((unsigned)kind >= REWRITE_KIND_COUNT)
		return -EINVAL;
	if (!option[0] || strlen(option) > REWRITE_OPTION_MAX)
		return spec_err(err, errlen, out, "empty or longer than %d bytes",
				REWRITE_OPTION_MAX);
	split_spec(option, &sp);
	if (kind == REWRITE_BLOCK_LIST)
		rc = spec_block(out, &sp, err, errlen);
	else if (sp.n < 2)
		rc = spec_err(err, errlen, out,
			      "\"[/flow-filter]/subject/replacement\" expected (got 1 part; the "
			      "first character, '%c', is the separator)",
			      option[0]);
	else
		rc = (sp.n == 3 ? spec_filter(out, sp.p[0], sp.len[0], err, errlen) : 0);
	if (rc == 0 && kind != REWRITE_BLOCK_LIST)
		rc = spec_subject(out, sp.p[sp.n - 2], sp.len[sp.n - 2], err, errlen);
	if (rc == 0 && kind != REWRITE_BLOCK_LIST)
		rc = spec_replacement(out, sp.p[sp.n - 1], sp.len[sp.n - 1], err, errlen);
	if (rc < 0)
		rewrite_spec_free(out);
	return rc;
}

void rewrite_spec_free(struct rewrite_spec *s)
{
	if (s->filter)
		filter_free(s->filter);
	if (s->has_re)
		regfree(&s->re);
	free(s->subject);
	free(s->replacement);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

int rewrite_spec_set_file(struct rewrite_spec *s, const void *data, size_t len, char *err,
			  size_t errlen)
{
	if (s->kind == REWRITE_MODIFY_HEADERS && !header_safe(data, len))
		return spec_err(err, errlen, s, "CR, LF or NUL in the header value read from %s",
				s->file ? s->file : "?");
	free(s->replacement);
	s->replacement = xmalloc(len + 1);
	memcpy(s->replacement, data, len);
	s->replacement[len] = 0;
	s->replacement_len = len;
	return 0;
}

int rewrite_set_add(struct rewrite_set *set, enum rewrite_kind kind, const char *option, char *err,
		    size_t errlen)
{
	struct rewrite_spec s;
	int rc = rewrite_parse(kind, option, &s, err, errlen);

	if (rc < 0)
		return rc;
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = s;
	return 0;
}

void rewrite_set_free(struct rewrite_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		rewrite_spec_free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}
