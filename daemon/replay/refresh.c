/* mitmproxy's Response.refresh for server replay: Date, Expires and
 * Last-Modified, and the Expires attribute of every Set-Cookie, moved by
 * the time since the response was recorded.  The response belongs to an
 * unpacked flow (protobuf-c's default allocator, malloc), so values are
 * replaced with malloc'd bytes and the old ones freed.  Header text is
 * untrusted. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay/replay_int.h"

static bool named(const Snare__Header *h, const char *name)
{
	size_t k = strlen(name);

	return h->name.len == k && strncasecmp((const char *)h->name.data, name, k) == 0;
}

static void set_value(Snare__Header *h, const char *v, size_t n)
{
	uint8_t *p = xmalloc(n ? n : 1);

	memcpy(p, v, n);
	free(h->value.data);
	h->value.data = p;
	h->value.len = n;
	h->has_value = true;
}

/* Python's gmtime(mktime_tz(d) + delta): the float sum, floored. */
static int64_t shift(int64_t t, double delta)
{
	double v = floor((double)t + delta);

	return v > 9e15 || v < -9e15 ? -1 : (int64_t)v;
}

static void refresh_date(Snare__Header *h, double delta)
{
	int64_t t;
	char out[30];

	if (h->value.data && replay_date_parse((const char *)h->value.data, h->value.len, &t) &&
	    replay_date_format(shift(t, delta), out))
		set_value(h, out, strlen(out));
}

/* One attribute "name[=value]" of a cookie, trimmed. */
struct attr {
	const char *p;
	size_t n;
};

static struct attr trim(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	return (struct attr){p, n};
}

/* Appends an attribute to out (room checked by the caller's sizing). */
static void put(char *out, size_t *o, const char *p, size_t n)
{
	if (*o)
		memcpy(out + *o, "; ", 2), *o += 2;
	memcpy(out + *o, p, n);
	*o += n;
}

static bool is_expires(struct attr a, const char **val, size_t *vlen)
{
	const char *eq = memchr(a.p, '=', a.n);
	struct attr name = trim(a.p, eq ? (size_t)(eq - a.p) : a.n);

	if (!eq || name.n != 7 || strncasecmp(name.p, "expires", 7) != 0)
		return false;
	struct attr v = trim(eq + 1, a.n - (size_t)(eq + 1 - a.p));
	*val = v.p;
	*vlen = v.n;
	return true;
}

/* mitmproxy's refresh_set_cookie_header for one cookie per header: a
 * cookie without a name or value is left alone; an expiry that does not
 * parse is dropped.  Attributes are joined again with "; ". */
static void refresh_cookie(Snare__Header *h, double delta)
{
	const char *s = (const char *)h->value.data, *semi, *eq;
	size_t n = h->value.len, o = 0, i = 0;
	char *out;

	semi = s ? memchr(s, ';', n) : NULL;
	struct attr first = trim(s ? s : "", s ? (semi ? (size_t)(semi - s) : n) : 0);
	eq = memchr(first.p, '=', first.n);
	if (!eq || eq == first.p || eq == first.p + first.n - 1)
		return;
	out = xmalloc(3 * n + 64); /* each attribute grows to at most 3x */
	while (i <= n) {
		const char *end = i < n ? memchr(s + i, ';', n - i) : NULL;
		size_t len = (end ? (size_t)(end - s) : n) - i;
		struct attr a = trim(s + i, len);
		const char *v;
		size_t vlen;
		int64_t t;
		char date[30];

		if (a.n && i > 0 && is_expires(a, &v, &vlen)) { /* i > 0: not the name=value */
			if (replay_date_parse(v, vlen, &t) &&
			    replay_date_format(shift(t, delta), date)) {
				char buf[40];

				memcpy(buf, "expires=", 8);
				memcpy(buf + 8, date, strlen(date));
				put(out, &o, buf, 8 + strlen(date));
			}
		} else if (a.n) {
			put(out, &o, a.p, a.n);
		}
		i += len + 1;
	}
	set_value(h, out, o);
	free(out);
}

void replay_refresh(Snare__HttpResponse *r, double now)
{
	static const char *const dates[] = {"date", "expires", "last-modified"};
	double delta;

	if (!r || !r->has_timestamp_start || !isfinite(now) || !isfinite(r->timestamp_start))
		return;
	delta = now - r->timestamp_start;
	for (size_t i = 0; i < r->n_headers; i++) {
		for (size_t d = 0; d < ARRAY_SIZE(dates); d++)
			if (named(r->headers[i], dates[d]))
				refresh_date(r->headers[i], delta);
		if (named(r->headers[i], "set-cookie"))
			refresh_cookie(r->headers[i], delta);
	}
}
