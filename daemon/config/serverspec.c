/* Runs in the coordinator (validating --mode) and in workers (their copy of
 * the config).  Trusts nothing: the text comes from the command line.
 * Parses `[scheme://]host[:port][/]` exactly like mitmproxy's server_spec
 * module, with its error messages (snare-modes(7): Server specifications, ERRORS). */
#include "config/modespec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The pieces of a spec that matched the grammar, as spans into the input. */
struct spec_parts {
	const char *scheme, *host, *port;
	size_t scheme_len, host_len, port_len;
};

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* `[^:/]+` or `\[.+\]` (no newline inside the brackets, as Python's '.'). */
static bool host_matches(const char *h, size_t n)
{
	if (n >= 3 && h[0] == '[' && h[n - 1] == ']' && !memchr(h, '\n', n))
		return true;
	return n > 0 && !memchr(h, ':', n) && !memchr(h, '/', n);
}

/* Splits s into scheme, host and port; false when the grammar does not match. */
static bool spec_split(const char *s, struct spec_parts *p)
{
	const char *colon = strchr(s, ':'), *last;
	size_t n, i;

	memset(p, 0, sizeof(*p));
	if (colon && colon > s && strncmp(colon, "://", 3) == 0) {
		for (i = 0; s + i < colon && is_word(s[i]); i++)
			;
		if (s + i == colon) {
			p->scheme = s;
			p->scheme_len = i;
			s = colon + 3;
		}
	}
	n = strlen(s);
	if (n > 0 && s[n - 1] == '/')
		n--;
	last = memrchr(s, ':', n);
	if (last && all_digits(last + 1, n - (size_t)(last + 1 - s)) &&
	    host_matches(s, (size_t)(last - s))) {
		p->port = last + 1;
		p->port_len = n - (size_t)(last + 1 - s);
		n = (size_t)(last - s);
	} else if (!host_matches(s, n)) {
		return false;
	}
	p->host = s;
	p->host_len = n;
	return true;
}

static bool label_ok(const char *l, size_t n)
{
	size_t i;

	if (n < 1 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)l[i]) && l[i] != '-' && l[i] != '_')
			return false;
	return true;
}

static bool ip_valid(const char *h)
{
	unsigned char a[16];
	char addr[64];
	const char *pct = strchr(h, '%');

	if (inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1)
		return true;
	/* IPv6 with a zone index, "fe80::1%eth0" */
	if (!pct || pct[1] == '\0' || strchr(pct + 1, '%') || (size_t)(pct - h) >= sizeof(addr))
		return false;
	snprintf(addr, sizeof(addr), "%.*s", (int)(pct - h), h);
	return inet_pton(AF_INET6, addr, a) == 1;
}

/* mitmproxy's check.is_valid_host for ASCII: at most 255 bytes, one trailing
 * dot allowed, then DNS labels (with '_'), IPv4 or IPv6.  Non-ASCII names
 * (IDNA) are refused. */
static bool host_valid(const char *h)
{
	char buf[256];
	const char *p = buf, *dot;
	size_t n = strlen(h);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, h, n + 1);
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (ip_valid(buf))
		return true;
	for (;;) {
		dot = strchr(p, '.');
		if (!label_ok(p, dot ? (size_t)(dot - p) : strlen(p)))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

/* Digits (already checked) to a port; prints the value without leading
 * zeros on error, as Python's int() would. */
static int port_parse(const char *d, size_t n, uint16_t *out, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t i = 0;

	while (i + 1 < n && d[i] == '0')
		i++;
	if (n - i > 5) {
		snprintf(err, errlen, "Invalid port: %.*s", (int)(n - i), d + i);
		return -EINVAL;
	}
	for (; i < n; i++)
		v = v * 10 + (unsigned long)(d[i] - '0');
	if (v > 65535) {
		snprintf(err, errlen, "Invalid port: %lu", v);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static int scheme_pick(const struct spec_parts *p, const char *default_scheme,
		       const struct scheme_info **out, char *err, size_t errlen)
{
	const char *name = p->scheme ? p->scheme : default_scheme;
	size_t len = p->scheme ? p->scheme_len : strlen(default_scheme);
	char buf[16];

	*out = NULL;
	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		*out = modespec_scheme(buf);
	}
	if (*out == NULL || (*out)->name[0] == '\0') {
		snprintf(err, errlen, "Invalid server scheme: %.*s", (int)len, name);
		return -EINVAL;
	}
	return 0;
}

int server_spec_parse(const char *s, const char *default_scheme, struct server_spec *out, char *err,
		      size_t errlen)
{
	const struct scheme_info *sc; /* modespec.c's one table of schemes */
	struct spec_parts p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!spec_split(s, &p)) {
		snprintf(err, errlen, "Invalid server specification: %s", s);
		return -EINVAL;
	}
	if ((rc = scheme_pick(&p, default_scheme, &sc, err, errlen)) < 0)
		return rc;
	if (p.host_len >= 2 && p.host[0] == '[' && p.host[p.host_len - 1] == ']') {
		p.host++;
		p.host_len -= 2;
	}
	if (p.host_len >= sizeof(out->host)) {
		snprintf(err, errlen, "Invalid hostname: %.*s", (int)p.host_len, p.host);
		return -EINVAL;
	}
	memcpy(out->host, p.host, p.host_len);
	out->host[p.host_len] = '\0';
	if (!host_valid(out->host)) {
		snprintf(err, errlen, "Invalid hostname: %s", out->host);
		return -EINVAL;
	}
	snprintf(out->scheme, sizeof(out->scheme), "%s", sc->name);
	if (p.port)
		return port_parse(p.port, p.port_len, &out->port, err, errlen);
	if (sc->server_port < 0) {
		snprintf(err, errlen, "Port specification missing.");
		return -EINVAL;
	}
	out->port = (uint16_t)sc->server_port;
	return 0;
}
