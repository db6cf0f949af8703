/* Runs in the worker: a request's URL and host as mitmproxy shows and sets
 * them (scheme://host[:port]/path, the Host header following the host). */
#include <stdio.h>
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
