/* Internal to the HAR writer: JSON values from untrusted bytes. */
#ifndef SNARE_OUTPUT_HAR_INT_H
#define SNARE_OUTPUT_HAR_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.pb-c.h"

/* A JSON string of p[0..n): invalid UTF-8 becomes U+FFFD (never NULL). */
json_t *har_str(const uint8_t *p, size_t n);
json_t *har_cstr(const char *s); /* NULL gives "" */
/* True when p[0..n) is valid UTF-8 with no control bytes other than
 * whitespace: shown as text, else as base64. */
bool har_is_text(const uint8_t *p, size_t n);
json_t *har_base64(const uint8_t *p, size_t n);

/* [{"name","value"}] of headers; the query string of a path; the cookies
 * of Cookie headers and of Set-Cookie headers. */
json_t *har_headers(Snare__Header *const *h, size_t n);
json_t *har_query(const char *path);
json_t *har_cookies(Snare__Header *const *h, size_t n);
json_t *har_set_cookies(Snare__Header *const *h, size_t n);
/* The first header `name`'s value as a JSON string, "" when absent. */
json_t *har_header_value(Snare__Header *const *h, size_t n, const char *name);

/* One entry; `seen` is the set of server connection ids already timed. */
json_t *har_entry(const Snare__Flow *f, json_t *seen);

#endif
