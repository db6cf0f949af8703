/* Runs in the worker. Trusts its callers (the dns module): a bounded string writer for display
 * strings that cuts long output and marks it with "...", plus hex and base64. */
#include <stdio.h>
#include <string.h>

#include "dns/dns_int.h"

#define CUT_MARK "..."

void dns_text_init(struct dns_text *t, char *p, size_t cap)
{
	t->p = p;
	t->len = 0;
	t->cap = cap;
	t->cut = false;
	if (cap > 0)
		p[0] = '\0';
}

/* Bytes that may still be written, leaving room for the cut mark and the NUL. */
static size_t room(const struct dns_text *t)
{
	size_t reserve = sizeof(CUT_MARK);

	return t->cap > t->len + reserve ? t->cap - t->len - reserve : 0;
}

static void put(struct dns_text *t, const char *s, size_t n)
{
	if (t->cut)
		return;
	if (n > room(t)) {
		t->cut = true;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void dns_text_putc(struct dns_text *t, char c)
{
	put(t, &c, 1);
}

void dns_text_puts(struct dns_text *t, const char *s)
{
	put(t, s, strlen(s));
}

void dns_text_printf(struct dns_text *t, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		fatal("dns: display piece too long");
	put(t, tmp, (size_t)n);
}

void dns_text_hex(struct dns_text *t, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n && !t->cut; i++) {
		char two[2] = {digits[p[i] >> 4], digits[p[i] & 0x0f]};
		put(t, two, 2);
	}
}

void dns_text_base64(struct dns_text *t, const uint8_t *p, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n && !t->cut; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = n - i;
		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		char four[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
				left > 1 ? alphabet[(v >> 6) & 63] : '=',
				left > 2 ? alphabet[v & 63] : '='};
		put(t, four, 4);
	}
}

void dns_text_finish(struct dns_text *t)
{
	if (!t->cut || t->cap < sizeof(CUT_MARK))
		return;
	memcpy(t->p + t->len, CUT_MARK, sizeof(CUT_MARK));
	t->len += sizeof(CUT_MARK) - 1;
}
