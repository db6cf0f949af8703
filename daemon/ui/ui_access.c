/* Runs in the ui: the access rules of docs/web-api.md (see ui_access.h).
 * Every field of the request is untrusted; secrets are compared in constant
 * time. */
#include "ui/ui_access.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/util.h"

#define UI_COOKIE "snare_web"

bool ui_secret_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i;
	unsigned char d = na != nb;

	for (i = 0; i < nb; i++)
		d |= (unsigned char)(a[i < na ? i : 0] ^ b[i]);
	return d == 0 && nb > 0;
}

void ui_random_hex(char out[UI_SECRET_HEX + 1])
{
	unsigned char r[UI_SECRET_HEX / 2];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("getrandom failed");
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

void ui_access_init(struct ui_access *a, const char *host, unsigned port, bool loopback,
		    const char *token, const char *csrf)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = port;
	a->loopback = loopback;
	snprintf(a->token, sizeof(a->token), "%s", token);
	snprintf(a->csrf, sizeof(a->csrf), "%s", csrf);
}

void ui_access_add_session(struct ui_access *a, const char *value)
{
	snprintf(a->sessions[a->next], sizeof(a->sessions[0]), "%s", value);
	a->next = (a->next + 1) % UI_SESSIONS;
	if (a->nsessions < UI_SESSIONS)
		a->nsessions++;
}

void ui_access_new_session(struct ui_access *a, char out[UI_SECRET_HEX + 1])
{
	ui_random_hex(out);
	ui_access_add_session(a, out);
}

/* "NAME:PORT" (NAME in brackets when it is an IPv6 literal), case-insensitive. */
static bool host_is(const char *hdr, const char *name, unsigned port)
{
	char want[300];

	snprintf(want, sizeof(want), "%s%s%s:%u", strchr(name, ':') ? "[" : "", name,
		 strchr(name, ':') ? "]" : "", port);
	if (strcasecmp(hdr, want) == 0)
		return true;
	/* A browser leaves out the default port. */
	*strrchr(want, ':') = '\0';
	return port == 80 && strcasecmp(hdr, want) == 0;
}

static bool wildcard(const char *host)
{
	return *host == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* An IP literal ("192.0.2.1:P" or "[2001:db8::1]:P") with our port: a DNS
 * rebinding attack needs a name, so on a wildcard address any literal will
 * do. */
static bool literal_with_port(const char *hdr, unsigned port)
{
	char host[INET6_ADDRSTRLEN + 2], tail[16];
	const char *colon = strrchr(hdr, ':');
	unsigned char buf[sizeof(struct in6_addr)];
	size_t n;

	if (colon == NULL || (size_t)(colon - hdr) >= sizeof(host))
		return false;
	snprintf(tail, sizeof(tail), ":%u", port);
	if (strcmp(colon, tail) != 0)
		return false;
	n = (size_t)(colon - hdr);
	if (n >= 2 && hdr[0] == '[' && hdr[n - 1] == ']') {
		memcpy(host, hdr + 1, n - 2);
		host[n - 2] = '\0';
		return inet_pton(AF_INET6, host, buf) == 1;
	}
	memcpy(host, hdr, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, buf) == 1;
}

static bool host_ok(const struct ui_access *a, const char *hdr)
{
	static const char *const loopback_names[] = {"localhost", "127.0.0.1", "::1"};
	size_t i;

	if (hdr == NULL)
		return false;
	if (host_is(hdr, a->host, a->port))
		return true;
	if (wildcard(a->host) && literal_with_port(hdr, a->port))
		return true;
	for (i = 0; a->loopback && i < ARRAY_SIZE(loopback_names); i++)
		if (host_is(hdr, loopback_names[i], a->port))
			return true;
	return false;
}

/* The value of our cookie in a Cookie header, copied to out; false if none. */
static bool cookie_value(const char *hdr, char *out, size_t outlen)
{
	const char *p = hdr;
	size_t n = strlen(UI_COOKIE), len;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		len = strcspn(p, ";");
		if (len > n && strncmp(p, UI_COOKIE, n) == 0 && p[n] == '=') {
			len -= n + 1;
			if (len >= outlen)
				return false;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return true;
		}
		p += len;
	}
	return false;
}

static bool session_ok(const struct ui_access *a, const char *hdr)
{
	char v[UI_SECRET_HEX + 1];
	bool ok = false;
	size_t i;

	if (hdr == NULL || !cookie_value(hdr, v, sizeof(v)))
		return false;
	for (i = 0; i < a->nsessions; i++)
		ok |= ui_secret_eq(v, a->sessions[i]);
	return ok;
}

static bool changes_state(const char *method)
{
	return method == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0);
}

enum ui_access_verdict ui_access_check(const struct ui_access *a, const struct ui_access_req *r)
{
	if (!host_ok(a, r->host))
		return UI_DENY_HOST;
	if (r->token != NULL && r->path != NULL && strcmp(r->path, "/") == 0)
		return ui_secret_eq(r->token, a->token) ? UI_LOGIN : UI_DENY_TOKEN;
	if (!session_ok(a, r->cookie))
		return UI_DENY_SESSION;
	if (changes_state(r->method) && (r->csrf == NULL || !ui_secret_eq(r->csrf, a->csrf)))
		return UI_DENY_CSRF;
	return UI_ALLOW;
}

const char *ui_access_reason(enum ui_access_verdict v)
{
	switch (v) {
	case UI_DENY_HOST:
		return "Forbidden: the Host header does not name this server.";
	case UI_DENY_TOKEN:
		return "Forbidden: wrong token.";
	case UI_DENY_SESSION:
		return "Forbidden: open the address with the token snare printed at start.";
	case UI_DENY_CSRF:
		return "Forbidden: missing or wrong X-CSRF-Token.";
	default:
		return "";
	}
}
