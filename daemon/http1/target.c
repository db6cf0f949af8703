/* Request-target helpers for the HTTP/1 parser (workers).  The target comes
 * from a client (untrusted) and decides where the proxy connects, so hosts
 * are held to a strict character set: no userinfo, no percent-encoding, no
 * zone ids, and ports 1..65535 only. */
#include <string.h>

#include "http1/http1_internal.h"

static const char root_path[] = "/";

static bool reg_name_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

static bool ipv6_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' ||
	       c == '.';
}

/* 1*5DIGIT in 1..65535. */
static int parse_port(const char *s, size_t n, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return HTTP1_E_SYNTAX;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return HTTP1_E_SYNTAX;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return HTTP1_E_SYNTAX;
	*port = (uint16_t)v;
	return HTTP1_OK;
}

/* Copies a checked host into out->host; `v6` selects the bracketed set. */
static int set_host(const char *s, size_t n, bool v6, struct http1_target *out)
{
	if (n == 0 || n >= sizeof(out->host) || (v6 && memchr(s, ':', n) == NULL))
		return HTTP1_E_SYNTAX;
	for (size_t i = 0; i < n; i++) {
		if (v6 ? !ipv6_char((uint8_t)s[i]) : !reg_name_char((uint8_t)s[i]))
			return HTTP1_E_SYNTAX;
	}
	memcpy(out->host, s, n);
	out->host[n] = '\0';
	return HTTP1_OK;
}

/* host [":" port] or "[" IPv6 "]" [":" port]; a ':' must have a port. */
static int parse_host_port(struct http1_str a, struct http1_target *out)
{
	const char *end, *hend, *rest;
	int rc;

	if (a.n == 0)
		return HTTP1_E_SYNTAX;
	end = a.p + a.n;
	if (a.p[0] == '[') {
		hend = memchr(a.p, ']', a.n);
		if (hend == NULL)
			return HTTP1_E_SYNTAX;
		rc = set_host(a.p + 1, (size_t)(hend - a.p - 1), true, out);
		rest = hend + 1;
	} else {
		hend = memchr(a.p, ':', a.n);
		hend = hend ? hend : end;
		rc = set_host(a.p, (size_t)(hend - a.p), false, out);
		rest = hend;
	}
	if (rc != HTTP1_OK || rest == end)
		return rc;
	if (*rest != ':')
		return HTTP1_E_SYNTAX;
	out->has_port = true;
	return parse_port(rest + 1, (size_t)(end - rest - 1), &out->port);
}

static void target_reset(struct http1_target *out)
{
	memset(out, 0, sizeof(*out));
}

/* "http" or "https" in any case, stored in lower case; returns its length. */
static size_t parse_scheme(struct http1_str t, struct http1_target *out)
{
	static const char *const schemes[] = {"http", "https"};

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]);

		if (t.n > n + 3 && memcmp(t.p + n, "://", 3) == 0 &&
		    http1_str_ieq((struct http1_str){t.p, n}, schemes[i])) {
			memcpy(out->scheme, schemes[i], n + 1);
			out->port = i == 0 ? 80 : 443;
			return n + 3;
		}
	}
	return 0;
}

/* The path and query after the authority: visible characters, no fragment.
 * An empty path becomes "/"; a query right after the authority is refused
 * because its origin-form would need a '/' the buffer does not hold. */
static int parse_path(struct http1_str p, struct http1_target *out)
{
	if (p.n == 0) {
		out->path = (struct http1_str){root_path, 1};
		return HTTP1_OK;
	}
	if (p.p[0] != '/')
		return HTTP1_E_SYNTAX;
	for (size_t i = 0; i < p.n; i++) {
		uint8_t c = (uint8_t)p.p[i];

		if (c <= 0x20 || c == 0x7f || c == '#')
			return HTTP1_E_SYNTAX;
	}
	out->path = p;
	return HTTP1_OK;
}

int http1_parse_absolute(struct http1_str target, struct http1_target *out)
{
	struct http1_str auth;
	size_t off, i;
	int rc;

	target_reset(out);
	off = parse_scheme(target, out);
	if (off == 0)
		return HTTP1_E_SYNTAX;
	for (i = off; i < target.n; i++) {
		char c = target.p[i];

		if (c == '/' || c == '?' || c == '#')
			break;
	}
	auth = (struct http1_str){target.p + off, i - off};
	if (memchr(auth.p, '@', auth.n) != NULL)
		return HTTP1_E_SYNTAX;
	rc = parse_host_port(auth, out);
	if (rc != HTTP1_OK)
		return rc;
	return parse_path((struct http1_str){target.p + i, target.n - i}, out);
}

int http1_parse_authority(struct http1_str authority, uint16_t default_port,
			  struct http1_target *out)
{
	int rc;

	target_reset(out);
	rc = parse_host_port(authority, out);
	if (rc != HTTP1_OK)
		return rc;
	if (!out->has_port) {
		if (default_port == 0)
			return HTTP1_E_SYNTAX;
		out->port = default_port;
	}
	return HTTP1_OK;
}
