/* Query strings and paths of a browser's request, percent-decoded (pure
 * code: unit tested and fuzzed).  Runs in the ui on untrusted bytes. */
#ifndef SNARE_UI_PARAM_H
#define SNARE_UI_PARAM_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes p[0..n) into out (NUL-terminated); '+' is a space when plus.
 * False when it does not fit or would contain a NUL. */
bool ui_pct_decode(const char *p, size_t n, char *out, size_t outlen, bool plus);
/* The decoded value of parameter name in query ("a=1&b=x%20y"; "a" alone
 * is ""), or NULL when absent or undecodable. */
const char *ui_query_param(const char *query, const char *name, char *out, size_t outlen);

#endif
