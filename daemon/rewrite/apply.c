/* Runs in the worker: the built-in rewrites applied to a flow record at
 * mitmproxy's hooks and in its order.  The flow's contents are untrusted
 * (regular expressions run on bodies with glibc's REG_STARTEND, so NUL
 * bytes are data); new values go into the caller's struct flowedit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite/rewrite.h"

static bool spec_matches(const struct rewrite_spec *s, const Snare__Flow *f,
			 const struct filter_extra *x)
{
	return !s->filter || filter_match(s->filter, f, x);
}

/* The output of a substitution, bounded by REWRITE_BODY_MAX. */
struct subbuf {
	char *p;
	size_t len, cap;
	bool full;
};

static void sb_put(struct subbuf *b, const void *p, size_t n)
{
	if (b->full || b->len + n > REWRITE_BODY_MAX) {
		b->full = true;
		return;
	}
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* The replacement for one match: repl as is, or (backrefs) with \0..\9
 * standing for the match and its groups, as Python's re.sub does. */
static void sb_replacement(struct subbuf *b, const uint8_t *s, const regex_t *re,
			   const regmatch_t *m, const char *repl, size_t rlen, bool backrefs)
{
	for (size_t i = 0; i < rlen; i++) {
		int g = -1;

		if (backrefs && repl[i] == '\\' && i + 1 < rlen && repl[i + 1] >= '0' &&
		    repl[i + 1] <= '9')
			g = repl[++i] - '0';
		if (g < 0)
			sb_put(b, repl + i, 1);
		else if ((size_t)g <= re->re_nsub && m[g].rm_so >= 0)
			sb_put(b, s + m[g].rm_so, m[g].rm_eo - m[g].rm_so);
	}
}

/* Every non-overlapping match of re in s[0..n) replaced.  0 and the new
 * bytes in *out (owned by e); 1 when nothing matched; -E2BIG when the
 * result would pass REWRITE_BODY_MAX. */
static int regex_sub(const regex_t *re, const uint8_t *s, size_t n, const char *repl, size_t rlen,
		     bool backrefs, struct flowedit *e, ProtobufCBinaryData *out)
{
	struct subbuf b = {0};
	size_t off = 0;
	bool any = false;
	regmatch_t m[10];
	int rc;
	/* glibc needs no terminator with REG_STARTEND, but the sanitizers'
	 * regexec reads up to one: run on a terminated copy. */
	char *z = xmalloc(n + 1);

	if (n)
		memcpy(z, s, n);
	z[n] = 0;
	s = (const uint8_t *)z;
	while (off <= n && !b.full) {
		m[0].rm_so = off;
		m[0].rm_eo = n;
		if (regexec(re, z, 10, m, REG_STARTEND | (off ? REG_NOTBOL : 0)))
			break;
		any = true;
		sb_put(&b, s + off, m[0].rm_so - off);
		sb_replacement(&b, s, re, m, repl, rlen, backrefs);
		off = m[0].rm_eo;
		if (m[0].rm_eo == m[0].rm_so) { /* an empty match: keep one byte and go on */
			if (off < n)
				sb_put(&b, s + off, 1);
			off++;
		}
	}
	if (off < n)
		sb_put(&b, s + off, n - off);
	rc = b.full ? -E2BIG : any ? 0 : 1;
	if (rc == 0)
		*out = flowedit_bytes(e, b.p, b.len);
	free(b.p);
	free(z);
	return rc;
}

static bool modify_body_one(const struct rewrite_spec *s, ProtobufCBinaryData *c,
			    protobuf_c_boolean has, struct flowedit *e)
{
	ProtobufCBinaryData out;

	if (!has || !s->replacement)
		return false;
	if (regex_sub(&s->re, c->data, c->len, s->replacement, s->replacement_len, false, e,
		      &out) != 0)
		return false;
	if (out.len == c->len && (out.len == 0 || memcmp(out.data, c->data, out.len) == 0))
		return false;
	*c = out;
	return true;
}

static unsigned modify_body(const struct rewrite_set *set, Snare__Flow *f,
			    const struct filter_extra *x, struct flowedit *e)
{
	unsigned ch = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct rewrite_spec *s = &set->v[i];
		if (s->kind != REWRITE_MODIFY_BODY || !spec_matches(s, f, x))
			continue;
		if (f->response &&
		    modify_body_one(s, &f->response->content, f->response->has_content, e))
			ch |= REWRITE_CH_RESPONSE;
		else if (!f->response && f->request &&
			 modify_body_one(s, &f->request->content, f->request->has_content, e))
			ch |= REWRITE_CH_REQUEST;
	}
	return ch;
}

/* mitmproxy's order: every filter against the flow as it came, then the
 * named headers removed, then the non-empty values added. */
static bool modify_headers(const struct rewrite_set *set, const Snare__Flow *f,
			   const struct filter_extra *x, Snare__Header ***hs, size_t *n,
			   struct flowedit *e)
{
	bool *match = xcalloc(set->n ? set->n : 1, sizeof(*match)), any = false;

