/* Pages the worker answers itself: mitm.it and error pages (pages.c).
 * Runs in a worker. */
#ifndef SNARE_WORKER_PAGES_H
#define SNARE_WORKER_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http1/http1.h"

struct conn;
/* Serves a mitm.it request; an unknown path gets a 404 page. */
void pages_onboarding(struct conn *c, const struct http1_head *req);

/* Whether host is the onboarding app's (mitm.it, when onboarding is on). */
bool pages_is_onboarding(const char *host);

/* One page of the onboarding app: its body lives as long as the worker. */
struct page {
	const char *ctype;
	const char *file; /* an attachment's file name, or NULL */
	const uint8_t *body;
	size_t len;
};
/* The page at path[0..n) (the request's path as sent); false: none (404). */
bool pages_onboarding_find(const char *path, size_t n, struct page *pg);
#define PAGES_NOT_FOUND "No such page on the onboarding app."

/* snare's HTML error page in body (NUL-terminated, cut to cap); its length. */
int pages_error_html(char *body, size_t cap, int status, const char *reason, const char *msg);

#endif
