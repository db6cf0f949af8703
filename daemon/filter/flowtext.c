/* The text views of a flow that filter operators search: the request's
 * URL and host as mitmproxy shows them, a header block, an address.  The
 * flow's fields are untrusted bytes (a worker's word). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter/filter_int.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

const ProtobufCBinaryData *ftext_header(Snare__Header *const *h, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (h[i]->has_name && h[i]->name.len == len &&
		    !strncasecmp((const char *)h[i]->name.data, name, len) && h[i]->has_value)
			return &h[i]->value;
	return NULL;
}

/* The Host header (HTTP/1) or the authority (HTTP/2's :authority or the
 * absolute-form target), without a port; else the address connected to. */
char *ftext_pretty_host(const Snare__HttpRequest *r)
{
	const ProtobufCBinaryData *h = ftext_header(r->headers, r->n_headers, "host");
	const char *a = h ? NULL : r->authority;
	const char *s = h ? (const char *)h->data : a;
	size_t n = h ? h->len : a ? strlen(a) : 0;
	const char *colon;

	if (n == 0)
		return xstrdup(or_empty(r->host));
	if (s[0] == '[' && (colon = memchr(s, ']', n)))
		return xstrndup(s + 1, (size_t)(colon - s - 1));
	if ((colon = memchr(s, ':', n)) && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1))
		n = (size_t)(colon - s);
	return xstrndup(s, n);
}

static unsigned default_port(const char *scheme)
{
	return !strcmp(scheme, "https") || !strcmp(scheme, "wss") ? 443 : 80;
}

char *ftext_url(const Snare__HttpRequest *r)
{
	const char *scheme = r->scheme && r->scheme[0] ? r->scheme : "http";
	unsigned port = r->has_port ? r->port : default_port(scheme);
	char *host = ftext_pretty_host(r), *url;
	bool v6 = strchr(host, ':') != NULL;
	char portpart[16] = "";

	if (r->method && !strcmp(r->method, "CONNECT")) {
		url = xasprintf(v6 ? "[%s]:%u" : "%s:%u", host, port);
	} else {
		if (port != default_port(scheme))
			snprintf(portpart, sizeof(portpart), ":%u", port);
		url = xasprintf(v6 ? "%s://[%s]%s%s" : "%s://%s%s%s", scheme, host, portpart,
				or_empty(r->path));
	}
	free(host);
	return url;
}

char *ftext_headers(Snare__Header *const *h, size_t n, size_t *len)
{
	size_t total = 1;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		total += h[i]->name.len + h[i]->value.len + 4;
	p = out = xmalloc(total);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, h[i]->name.data, h[i]->name.len);
		p += h[i]->name.len;
		memcpy(p, ": ", 2);
		memcpy(p + 2, h[i]->value.data, h[i]->value.len);
		p += 2 + h[i]->value.len;
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}

/* mitmproxy formats an address as f"{host}:{port}", IPv6 without brackets. */
char *ftext_addr(const Snare__Address *a)
{
	if (!a || !a->host || !a->host[0])
		return NULL;
	return xasprintf("%s:%u", a->host, a->has_port ? a->port : 0);
}
