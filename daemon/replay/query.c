/* Query strings and urlencoded bodies split and unquoted as Python's
 * urllib.parse does, so match hashes agree with mitmproxy's.  Input is
 * untrusted bytes (live requests, flow files): lengths, never NULs. */
#include <ctype.h>
#include <string.h>

#include "replay/replay_int.h"

void replay_pairs(const char *s, size_t n, bool (*fn)(const struct replay_pair *p, void *arg),
		  void *arg)
{
	size_t i = 0;

	while (i <= n) {
		const char *amp = i < n ? memchr(s + i, '&', n - i) : NULL;
		size_t end = amp ? (size_t)(amp - s) : n;

		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			struct replay_pair p = {.name = s + i};

			p.nlen = eq ? (size_t)(eq - (s + i)) : end - i;
			p.value = eq ? eq + 1 : s + end;
			p.vlen = eq ? end - (size_t)(eq + 1 - s) : 0;
			if (!fn(&p, arg))
				return;
		}
		i = end + 1;
	}
}

/* One hex digit's value, -1 for anything else. */
static int hexval(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

size_t replay_unquote(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
			   (lo = hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

void replay_split_target(const char *t, size_t n, size_t *pathlen, const char **query, size_t *qlen)
{
	const char *hash = memchr(t, '#', n), *q, *slash = NULL, *semi;
	size_t len = hash ? (size_t)(hash - t) : n;

	q = memchr(t, '?', len);
	*query = q ? q + 1 : t + len;
	*qlen = q ? len - (size_t)(q + 1 - t) : 0;
	len = q ? (size_t)(q - t) : len;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '/')
			slash = t + i;
	semi = memchr(slash ? slash : t, ';', len - (size_t)((slash ? slash : t) - t));
	*pathlen = semi ? (size_t)(semi - t) : len;
}
