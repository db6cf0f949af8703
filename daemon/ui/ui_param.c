/* Runs in the ui: the query string of a browser's request, decoded.  The
 * bytes are untrusted: percent escapes are checked, a NUL is refused, and
 * the output never passes its buffer. */
#include <stdbool.h>
#include <string.h>

#include "ui/ui_param.h"

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

bool ui_pct_decode(const char *p, size_t n, char *out, size_t outlen, bool plus)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int ch = (unsigned char)p[i];

		if (ch == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			ch = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
			i += 2;
		} else if (ch == '+' && plus) {
			ch = ' ';
		}
		if (ch == 0 || o + 1 >= outlen)
			return false;
		out[o++] = (char)ch;
	}
	if (outlen == 0)
		return false;
	out[o] = '\0';
	return true;
}

const char *ui_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	const char *p = query;
	size_t nl = strlen(name);

	while (*p) {
		size_t len = strcspn(p, "&");

		if (len >= nl && strncmp(p, name, nl) == 0 && (len == nl || p[nl] == '=')) {
			const char *v = p + nl + (len > nl);

			return ui_pct_decode(v, len - (size_t)(v - p), out, outlen, true) ? out
											  : NULL;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}