	for (size_t i = 0; i < set->n; i++)
		match[i] = set->v[i].kind == REWRITE_MODIFY_HEADERS && set->v[i].replacement &&
			   spec_matches(&set->v[i], f, x);
	for (size_t i = 0; i < set->n; i++) {
		size_t from = 0;
		if (match[i] && flowedit_header_next(*hs, *n, set->v[i].subject, &from)) {
			flowedit_header_remove(e, hs, n, set->v[i].subject);
			any = true;
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		if (match[i] && set->v[i].replacement_len) {
			flowedit_header_add(e, hs, n, set->v[i].subject, set->v[i].replacement,
					    set->v[i].replacement_len);
			any = true;
		}
	}
	free(match);
	return any;
}

static unsigned map_remote(const struct rewrite_set *set, Snare__Flow *f,
			   const struct filter_extra *x, struct flowedit *e)
{
	unsigned ch = 0;
	char url[8192];

	for (size_t i = 0; i < set->n; i++) {
		const struct rewrite_spec *s = &set->v[i];
		ProtobufCBinaryData out;
		char *nu;

		if (s->kind != REWRITE_MAP_REMOTE || !spec_matches(s, f, x) ||
		    !flowedit_request_url(f->request, url, sizeof(url)))
			continue;
		if (regex_sub(&s->re, (const uint8_t *)url, strlen(url), s->replacement,
			      s->replacement_len, true, e, &out) != 0)
			continue;
		nu = flowedit_strndup(e, (const char *)out.data, out.len);
		if (strcmp(nu, url) != 0 && flowedit_request_set_url(e, f->request, nu) == 0)
			ch |= REWRITE_CH_REQUEST;
	}
	return ch;
}

static unsigned block_list(const struct rewrite_set *set, Snare__Flow *f,
			   const struct filter_extra *x, struct flowedit *e)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct rewrite_spec *s = &set->v[i];
		Snare__HttpResponse *r;
		Snare__Header **hs = NULL;
		size_t nh = 0;

		if (s->kind != REWRITE_BLOCK_LIST || !spec_matches(s, f, x))
			continue;
		if (s->status == REWRITE_NO_RESPONSE)
			return REWRITE_CH_KILL;
		r = flowedit_alloc(e, sizeof(*r));
		snare__http_response__init(r);
		r->http_version = flowedit_strdup(e, "HTTP/1.1");
		r->has_status_code = r->has_content = r->has_content_length = 1;
		r->status_code = s->status;
		r->reason = flowedit_strdup(e, "");
		flowedit_header_add(e, &hs, &nh, "Server", "snare", 5);
		r->headers = hs;
		r->n_headers = nh;
		f->response = r;
		return REWRITE_CH_RESPONSE | REWRITE_CH_LOCAL_RESPONSE;
	}
	return 0;
}

static unsigned anti(const struct rewrite_set *set, Snare__HttpRequest *r, struct flowedit *e)
{
	static const char *const cache_headers[] = {"if-modified-since", "if-none-match"};
	unsigned ch = 0;

	for (size_t i = 0; set->anticache && i < ARRAY_SIZE(cache_headers); i++) {
		size_t from = 0;
		if (flowedit_header_next(r->headers, r->n_headers, cache_headers[i], &from)) {
			flowedit_header_remove(e, &r->headers, &r->n_headers, cache_headers[i]);
			ch = REWRITE_CH_REQUEST;
		}
	}
	if (set->anticomp) {
		char v[64];
		const char *cur =
		    flowedit_header_get(r->headers, r->n_headers, "accept-encoding", v, sizeof(v));
		if (!cur || strcmp(cur, "identity") != 0) {
			flowedit_header_set(e, &r->headers, &r->n_headers, "accept-encoding",
					    "identity", 8);
			ch = REWRITE_CH_REQUEST;
		}
	}
	return ch;
}

unsigned rewrite_apply(const struct rewrite_set *set, enum rewrite_hook hook,
		       enum rewrite_group group, Snare__Flow *f, const struct filter_extra *x,
		       struct flowedit *e)
{
	bool on_request = hook == REWRITE_REQUESTHEADERS || hook == REWRITE_REQUEST;
	unsigned ch = 0;

	if (!f->request || (on_request && f->response))
		return 0;
	if (group == REWRITE_BEFORE_SCRIPTS) {
		if (hook != REWRITE_REQUEST)
			return 0;
		ch = block_list(set, f, x, e);
		if (!ch)
			ch = anti(set, f->request, e);
		return ch;
	}
	if (hook == REWRITE_REQUEST)
		ch |= map_remote(set, f, x, e);
	if (hook == REWRITE_REQUEST || hook == REWRITE_RESPONSE)
		ch |= modify_body(set, f, x, e);
	if (hook == REWRITE_REQUESTHEADERS &&
	    modify_headers(set, f, x, &f->request->headers, &f->request->n_headers, e))
		ch |= REWRITE_CH_REQUEST;
	if (hook == REWRITE_RESPONSEHEADERS && f->response &&
	    modify_headers(set, f, x, &f->response->headers, &f->response->n_headers, e))
		ch |= REWRITE_CH_RESPONSE;
	return ch;
}
