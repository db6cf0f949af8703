/* The HAR writer's JSON values from untrusted bytes: UTF-8 repair, base64,
 * name/value lists of headers, query strings and cookies. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/escape.h"
#include "core/util.h"
#include "output/har_int.h"

/* Bytes of p[0..n) once each invalid byte is replaced by U+FFFD. */
static size_t repaired_len(const uint8_t *p, size_t n)
{
	size_t i = 0, k = 0, l;

	while (i < n) {
		l = esc_utf8_len(p + i, n - i);
		k += l ? l : 3;
		i += l ? l : 1;
	}
	return k;
}

json_t *har_str(const uint8_t *p, size_t n)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	char *buf = xmalloc(repaired_len(p, n) + 1);
	size_t i = 0, k = 0, l;
	json_t *s;

	while (i < n) {
		if ((l = esc_utf8_len(p + i, n - i)) > 0) {
			memcpy(buf + k, p + i, l);
			k += l;
			i += l;
		} else {
			memcpy(buf + k, repl, 3);
			k += 3;
			i++;
		}
	}
	s = json_stringn_nocheck(buf, k);
	free(buf);
	if (!s)
		fatal("out of memory");
	return s;
}

json_t *har_cstr(const char *s)
{
	return s ? har_str((const uint8_t *)s, strlen(s)) : har_str(NULL, 0);
}

bool har_is_text(const uint8_t *p, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
		if ((l = esc_utf8_len(p + i, n - i)) == 0)
			return false;
		i += l;
	}
	return true;
}

json_t *har_base64(const uint8_t *p, size_t n)
{
	char *out;
	json_t *s;
	int len;

	if (n > (size_t)1 << 30)
		n = (size_t)1 << 30; /* EVP_EncodeBlock takes an int */
	out = xmalloc(4 * ((n + 2) / 3) + 1);
	len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	s = json_stringn_nocheck(out, (size_t)len);
	free(out);
	if (!s)
		fatal("out of memory");
	return s;
}

static json_t *pair(json_t *name, json_t *value)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", name);
	json_object_set_new(o, "value", value);
	return o;
}

json_t *har_headers(Snare__Header *const *h, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, pair(har_str(h[i]->name.data, h[i]->name.len),
					      har_str(h[i]->value.data, h[i]->value.len)));
	return a;
}

json_t *har_header_value(Snare__Header *const *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (h[i]->name.len == strlen(name) &&
		    !strncasecmp((const char *)h[i]->name.data, name, h[i]->name.len))
			return har_str(h[i]->value.data, h[i]->value.len);
	return har_cstr("");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..n) percent-decoded, '+' as a space (application/x-www-form-urlencoded). */
static json_t *unescape(const char *s, size_t n)
{
	uint8_t *buf = xmalloc(n + 1);
	size_t k = 0;
	json_t *j;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			buf[k++] = (uint8_t)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			buf[k++] = s[i] == '+' ? ' ' : (uint8_t)s[i];
		}
	}
	j = har_str(buf, k);
	free(buf);
	return j;
}

json_t *har_query(const char *path)
{
	json_t *a = json_array();
	const char *q = path ? strchr(path, '?') : NULL;

	if (!q)
		return a;
	for (q++; *q;) {
		size_t len = strcspn(q, "&"), nlen = strcspn(q, "=&");

		if (len > 0)
			json_array_append_new(
			    a, pair(unescape(q, nlen), nlen < len
							   ? unescape(q + nlen + 1, len - nlen - 1)
							   : har_cstr("")));
		q += len + (q[len] == '&');
	}
	return a;
}

/* "a=1; b=2" from one Cookie header value. */
static void cookie_pairs(json_t *a, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, eq, end;

		while (i < n && (s[i] == ' ' || s[i] == ';'))
			i++;
		start = i;
		while (i < n && s[i] != ';')
			i++;
		end = i;
		for (eq = start; eq < end && s[eq] != '='; eq++)
			;
		if (end > start)
			json_array_append_new(
			    a, pair(har_str((const uint8_t *)s + start, eq - start),
				    eq < end ? har_str((const uint8_t *)s + eq + 1, end - eq - 1)
					     : har_cstr("")));
	}
}

static json_t *cookies_named(Snare__Header *const *h, size_t n, const char *name, bool first_only)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *one;

		if (h[i]->name.len != strlen(name) ||
		    strncasecmp((const char *)h[i]->name.data, name, h[i]->name.len))
			continue;
		if (!first_only) {
			cookie_pairs(a, (const char *)h[i]->value.data, h[i]->value.len);
			continue;
		}
		/* Set-Cookie: only the first pair is the cookie; the rest are attributes. */
		one = json_array();
		cookie_pairs(one, (const char *)h[i]->value.data, h[i]->value.len);
		if (json_array_size(one) > 0)
			json_array_append(a, json_array_get(one, 0));
		json_decref(one);
	}
	return a;
}

json_t *har_cookies(Snare__Header *const *h, size_t n)
{
	return cookies_named(h, n, "cookie", false);
}

json_t *har_set_cookies(Snare__Header *const *h, size_t n)
{
	return cookies_named(h, n, "set-cookie", true);
}
