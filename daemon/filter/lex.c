/* The filter expression's tokens: `!`, `&`, `|`, parentheses, operators
 * (`~` and letters), and words, bare or quoted.  As in mitmproxy, a bare
 * word runs to whitespace, a parenthesis, `~` or a quote; a quoted one
 * ('...' or "...") takes backslash escapes.  The text is untrusted. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_int.h"

static bool word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("()~'\"", c);
}

static void tok_bad(struct ftok *t, size_t col, char *text, const char *why)
{
	t->kind = FT_BAD;
	t->col = col;
	t->text = text;
	t->why = why;
}

/* A quoted word from l->pos (at the quote).  `\q` for the quote and `\\`
 * give the character itself; any other escape is kept as it is, so regex
 * escapes such as `\.` reach the regex. */
static void lex_quoted(struct flex *l, struct ftok *t)
{
	char q = l->s[l->pos];
	size_t start = l->pos++, n = 0;
	char *out = xmalloc(l->len - start + 1);

	while (l->pos < l->len && l->s[l->pos] != q) {
		char c = l->s[l->pos++];

		if (c == '\\' && l->pos < l->len && (l->s[l->pos] == q || l->s[l->pos] == '\\'))
			c = l->s[l->pos++];
		out[n++] = c;
	}
	if (l->pos >= l->len) {
		free(out);
		tok_bad(t, start + 1, xstrndup(l->s + start, 1), "string not closed");
		return;
	}
	l->pos++;
	out[n] = '\0';
	t->kind = FT_WORD;
	t->col = start + 1;
	t->text = out;
}

static void lex_span(struct flex *l, struct ftok *t, enum ftok_kind kind, size_t start)
{
	t->kind = kind;
	t->col = start + 1;
	t->text = xstrndup(l->s + start, l->pos - start);
}

void flex_next(struct flex *l, bool arg, struct ftok *t)
{
	static const char single[] = "!&|()";
	static const enum ftok_kind kinds[] = {FT_NOT, FT_AND, FT_OR, FT_LPAREN, FT_RPAREN};
	size_t start;
	const char *p;

	*t = (struct ftok){0};
	while (l->pos < l->len && isspace((unsigned char)l->s[l->pos]))
		l->pos++;
	start = l->pos;
	if (l->pos >= l->len) {
		t->kind = FT_END;
		t->col = l->pos + 1;
		return;
	}
	if (l->s[l->pos] == '"' || l->s[l->pos] == '\'')
		return lex_quoted(l, t);
	if ((p = strchr(single, l->s[l->pos])) && *p && !(arg && p < single + 3)) {
		l->pos++;
		return lex_span(l, t, kinds[p - single], start);
	}
	if (l->s[l->pos] == '~') {
		l->pos++;
		while (l->pos < l->len && isalnum((unsigned char)l->s[l->pos]))
			l->pos++;
		return lex_span(l, t, FT_OP, start);
	}
	while (l->pos < l->len && word_char(l->s[l->pos]))
		l->pos++;
	lex_span(l, t, FT_WORD, start);
}

void ftok_clear(struct ftok *t)
{
	free(t->text);
	t->text = NULL;
}
