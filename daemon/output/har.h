/* HAR 1.2 (the HTTP Archive format browsers export) from HTTP flows, with
 * jansson: mitmproxy's hardump option (`--set hardump=FILE`) and the web
 * interface's /flows.har.  Runs in the coordinator or the ui process; the
 * flows are untrusted, so every byte string is made valid UTF-8 or base64
 * and bodies are decoded under a cap. */
#ifndef SNARE_OUTPUT_HAR_H
#define SNARE_OUTPUT_HAR_H

#include <stddef.h>

#include "core/util.h"
#include "flow.pb-c.h"

/* Decoded bytes of one body; above it, the bytes as they came (a small
 * body can expand a thousandfold, and hardump keeps entries until exit). */
#define HAR_BODY_CAP (16u << 20)
#define HAR_BODY_CAP_TEXT "16 MiB"

struct har;

/* An empty log; flows are added in the order they finished. */
struct har *har_new(void);
/* Adds the flow's entry (HTTP flows with a request only; others are
 * skipped).  The entry is built now: the flow may be freed afterwards. */
void har_add(struct har *h, const Snare__Flow *f);
size_t har_count(const struct har *h);
/* The whole log as JSON text (malloc'd, NUL-terminated), or NULL on
 * allocation failure. */
char *har_dump(const struct har *h, size_t *len);
void har_free(struct har *h);

/* The web interface's export: the HAR of `n` flows in one call. */
char *har_from_flows(const Snare__Flow *const *flows, size_t n, size_t *len);

/* A HAR written as it goes (the web interface's /flows.har): the opening
 * text, each flow's entry, the closing text, so that a download of any
 * number of flows holds one entry at a time (and the ids of the server
 * connections already timed). */
struct har_stream;
struct har_stream *har_stream_new(void);
/* The text before the first entry (malloc'd, NUL-terminated). */
char *har_stream_head(size_t *len);
/* f's entry, after a comma when one came before (malloc'd), or NULL when f
 * has no entry (not HTTP, no request) or memory ran out. */
char *har_stream_entry(struct har_stream *s, const Snare__Flow *f, size_t *len);
/* The text after the last entry. */
const char *har_stream_tail(void);
void har_stream_free(struct har_stream *s);

/* The hardump file: opened (created 0600, truncated) before privileges are
 * dropped, written on exit.  -errno with one line in err. */
int har_open(const char *path, int *fd, char *err, size_t errlen) SNARE_MUST_CHECK;
int har_write_fd(const struct har *h, int fd, const char *path, char *err,
		 size_t errlen) SNARE_MUST_CHECK;

#endif
