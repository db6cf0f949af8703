/* mitmproxy's built-in rewrites with its option names and syntax
 * (man/snare-scripting.7): modify_headers, modify_body, map_remote,
 * map_local, block_list, anticache and anticomp.  An option value is
 * "[SEP flow-filter] SEP subject SEP replacement" where SEP is its first
 * character (block_list: SEP flow-filter SEP status); the filter is
 * mitmproxy's (daemon/filter), the regular expressions POSIX extended.
 *
 * Parsing runs where options are read (untrusted text, one-line errors);
 * applying runs in the worker on the flow record, writing new values into
 * memory owned by a struct flowedit (daemon/flowedit/flowedit.h).  Workers
 * open no files: "@file" replacements and map_local's files are read by
 * the caller and handed in (rewrite_spec_set_file, rewrite_map_local_*). */
#ifndef SNARE_REWRITE_H
#define SNARE_REWRITE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "filter/filter.h"
#include "flow.pb-c.h"
#include "flowedit/flowedit.h"

#define REWRITE_BODY_MAX (32u << 20) /* a rewritten body never grows past this */
#define REWRITE_OPTION_MAX 8192	     /* bytes of one option value */
#define REWRITE_NO_RESPONSE 444	     /* block_list: hang up instead of answering */

enum rewrite_kind {
	REWRITE_MODIFY_HEADERS,
	REWRITE_MODIFY_BODY,
	REWRITE_MAP_REMOTE,
	REWRITE_MAP_LOCAL,
	REWRITE_BLOCK_LIST,
	REWRITE_KIND_COUNT
};
/* "modify_headers", ...; -1 for another name. */
const char *rewrite_kind_name(enum rewrite_kind k);
int rewrite_kind_from_name(const char *name);

struct rewrite_spec {
	enum rewrite_kind kind;
	struct filter *filter; /* NULL: every flow */
	char *subject;	       /* header name or regular expression (unescaped) */
	size_t subject_len;
	regex_t re; /* modify_body, map_remote, map_local */
	bool has_re;
	char *replacement; /* unescaped bytes; NULL while a file is awaited */
	size_t replacement_len;
	char *file;	   /* "@file" (modify_*) or map_local's path, as written */
	bool local_is_dir; /* map_local: set by the caller that looked (default: path ends in /) */
	unsigned status;   /* block_list */
};

/* Parses one option value.  0; -EINVAL with one line in err (which
 * option, what is wrong); -ENOMEM.  Free with rewrite_spec_free. */
int rewrite_parse(enum rewrite_kind kind, const char *option, struct rewrite_spec *out, char *err,
		  size_t errlen) SNARE_MUST_CHECK;
void rewrite_spec_free(struct rewrite_spec *s);
/* The contents of an "@file" replacement, read by the caller.  -EINVAL
 * (with err) for a header value holding CR, LF or NUL. */
int rewrite_spec_set_file(struct rewrite_spec *s, const void *data, size_t len, char *err,
			  size_t errlen) SNARE_MUST_CHECK;

struct rewrite_set {
	struct rewrite_spec *v;
	size_t n;
	bool anticache; /* drop If-None-Match and If-Modified-Since from requests */
	bool anticomp;	/* ask servers for identity encoding */
};
int rewrite_set_add(struct rewrite_set *set, enum rewrite_kind kind, const char *option, char *err,
		    size_t errlen) SNARE_MUST_CHECK;
void rewrite_set_free(struct rewrite_set *set);

/* The hooks the rewrites run at, and in which group: mitmproxy runs
 * block_list, anticache and anticomp before the scripts and map_remote,
 * map_local, modify_body and modify_headers after them. */
enum rewrite_hook {
	REWRITE_REQUESTHEADERS,
	REWRITE_REQUEST,
	REWRITE_RESPONSEHEADERS,
	REWRITE_RESPONSE
};
enum rewrite_group { REWRITE_BEFORE_SCRIPTS, REWRITE_AFTER_SCRIPTS };

/* What an apply changed. */
enum {
	REWRITE_CH_REQUEST = 1u << 0,
	REWRITE_CH_RESPONSE = 1u << 1,
	REWRITE_CH_LOCAL_RESPONSE = 1u << 2, /* block_list answered */
	REWRITE_CH_KILL = 1u << 3,	     /* block_list 444 */
};

/* Runs the rewrites of one hook and group on flow, in mitmproxy's order,
 * each filter matched against the flow as the previous rewrites left it
 * (modify_headers: all filters against the flow before any of them).
 * Nothing runs on a request once the flow has a response.  map_local is
 * not applied here (see below).  Returns REWRITE_CH_* bits. */
unsigned rewrite_apply(const struct rewrite_set *set, enum rewrite_hook hook,
		       enum rewrite_group group, Snare__Flow *flow, const struct filter_extra *x,
		       struct flowedit *e);

/* map_local in two steps, since the worker reads no file: the candidate
 * paths for the first spec that matches (at the request hook, after the
 * scripts), best first; the caller serves the first that is a readable file
 * with rewrite_map_local_serve, or answers 404 with rewrite_map_local_serve
 * (data NULL) when none is.  Candidates never leave the spec's directory
 * ("..", NUL and absolute parts are refused).  0 and *n (0: no spec
 * matched), or -ENOMEM.  Free the array with rewrite_paths_free. */
int rewrite_map_local_candidates(const struct rewrite_set *set, const Snare__Flow *flow,
				 const struct filter_extra *x, char ***paths,
				 size_t *n) SNARE_MUST_CHECK;
void rewrite_paths_free(char **paths, size_t n);
/* Whether a map_local spec matches flow at all (its candidates may all
 * have been refused: the caller then answers 404 rather than forwarding). */
bool rewrite_map_local_matches(const struct rewrite_set *set, const Snare__Flow *flow,
			       const struct filter_extra *x);
/* A 200 response with the file's bytes and a Content-Type guessed from
 * the path's extension, or a 404 when data is NULL. */
void rewrite_map_local_serve(Snare__Flow *flow, const char *path, const void *data, size_t len,
			     struct flowedit *e);

#endif
