/* Runs in the worker. Maps message heads between the HTTP/1 and HTTP/2 header forms
 * (RFC 9113 8.2.2 and 8.3, RFC 9110 7.6.1). The heads come from peers: every field is copied,
 * nothing here trusts a length beyond what it was given. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "h2/h2.h"

/* Fields that describe one HTTP/1 connection and have no meaning in HTTP/2. */
static const char *const conn_specific[] = {
    "connection",	 "keep-alive", "proxy-connection",
    "transfer-encoding", "upgrade",    "http2-settings",
};

static bool is_conn_specific(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(conn_specific); i++)
		if (strlen(conn_specific[i]) == n && strncasecmp(conn_specific[i], name, n) == 0)
			return true;
	return false;
}

static bool field_is(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->name, name, f->name_len) == 0;
}

/* Whether the comma-separated list v[0..n) holds token tok (case-insensitive). */
static bool list_has(const char *v, size_t n, const char *tok, size_t tlen)
{
	size_t i = 0;

	while (i < n) {
		size_t a, b;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		a = i;
		while (i < n && v[i] != ',' && v[i] != ';')
			i++;
		b = i;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tlen && strncasecmp(v + a, tok, tlen) == 0)
			return true;
		while (i < n && v[i] != ',')
			i++;
	}
	return false;
}

/* Named in a Connection field's value (RFC 9110 7.6.1). */
static bool named_by_connection(const struct h2_field *f, size_t n, const struct h2_field *x)
{
	for (size_t i = 0; i < n; i++)
		if (field_is(&f[i], "connection") &&
		    list_has(f[i].value, f[i].value_len, x->name, x->name_len))
			return true;
	return false;
}

static int add_lower(struct h2_msg *out, const struct h2_field *x)
{
	char *name = xstrndup(x->name, x->name_len);
	int rv;

	for (size_t i = 0; i < x->name_len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	rv = h2_msg_add(out, name, x->name_len, x->value, x->value_len);
	free(name);
	return rv;
}

static int fields_to_h2(struct h2_msg *out, const struct h2_field *f, size_t n, bool drop_host)
{
	int rv = 0;

	for (size_t i = 0; i < n && rv == 0; i++) {
		if (is_conn_specific(f[i].name, f[i].name_len) ||
		    named_by_connection(f, n, &f[i]) || (drop_host && field_is(&f[i], "host")))
			continue;
		if (field_is(&f[i], "te")) {
			if (list_has(f[i].value, f[i].value_len, "trailers", 8))
				rv = h2_msg_add(out, "te", 2, "trailers", 8);
			continue;
		}
		rv = add_lower(out, &f[i]);
	}
	return rv;
}

int h2_map_fields_from_h1(struct h2_msg *out, const struct h2_field *f, size_t n)
{
	return fields_to_h2(out, f, n, false);
}

/* scheme://authority[/path][?query] into out's scheme, authority and path. */
static int split_absolute(struct h2_msg *out, const char *t)
{
	const char *sep = strstr(t, "://"), *a, *e;

	if (!sep || sep == t)
		return -EINVAL;
	a = sep + 3;
	e = a + strcspn(a, "/?#");
	if (e == a)
		return -EINVAL;
	out->scheme = xstrndup(t, (size_t)(sep - t));
	for (char *c = out->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	out->authority = xstrndup(a, (size_t)(e - a));
	out->path =
	    *e == '/' ? xstrndup(e, strcspn(e, "#")) : xasprintf("/%.*s", (int)strcspn(e, "#"), e);
	return 0;
}

static const struct h2_field *find_host(const struct h2_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (field_is(&f[i], "host"))
			return &f[i];
	return NULL;
}

int h2_map_request_from_h1(struct h2_msg *out, const char *method, const char *target,
			   const char *scheme, const struct h2_field *f, size_t n)
{
	const struct h2_field *host = find_host(f, n);
	int rv = 0;

	out->method = xstrdup(method);
	if (strcmp(method, "CONNECT") == 0)
		out->authority = xstrdup(target);
	else if (target[0] == '/' || strcmp(target, "*") == 0) {
		out->scheme = xstrdup(scheme);
		out->path = xstrdup(target);
		if (host)
			out->authority = xstrndup(host->value, host->value_len);
	} else {
		rv = split_absolute(out, target);
	}
	if (rv == 0 && (!out->authority || !*out->authority) && !out->path)
		rv = -EINVAL;
	return rv ? rv : fields_to_h2(out, f, n, true);
}

int h2_map_response_from_h1(struct h2_msg *out, int status, const struct h2_field *f, size_t n)
{
	if (status < 100 || status > 999)
		return -EINVAL;
	out->status = status;
	return fields_to_h2(out, f, n, false);
}

/* Every cookie crumb of in joined with "; " (RFC 9113 8.2.3), or NULL when there is none. */
static char *joined_cookies(const struct h2_head *in)
{
	char *all = NULL;

	for (size_t i = 0; i < in->nfields; i++) {
		const struct h2_field *x = &in->fields[i];
		char *next;

		if (!field_is(x, "cookie"))
			continue;
		next = all ? xasprintf("%s; %.*s", all, (int)x->value_len, x->value)
			   : xstrndup(x->value, x->value_len);
		free(all);
		all = next;
	}
	return all;
}

static int fields_to_h1(struct h2_msg *out, const struct h2_head *in, bool drop_host)
{
	char *cookie = joined_cookies(in);
	int rv = 0;

	for (size_t i = 0; i < in->nfields && rv == 0; i++) {
		const struct h2_field *x = &in->fields[i];

		if (drop_host && field_is(x, "host"))
			continue;
		if (field_is(x, "cookie")) {
			if (cookie)
				rv = h2_msg_add(out, "cookie", 6, cookie, strlen(cookie));
			free(cookie);
			cookie = NULL;
			continue;
		}
		rv = h2_msg_add(out, x->name, x->name_len, x->value, x->value_len);
	}
	free(cookie);
	return rv;
}

int h2_map_request_to_h1(struct h2_msg *out, const struct h2_head *in)
{
	bool connect = in->method && strcmp(in->method, "CONNECT") == 0;
	const char *target = connect ? in->authority : in->path;
	int rv;

	if (!in->method || !target)
		return -EINVAL;
	out->method = xstrdup(in->method);
	out->path = xstrdup(target);
	if (in->authority) {
		/* :authority wins over a Host field (RFC 9113 8.3.1). */
		rv = h2_msg_add(out, "host", 4, in->authority, strlen(in->authority));
		if (rv)
			return rv;
	}
	return fields_to_h1(out, in, in->authority != NULL);
}

int h2_map_response_to_h1(struct h2_msg *out, const struct h2_head *in)
{
	if (in->status < 100 || in->status > 999)
		return -EINVAL;
	out->status = in->status;
	return fields_to_h1(out, in, false);
}
