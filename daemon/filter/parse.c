/* Recursive descent from tokens to the expression tree:
 *   or   := and ( "|" and )*
 *   and  := not ( ["&"] not )*        juxtaposition is "&"
 *   not  := "!" not | atom
 *   atom := "(" or ")" | OP [argument] | WORD   (a bare word is ~u)
 * Errors name the token and its column.  The text is untrusted: its length
 * and nesting are bounded. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "filter/filter_int.h"

struct parser {
	struct flex lex;
	struct ftok tok; /* the current token */
	int depth;
	char *err;
	size_t errlen;
	bool failed;
};

static void advance(struct parser *p, bool arg)
{
	ftok_clear(&p->tok);
	flex_next(&p->lex, arg, &p->tok);
}

static const char *tok_name(const struct ftok *t)
{
	return t->kind == FT_END ? "end of expression" : t->text;
}

/* "<token>: <why> at column <n>", once (the first error wins). */
SNARE_PRINTF(3, 4)
static struct fnode *fail(struct parser *p, const struct ftok *t, const char *fmt, ...)
{
	char why[256], name[80];
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* the token is untrusted text: one line, escaped, at most 64 bytes of it */
	esc_str(name, sizeof(name), (const uint8_t *)tok_name(t), strnlen(tok_name(t), 64), "");
	snprintf(p->err, p->errlen, "%s: %s at column %zu", name, why, t->col);
	return NULL;
}

static struct fnode *node_new(enum fnode_kind kind, struct fnode *a, struct fnode *b)
{
	struct fnode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->a = a;
	n->b = b;
	return n;
}

void fnode_free(struct fnode *n)
{
	if (!n)
		return;
	fnode_free(n->a);
	fnode_free(n->b);
	if (n->has_re)
		regfree(&n->re);
	free(n);
}

static struct fnode *parse_or(struct parser *p);

/* The argument of op at the current token (read in argument mode). */
static struct fnode *op_arg(struct parser *p, struct fnode *n, const struct ftok *optok)
{
	const char *why;
	char msg[128];
	int rc;

	if (p->tok.kind == FT_BAD)
		return fail(p, &p->tok, "%s", p->tok.why);
	if (p->tok.kind != FT_WORD)
		return fail(p, optok, "needs %s",
			    n->op->arg == FA_INT ? "a number" : "a regular expression");
	if (n->op->arg == FA_INT) {
		char *end;
		unsigned long v = strtoul(p->tok.text, &end, 10);

		if (!p->tok.text[0] || *end || p->tok.text[0] == '-' || p->tok.text[0] == '+' ||
		    v > 999)
			return fail(p, &p->tok, "not a status code (0 to 999)");
		n->num = (unsigned)v;
		return n;
	}
	if ((why = filter_regex_refused(p->tok.text)))
		return fail(p, &p->tok, "invalid regular expression (%s)", why);
	rc = regcomp(&n->re, p->tok.text,
		     REG_EXTENDED | REG_ICASE | REG_NOSUB |
			 (n->op->arg == FA_LINES ? REG_NEWLINE : 0));
	if (rc != 0) {
		regerror(rc, &n->re, msg, sizeof(msg));
		return fail(p, &p->tok, "invalid regular expression (%s)", msg);
	}
	n->has_re = true;
	return n;
}

/* OP [argument], or a bare word as ~u. */
static struct fnode *parse_op(struct parser *p)
{
	struct ftok optok = p->tok;
	struct fnode *n = node_new(FN_OP, NULL, NULL);

	p->tok.text = NULL; /* optok owns it now */
	n->op = filter_op_find(optok.kind == FT_WORD ? "~u" : optok.text);
	if (!n->op) {
		fail(p, &optok, "unknown operator");
		goto bad;
	}
	if (optok.kind == FT_WORD) {
		p->tok = optok;
		optok.text = NULL;
	} else if (n->op->arg != FA_NONE) {
		advance(p, true);
	}
	if (n->op->fixed_re &&
	    regcomp(&n->re, n->op->fixed_re, REG_EXTENDED | REG_ICASE | REG_NOSUB))
		fatal("filter: %s's own regex does not compile", n->op->name);
	n->has_re = n->op->fixed_re != NULL;
	if (n->op->arg != FA_NONE && !op_arg(p, n, &optok))
		goto bad;
	advance(p, false);
	ftok_clear(&optok);
	return n;
bad:
	ftok_clear(&optok);
	fnode_free(n);
	return NULL;
}

static struct fnode *parse_atom(struct parser *p)
{
	struct ftok open;
	struct fnode *n;

	switch (p->tok.kind) {
	case FT_OP:
	case FT_WORD:
		return parse_op(p);
	case FT_LPAREN:
		open = (struct ftok){.kind = FT_LPAREN, .col = p->tok.col, .text = "("};
		advance(p, false);
		if (!(n = parse_or(p)))
			return NULL;
		if (p->tok.kind != FT_RPAREN) {
			fnode_free(n);
			return fail(p, &open, "not closed");
		}
		advance(p, false);
		return n;
	case FT_BAD:
		return fail(p, &p->tok, "%s", p->tok.why);
	default:
		return fail(p, &p->tok, "%s",
			    p->tok.kind == FT_END ? "operand expected" : "unexpected");
	}
}

static struct fnode *parse_not(struct parser *p)
{
	struct fnode *n;

	if (++p->depth > FILTER_DEPTH_MAX) {
		n = fail(p, &p->tok, "nested too deeply (more than %d)", FILTER_DEPTH_MAX);
	} else if (p->tok.kind == FT_NOT) {
		advance(p, false);
		n = parse_not(p);
		n = n ? node_new(FN_NOT, n, NULL) : NULL;
	} else {
		n = parse_atom(p);
	}
	p->depth--;
	return n;
}

static bool starts_operand(enum ftok_kind k)
{
	return k == FT_NOT || k == FT_LPAREN || k == FT_OP || k == FT_WORD || k == FT_BAD;
}

static struct fnode *parse_and(struct parser *p)
{
	struct fnode *n = parse_not(p), *r;

	while (n && (p->tok.kind == FT_AND || starts_operand(p->tok.kind))) {
		if (p->tok.kind == FT_AND)
			advance(p, false);
		if (!(r = parse_not(p))) {
			fnode_free(n);
			return NULL;
		}
		n = node_new(FN_AND, n, r);
	}
	return n;
}

static struct fnode *parse_or(struct parser *p)
{
	struct fnode *n = parse_and(p), *r;

	while (n && p->tok.kind == FT_OR) {
		advance(p, false);
		if (!(r = parse_and(p))) {
			fnode_free(n);
			return NULL;
		}
		n = node_new(FN_OR, n, r);
	}
	return n;
}

struct fnode *filter_parse(const char *expr, char *err, size_t errlen)
{
	struct parser p = {.lex = {expr, 0, strlen(expr)}, .err = err, .errlen = errlen};
	struct fnode *n = NULL;

	if (p.lex.len > FILTER_EXPR_MAX) {
		snprintf(err, errlen, "filter expression: longer than %d bytes at column %d",
			 FILTER_EXPR_MAX, FILTER_EXPR_MAX + 1);
		return NULL;
	}
	advance(&p, false);
	if (p.tok.kind == FT_END)
		fail(&p, &p.tok, "empty filter expression");
	else if ((n = parse_or(&p)) && p.tok.kind != FT_END) {
		fail(&p, &p.tok, "%s", p.tok.kind == FT_BAD ? p.tok.why : "unexpected");
		fnode_free(n);
		n = NULL;
	}
	ftok_clear(&p.tok);
	return n;
}
