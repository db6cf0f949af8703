/* Runs in the worker. Strips a client's "Upgrade: h2c" offer (RFC 7540 3.2, removed in
 * RFC 9113) from an HTTP/1 request that stays HTTP/1, so no server upgrades a connection the
 * proxy cannot follow; other upgrades (WebSocket) stay. Trusts nothing in the fields. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "h2/h2.h"

static bool named(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* v[0..n) as a comma-separated list without the tokens drop() says to drop; "" when none is
 * left. A token is compared up to its parameters ("h2c", "websocket/13"). */
static char *filter_list(const char *v, size_t n, bool (*drop)(const char *, size_t))
{
	char *out = xcalloc(1, n + 1);
	size_t len = 0, i = 0;

	while (i < n) {
		size_t a, b;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		a = i;
		while (i < n && v[i] != ',')
			i++;
		b = i;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b == a || drop(v + a, b - a))
			continue;
		if (len) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, v + a, b - a);
		len += b - a;
	}
	out[len] = 0;
	return out;
}

static bool is_h2c(const char *t, size_t n)
{
	return n == 3 && strncasecmp(t, "h2c", 3) == 0;
}

static bool is_h2c_option(const char *t, size_t n)
{
	return n == 14 && strncasecmp(t, "http2-settings", 14) == 0;
}

static bool is_h2c_option_or_upgrade(const char *t, size_t n)
{
	return is_h2c_option(t, n) || (n == 7 && strncasecmp(t, "upgrade", 7) == 0);
}

static int add_filtered(struct h2_msg *out, const struct h2_field *f,
			bool (*drop)(const char *, size_t))
{
	char *v = filter_list(f->value, f->value_len, drop);
	int rv = *v ? h2_msg_add(out, f->name, f->name_len, v, strlen(v)) : 0;

	free(v);
	return rv;
}

static bool upgrade_left(const struct h2_field *f, size_t n)
{
	bool left = false;

	for (size_t i = 0; i < n && !left; i++) {
		char *v;

		if (!named(&f[i], "upgrade"))
			continue;
		v = filter_list(f[i].value, f[i].value_len, is_h2c);
		left = *v != 0;
		free(v);
	}
	return left;
}

int h2_strip_h2c_upgrade(struct h2_msg *out, const struct h2_field *f, size_t n)
{
	bool keep_upgrade = upgrade_left(f, n);
	int rv = 0;

	for (size_t i = 0; i < n && rv == 0; i++) {
		if (named(&f[i], "http2-settings"))
			continue;
		if (named(&f[i], "upgrade"))
			rv = add_filtered(out, &f[i], is_h2c);
		else if (named(&f[i], "connection"))
			rv = add_filtered(out, &f[i],
					  keep_upgrade ? is_h2c_option : is_h2c_option_or_upgrade);
		else
			rv = h2_msg_add(out, f[i].name, f[i].name_len, f[i].value, f[i].value_len);
	}
	return rv;
}
