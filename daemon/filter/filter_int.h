/* Internal to the filter module: tokens, the expression tree, the operator
 * table and the text views of a flow the matchers search.  The expression
 * and the flows are untrusted (see filter.h). */
#ifndef SNARE_FILTER_FILTER_INT_H
#define SNARE_FILTER_FILTER_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter/filter.h"

#define FILTER_EXPR_MAX 8192	    /* bytes of one expression */
#define FILTER_DEPTH_MAX 64	    /* nested parentheses and `!` */
#define FILTER_MATCH_CAP (1u << 20) /* bytes of one body, header block or message searched */
#define FILTER_REGEX_NODES 4000	    /* a regex's estimated size once repetitions are expanded */

/* ---- tokens (lex.c) ---- */
enum ftok_kind { FT_END, FT_NOT, FT_AND, FT_OR, FT_LPAREN, FT_RPAREN, FT_OP, FT_WORD, FT_BAD };

struct ftok {
	enum ftok_kind kind;
	size_t col;	 /* 1-based byte column of its first character */
	char *text;	 /* FT_OP: the name with its "~"; FT_WORD: the value, unquoted;
			    FT_BAD: the offending text (owned by the token) */
	const char *why; /* FT_BAD: what is wrong */
};

struct flex {
	const char *s;
	size_t pos, len;
};

/* The next token.  `arg`: an operator's argument is expected, so a bare
 * word may start with `!`, `&` or `|` (as `~d !x` means the regex "!x"). */
void flex_next(struct flex *l, bool arg, struct ftok *t);
void ftok_clear(struct ftok *t);

/* Why a regex is refused before regcomp (recheck.c: repetitions that would
 * expand past FILTER_REGEX_NODES, back-references), or NULL. */
const char *filter_regex_refused(const char *re);

/* ---- the tree (parse.c) ---- */
struct fnode;
struct fctx;

/* FA_LINES: a regex over lines (a header block): ^ and $ also match at line
 * ends, . does not match a newline, as with Python's re.MULTILINE. */
enum farg { FA_NONE, FA_REGEX, FA_LINES, FA_INT };

struct filter_op {
	const char *name; /* with its "~" */
	enum farg arg;
	bool (*match)(const struct fnode *n, const struct fctx *c);
	const char *fixed_re; /* FA_NONE: a regex of the operator's own, compiled into the node */
	unsigned need;	      /* enum filter_need */
};

enum fnode_kind { FN_NOT, FN_AND, FN_OR, FN_OP };

struct fnode {
	enum fnode_kind kind;
	struct fnode *a, *b;	    /* FN_NOT: a; FN_AND, FN_OR: a and b */
	const struct filter_op *op; /* FN_OP */
	regex_t re;		    /* FA_REGEX, FA_LINES */
	bool has_re;		    /* re is compiled (and needs regfree) */
	unsigned num;		    /* FA_INT */
};

/* The operator named `name` ("~d"), or NULL. */
const struct filter_op *filter_op_find(const char *name);
/* Builds the tree of the whole expression; NULL with err filled. */
struct fnode *filter_parse(const char *expr, char *err, size_t errlen);
void fnode_free(struct fnode *n);

/* ---- matching (match_*.c) ---- */
struct fctx {
	const Snare__Flow *f;
	const struct filter_extra *x;
};

/* The regex searched in p[0..n), at most FILTER_MATCH_CAP bytes of it;
 * NUL bytes are data. */
bool fre_search(const regex_t *re, const uint8_t *p, size_t n);
bool fre_search_str(const regex_t *re, const char *s);

bool fnode_match(const struct fnode *n, const struct fctx *c);

/* The HTTP request or response, when the flow is HTTP and has it. */
const Snare__HttpRequest *fctx_request(const struct fctx *c);
const Snare__HttpResponse *fctx_response(const struct fctx *c);

/* Text views (flowtext.c), malloc'd: the request's pretty URL (the Host
 * header's name in place of the address, as mitmproxy's pretty_url), its
 * pretty host, "name: value\r\n" for each header, "host:port". */
char *ftext_url(const Snare__HttpRequest *r);
char *ftext_pretty_host(const Snare__HttpRequest *r);
char *ftext_headers(Snare__Header *const *h, size_t n, size_t *len);
char *ftext_addr(const Snare__Address *a);
/* The value of the first header `name` (case-insensitive), or NULL. */
const ProtobufCBinaryData *ftext_header(Snare__Header *const *h, size_t n, const char *name);

bool fm_body(const struct fnode *n, const struct fctx *c);
bool fm_body_req(const struct fnode *n, const struct fctx *c);
bool fm_body_resp(const struct fnode *n, const struct fctx *c);

extern const struct filter_op filter_ops[];
extern const size_t filter_nops;

#endif
