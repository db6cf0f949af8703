/* The HAR log: entries collected from flows (hardump keeps them until
 * exit, as mitmproxy does), dumped as one JSON document, written to the
 * file opened at start.  Runs in the coordinator or the ui process. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/safefile.h"
#include "core/util.h"
#include "output/flowfile.h"
#include "output/har.h"
#include "output/har_int.h"

#ifndef SNARE_VERSION
#define SNARE_VERSION "unknown"
#endif

struct har {
	json_t *entries;
	json_t *seen; /* server connection ids already timed */
};

struct har *har_new(void)
{
	struct har *h = xcalloc(1, sizeof(*h));

	h->entries = json_array();
	h->seen = json_object();
	if (!h->entries || !h->seen)
		fatal("out of memory");
	return h;
}

void har_add(struct har *h, const Snare__Flow *f)
{
	if (f->type != SNARE__FLOW__TYPE__HTTP || !f->request)
		return;
	json_array_append_new(h->entries, har_entry(f, h->seen));
}

size_t har_count(const struct har *h)
{
	return json_array_size(h->entries);
}

char *har_dump(const struct har *h, size_t *len)
{
	json_t *doc =
	    json_pack("{s:{s:s, s:{s:s, s:s}, s:[], s:O}}", "log", "version", "1.2", "creator",
		      "name", "snare", "version", SNARE_VERSION, "pages", "entries", h->entries);
	char *text;

	if (!doc)
		return NULL;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (text && len)
		*len = strlen(text);
	return text;
}

void har_free(struct har *h)
{
	if (!h)
		return;
	json_decref(h->entries);
	json_decref(h->seen);
	free(h);
}

char *har_from_flows(const Snare__Flow *const *flows, size_t n, size_t *len)
{
	struct har *h = har_new();
	char *text;

	for (size_t i = 0; i < n; i++)
		har_add(h, flows[i]);
	text = har_dump(h, len);
	har_free(h);
	return text;
}

struct har_stream {
	json_t *seen;
	size_t count;
};

struct har_stream *har_stream_new(void)
{
	struct har_stream *s = xcalloc(1, sizeof(*s));

	if ((s->seen = json_object()) == NULL)
		fatal("out of memory");
	return s;
}

char *har_stream_head(size_t *len)
{
	json_t *creator = json_pack("{s:s, s:s}", "name", "snare", "version", SNARE_VERSION);
	char *c = creator ? json_dumps(creator, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	char *text = NULL;

	json_decref(creator);
	if (c)
		text = xasprintf("{\"log\":{\"version\":\"1.2\",\"creator\":%s,\"pages\":[],"
				 "\"entries\":[\n",
				 c);
	free(c);
	if (text && len)
		*len = strlen(text);
	return text;
}

char *har_stream_entry(struct har_stream *s, const Snare__Flow *f, size_t *len)
{
	json_t *e;
	char *body, *text = NULL;

	if (f->type != SNARE__FLOW__TYPE__HTTP || !f->request)
		return NULL;
	e = har_entry(f, s->seen);
	body = e ? json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(e);
	if (body)
		text = xasprintf("%s%s", s->count ? ",\n" : "", body);
	free(body);
	if (text) {
		s->count++;
		if (len)
			*len = strlen(text);
	}
	return text;
}

const char *har_stream_tail(void)
{
	return "\n]}}\n";
}

void har_stream_free(struct har_stream *s)
{
	if (!s)
		return;
	json_decref(s->seen);
	free(s);
}

int har_open(const char *path, int *fd, char *err, size_t errlen)
{
	int rc = safefile_open_write(path, O_TRUNC, err, errlen);

	if (rc < 0)
		return rc;
	*fd = rc;
	return 0;
}

int har_write_fd(const struct har *h, int fd, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = har_dump(h, &len);
	int rc;

	if (!text) {
		snprintf(err, errlen, "%s: cannot build the HAR file (out of memory)", path);
		return -ENOMEM;
	}
	rc = fd_write_all(fd, text, len);
	if (rc == 0)
		rc = fd_write_all(fd, "\n", 1);
	free(text);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}
