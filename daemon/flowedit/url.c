/* Runs in the worker: a request's URL and host as mitmproxy shows and sets
 * them (scheme://host[:port]/path, the Host header following the host). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flowedit/flowedit.h"

unsigned flowedit_default_port(const char *scheme)
{
	if (!scheme)
		return 0;
	if (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "ws"))
		return 80;
	if (!strcasecmp(scheme, "https") || !strcasecmp(scheme, "wss"))
		return 443;
	return 0;
}

static int host_port(char *buf, size_t len, const char *scheme, const char *host, unsigned port)
{
	const char *lb = strchr(host, ':') ? "[" : "", *rb = *lb ? "]" : "";

	if (port && port != flowedit_default_port(scheme))
		return snprintf(buf, len, "%s%s%s:%u", lb, host, rb, port);
	return snprintf(buf, len, "%s%s%s", lb, host, rb);
}

bool flowedit_request_url(const Snare__HttpRequest *r, char *buf, size_t len)
{
	const char *scheme = r->scheme ? r->scheme : "http";
	int n = snprintf(buf, len, "%s://", scheme);

	if (n < 0 || (size_t)n >= len)
		return false;
	int m =
	    host_port(buf + n, len - n, scheme, r->host ? r->host : "", r->has_port ? r->port : 0);
	if (m < 0 || (size_t)(n + m) >= len)
		return false;
	n += m;
	m = snprintf(buf + n, len - n, "%s", r->path ? r->path : "/");
	return m >= 0 && (size_t)(n + m) < len;
}

void flowedit_request_set_host(struct flowedit *e, Snare__HttpRequest *r, const char *host,
			       unsigned port)
{
	char hp[1100];
	size_t from = 0;

	r->host = flowedit_strdup(e, host);
	r->has_port = 1;
	r->port = port;
	if (!flowedit_header_next(r->headers, r->n_headers, "host", &from))
		return;
	if (host_port(hp, sizeof(hp), r->scheme, host, port) >= (int)sizeof(hp))
		return;
	flowedit_header_set(e, &r->headers, &r->n_headers, "Host", hp, strlen(hp));
}

/* host[:port] or [v6][:port] from the n bytes at a into host (cap bytes). */
static int parse_authority(const char *a, size_t n, char *host, size_t cap, long *port)
{
	const char *h = a, *colon;
	size_t hl;

	*port = -1;
	if (n && a[0] == '[') {
		const char *rb = memchr(a, ']', n);
		if (!rb)
			return -EINVAL;
		h = a + 1;
		hl = rb - h;
		colon = rb + 1 < a + n && rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb + 1 != a + n)
			return -EINVAL;
	} else {
		colon = memchr(a, ':', n);
		hl = colon ? (size_t)(colon - a) : n;
	}
	if (colon) {
		char *end;
		size_t pl = a + n - colon - 1;
		if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl)
			return -EINVAL;
		*port = strtol(colon + 1, &end, 10);
		if (*port < 1 || *port > 65535)
			return -EINVAL;
	}
	if (hl == 0 || hl >= cap)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	return 0;
}

int flowedit_request_set_url(struct flowedit *e, Snare__HttpRequest *r, const char *url)
{
	char scheme[32], host[1024];
	size_t sl =
		   strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"),
	       al;
	const char *auth, *path;
	long port;

	if (sl == 0 || sl >= sizeof(scheme) || strncmp(url + sl, "://", 3) != 0)
		return -EINVAL;
	for (size_t i = 0; i < sl; i++)
		scheme[i] = (char)tolower((unsigned char)url[i]);
	scheme[sl] = 0;
	auth = url + sl + 3;
	al = strcspn(auth, "/?#");
	if (parse_authority(auth, al, host, sizeof(host), &port) < 0)
		return -EINVAL;
	if (port < 0)
		port = flowedit_default_port(scheme);
	if (port == 0)
		return -EINVAL;
	path = auth + al;
	r->scheme = flowedit_strdup(e, scheme);
	if (*path == '/') {
		r->path = flowedit_strdup(e, path);
	} else {
		r->path = flowedit_alloc(e, strlen(path) + 2);
		r->path[0] = '/';
		strcpy(r->path + 1, path);
	}
	flowedit_request_set_host(e, r, host, (unsigned)port);
	return 0;
}
