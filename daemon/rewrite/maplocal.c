/* Runs in the worker: map_local's file candidates for a request (the URL
 * is untrusted: a candidate never leaves the spec's directory) and the
 * response made from the file the caller read, since workers open none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rewrite/rewrite.h"

#define LOCAL_MAX_CANDIDATES 4

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoding, in place. */
static void url_unquote(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '%' && unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
			*w++ = (char)(unhex(s[1]) * 16 + unhex(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

/* dir + "/" + rel when rel stays below dir: no "..", no NUL (the decoded
 * suffix is cut at one), empty and "." parts dropped.  NULL otherwise. */
static char *safe_join(const char *dir, const char *rel, const char *tail)
{
	size_t cap = strlen(dir) + strlen(rel) + strlen(tail) + 3, len;
	char *out = xmalloc(cap), *copy = xstrdup(rel), *save = NULL;

	len = (size_t)snprintf(out, cap, "%s", dir);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = 0;
	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, "..") == 0) {
			free(out);
			free(copy);
			return NULL;
		}
		if (strcmp(part, ".") != 0)
			len += (size_t)snprintf(out + len, cap - len, "/%s", part);
	}
	snprintf(out + len, cap - len, "%s", tail);
	free(copy);
	return out;
}

/* The part of the URL a directory spec serves: the first group, or what
 * follows the match without its query, '/' trimmed. */
static char *local_suffix(const struct rewrite_spec *s, const char *url)
{
	regmatch_t m[2];
	const char *p;
	size_t n;

	if (regexec(&s->re, url, 2, m, 0) != 0)
		return NULL;
	if (s->re.re_nsub > 0 && m[1].rm_so >= 0) {
		p = url + m[1].rm_so;
		n = m[1].rm_eo - m[1].rm_so;
	} else {
		p = url + m[0].rm_eo;
		n = strcspn(p, "?");
	}
	while (n && *p == '/')
		p++, n--;
	while (n && p[n - 1] == '/')
		n--;
	return xstrndup(p, n);
}

static void add_candidate(char **v, size_t *n, char *path)
{
	if (path && *n < LOCAL_MAX_CANDIDATES)
		v[(*n)++] = path;
	else
		free(path);
}

/* mitmproxy's candidates: the decoded suffix, then with /index.html, then
 * the same with odd bytes made '_'. */
static void dir_candidates(const struct rewrite_spec *s, const char *url, char **v, size_t *n)
{
	char *suf = local_suffix(s, url), *esc;

	if (!suf)
		return;
	url_unquote(suf);
	if (!*suf) {
		add_candidate(v, n, safe_join(s->file, "", "/index.html"));
		free(suf);
		return;
	}
	esc = xstrdup(suf);
	for (char *c = esc; *c; c++)
		if (!strchr(
			"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.=(),/",
			*c))
			*c = '_';
	add_candidate(v, n, safe_join(s->file, suf, ""));
	add_candidate(v, n, safe_join(s->file, suf, "/index.html"));
	if (strcmp(esc, suf) != 0) {
		add_candidate(v, n, safe_join(s->file, esc, ""));
		add_candidate(v, n, safe_join(s->file, esc, "/index.html"));
	}
	free(esc);
	free(suf);
}

static bool local_matches(const struct rewrite_spec *s, const Snare__Flow *flow,
			  const struct filter_extra *x, const char *url)
{
	regmatch_t m;

	return s->kind == REWRITE_MAP_LOCAL && (!s->filter || filter_match(s->filter, flow, x)) &&
	       regexec(&s->re, url, 1, &m, 0) == 0;
}

bool rewrite_map_local_matches(const struct rewrite_set *set, const Snare__Flow *flow,
			       const struct filter_extra *x)
{
	char url[8192];

	if (!flow->request || flow->response ||
	    !flowedit_request_url(flow->request, url, sizeof(url)))
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (local_matches(&set->v[i], flow, x, url))
			return true;
	return false;
}

int rewrite_map_local_candidates(const struct rewrite_set *set, const Snare__Flow *flow,
				 const struct filter_extra *x, char ***paths, size_t *n)
{
	char url[8192];

	*paths = NULL;
	*n = 0;
	if (!flow->request || flow->response ||
	    !flowedit_request_url(flow->request, url, sizeof(url)))
		return 0;
	for (size_t i = 0; i < set->n && *n == 0; i++) {
		const struct rewrite_spec *s = &set->v[i];

		if (!local_matches(s, flow, x, url))
			continue;
		*paths = xcalloc(LOCAL_MAX_CANDIDATES, sizeof(**paths));
		if (!s->local_is_dir)
			add_candidate(*paths, n, xstrdup(s->file));
		else
			dir_candidates(s, url, *paths, n);
		if (*n == 0) {
			free(*paths);
			*paths = NULL;
		}
	}
	return 0;
}

void rewrite_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static const struct {
	const char *ext, *type;
} mime_types[] = {
    {"html", "text/html"},	  {"htm", "text/html"},	      {"css", "text/css"},
    {"js", "text/javascript"},	  {"mjs", "text/javascript"}, {"json", "application/json"},
    {"txt", "text/plain"},	  {"xml", "application/xml"}, {"svg", "image/svg+xml"},
    {"png", "image/png"},	  {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},	  {"webp", "image/webp"},     {"ico", "image/vnd.microsoft.icon"},
    {"wasm", "application/wasm"}, {"pdf", "application/pdf"}, {"woff2", "font/woff2"},
    {"mp4", "video/mp4"},	  {"csv", "text/csv"},
};

static const char *mime_guess(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (!dot || (slash && dot < slash))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(mime_types); i++)
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return NULL;
}

void rewrite_map_local_serve(Snare__Flow *flow, const char *path, const void *data, size_t len,
			     struct flowedit *e)
{
	Snare__HttpResponse *r = flowedit_alloc(e, sizeof(*r));
	Snare__Header **hs = NULL;
	size_t nh = 0;
	const char *type = data && path ? mime_guess(path) : NULL;

	snare__http_response__init(r);
	r->http_version = flowedit_strdup(e, "HTTP/1.1");
	r->has_status_code = r->has_content = r->has_content_length = 1;
	r->status_code = data ? 200 : 404;
	r->reason = flowedit_strdup(e, data ? "OK" : "Not Found");
	r->content = flowedit_bytes(e, data, data ? len : 0);
	r->content_length = r->content.len;
	flowedit_header_add(e, &hs, &nh, "Server", "snare", 5);
	if (type)
		flowedit_header_add(e, &hs, &nh, "Content-Type", type, strlen(type));
	r->headers = hs;
	r->n_headers = nh;
	flow->response = r;
}
