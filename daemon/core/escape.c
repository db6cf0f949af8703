/* Terminal-safe text (see escape.h). Runs wherever text for people is written; the input is
 * untrusted bytes of any length and content. */
#include "core/escape.h"

#include <stdbool.h>
#include <string.h>

static bool utf8_cont(const uint8_t *p, size_t n, size_t i, uint8_t lo, uint8_t hi)
{
	return i < n && p[i] >= lo && p[i] <= hi;
}

size_t esc_utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return utf8_cont(p, n, 1, 0x80, 0xbf) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return utf8_cont(p, n, 1, lo, hi) && utf8_cont(p, n, 2, 0x80, 0xbf) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return utf8_cont(p, n, 1, lo, hi) && utf8_cont(p, n, 2, 0x80, 0xbf) &&
			       utf8_cont(p, n, 3, 0x80, 0xbf)
			   ? 4
			   : 0;
	}
	return 0;
}

size_t esc_safe_len(const uint8_t *p, size_t n)
{
	size_t k;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	k = esc_utf8_len(p, n);
	if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0; /* C1 control */
	return k;
}

/* How the sequence at p is written: *len bytes as they are (return 0), or p[0] as an escape
 * (return 1, *len = 1). */
static int esc_next(const uint8_t *p, size_t n, const char *keep, size_t *len)
{
	size_t k = esc_safe_len(p, n);

	if (k == 0 && p[0] != 0 && strchr(keep, p[0]) != NULL)
		k = 1;
	*len = k ? k : 1;
	return k == 0;
}

void esc_write(FILE *out, const uint8_t *p, size_t n, const char *keep)
{
	size_t i = 0, k;

	while (i < n) {
		size_t start = i;
		bool esc = false;

		while (i < n && !(esc = esc_next(p + i, n - i, keep, &k)))
			i += k;
		if (i > start) /* a run of bytes that go out as they are */
			fwrite(p + start, 1, i - start, out);
		if (esc) {
			fprintf(out, "\\x%02x", p[i]);
			i++;
		}
	}
}

size_t esc_str(char *out, size_t outlen, const uint8_t *p, size_t n, const char *keep)
{
	size_t i = 0, o = 0, k;

	while (i < n) {
		bool esc = esc_next(p + i, n - i, keep, &k);
		size_t need = esc ? 4 : k;

		if (o + need >= outlen)
			break;
		if (esc)
			snprintf(out + o, 5, "\\x%02x", p[i]);
		else
			memcpy(out + o, p + i, k);
		o += need;
		i += k;
	}
	out[o] = '\0';
	return o;
}

char *esc_cstr(char *out, size_t outlen, const char *s)
{
	esc_str(out, outlen, (const uint8_t *)s, strlen(s), "");
	return out;
}
