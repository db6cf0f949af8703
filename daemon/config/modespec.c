/* Runs in the coordinator (validating --mode) and in workers (their copy of
 * the config).  Trusts nothing: specs come from the command line.  Parses
 * `name[:data][@[host:]port]` like mitmproxy's mode_specs (snare-modes(7), SPECIFICATION GRAMMAR),
 * one table row per mode, with mitmdump's exact error messages (snare-modes(7), ERRORS). */
#include "config/modespec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MODESPEC_MAX_LEN 8192
#define TUN_NAME_MAX 15 /* IFNAMSIZ - 1 */
#define MODESPEC_MAX_SET 256

/* Validates m->data for one mode; writes the reason (the text inside the
 * parentheses of the final message) on error. */
typedef int (*mode_check_fn)(struct mode_spec *m, char *reason, size_t len);

struct mode_row {
	const char *name;
	enum mode_kind kind; /* MODE_KIND_COUNT: a name that only errors */
	mode_check_fn check;
	int default_port;    /* -1: binds nothing */
	unsigned transports; /* MODE_TRANSPORT_* */
	const char *description;
};

static int check_empty(struct mode_spec *m, char *reason, size_t len)
{
	if (m->data && m->data[0]) {
		snprintf(reason, len, "mode takes no arguments");
		return -EINVAL;
	}
	return 0;
}

static int check_upstream(struct mode_spec *m, char *reason, size_t len)
{
	int rc = server_spec_parse(m->data ? m->data : "", "http", &m->server, reason, len);

	if (rc < 0)
		return rc;
	if (!modespec_scheme(m->server.scheme)->upstream_ok) {
		snprintf(reason, len, "invalid upstream proxy scheme");
		return -EINVAL;
	}
	return 0;
}

static int check_reverse(struct mode_spec *m, char *reason, size_t len)
{
	return server_spec_parse(m->data ? m->data : "", "https", &m->server, reason, len);
}

static int check_none(struct mode_spec *m, char *reason, size_t len)
{
	return 0;
}

static int check_local(struct mode_spec *m, char *reason, size_t len)
{
	if (m->data && intercept_spec_validate(m->data) < 0) {
		snprintf(reason, len, "invalid intercept spec: %s", m->data);
		return -EINVAL;
	}
	return 0;
}

/* A Linux interface name: 1..15 bytes, not "." or "..", no '/', ':' or
 * whitespace.  No data (or empty data) means the kernel's tun%d. */
static int check_tun(struct mode_spec *m, char *reason, size_t len)
{
	const char *d = m->data, *p;
	bool ok;

	if (d == NULL || d[0] == '\0')
		return 0;
	ok = strlen(d) <= TUN_NAME_MAX && strcmp(d, ".") != 0 && strcmp(d, "..") != 0;
	for (p = d; ok && *p; p++)
		ok = *p != '/' && *p != ':' && !isspace((unsigned char)*p);
	if (!ok) {
		snprintf(reason, len, "Invalid tun name: %s", d);
		return -EINVAL;
	}
	return 0;
}

static int check_osproxy(struct mode_spec *m, char *reason, size_t len)
{
	snprintf(reason, len,
		 "osproxy mode has been renamed to local mode. "
		 "Thanks for trying our experimental features!");
	return -EINVAL;
}

#define TCP MODE_TRANSPORT_TCP
#define UDP MODE_TRANSPORT_UDP

static const struct mode_row mode_rows[] = {
    {"regular", MODE_REGULAR, check_empty, 8080, TCP, "HTTP(S) proxy"},
    {"transparent", MODE_TRANSPARENT, check_empty, 8080, TCP, "Transparent Proxy"},
    {"upstream", MODE_UPSTREAM, check_upstream, 8080, TCP, "HTTP(S) proxy (upstream mode)"},
    {"reverse", MODE_REVERSE, check_reverse, 8080, TCP, "reverse proxy"},
    {"socks5", MODE_SOCKS5, check_empty, 1080, TCP, "SOCKS v5 proxy"},
    {"dns", MODE_DNS, check_empty, 53, TCP | UDP, "DNS server"},
    {"wireguard", MODE_WIREGUARD, check_none, 51820, UDP, "WireGuard server"},
    {"local", MODE_LOCAL, check_local, -1, 0, "Local redirector"},
    {"tun", MODE_TUN, check_tun, -1, 0, "TUN interface"},
    {"osproxy", MODE_KIND_COUNT, check_osproxy, -1, 0, ""},
};

static const struct mode_row *row_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_rows); i++)
		if (strlen(mode_rows[i].name) == len &&
		    strncasecmp(mode_rows[i].name, name, len) == 0)
			return &mode_rows[i];
	return NULL;
}

static const struct mode_row *row_by_kind(enum mode_kind k)
{
	if ((unsigned)k >= MODE_KIND_COUNT)
		fatal("modespec: bad mode kind %d", (int)k);
	return &mode_rows[k];
}

/* Python's int() on a port: surrounding whitespace, a sign, and '_' between
 * digits are accepted; the value must be 0..65535. */
static bool port_text_parse(const char *s, int *out)
{
	const char *e = s + strlen(s);
	bool neg = false, digit = false;
	long v = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s < e && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	for (; s < e; s++) {
		if (*s == '_' && digit && s + 1 < e && isdigit((unsigned char)s[1]))
			continue;
		if (!isdigit((unsigned char)*s))
			return false;
		digit = true;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return false;
	}
	if (!digit || (neg && v != 0))
		return false;
	*out = (int)v;
	return true;
}

/* Steps 1 and 3 of the grammar in snare-modes(7): the listen part after the last '@'. */
static int listen_parse(const char *at, struct mode_spec *m, char *reason, size_t len)
{
	const char *colon = strrchr(at, ':'), *port = colon ? colon + 1 : at;

	if (!port_text_parse(port, &m->listen_port)) {
		snprintf(reason, len, "invalid port: %s", port);
		return -EINVAL;
	}
	if (colon)
		m->listen_host = xstrndup(at, (size_t)(colon - at));
	return 0;
}

static int parse_reason(const char *s, struct mode_spec *m, char *reason, size_t len)
{
	const char *at = strrchr(s, '@'), *colon;
	const struct mode_row *row;
	size_t headlen;
	int rc;

	if (strlen(s) > MODESPEC_MAX_LEN) {
		snprintf(reason, len, "specification too long");
		return -EINVAL;
	}
	if (at == s) {
		s++; /* nothing before the '@': the rest is the head (rpartition) */
		at = NULL;
	}
	headlen = at ? (size_t)(at - s) : strlen(s);
	if (at && at[1] && (rc = listen_parse(at + 1, m, reason, len)) < 0)
		return rc;
	colon = memchr(s, ':', headlen);
	if (colon)
		m->data = xstrndup(colon + 1, headlen - (size_t)(colon + 1 - s));
	row = row_by_name(s, colon ? (size_t)(colon - s) : headlen);
	if (row == NULL) {
		snprintf(reason, len, "unknown mode");
		return -EINVAL;
	}
	m->kind = row->kind;
	return row->check(m, reason, len);
}

int modespec_parse(const char *s, struct mode_spec *out, char *err, size_t errlen)
{
	char reason[512];
	int rc;

	memset(out, 0, sizeof(*out));
	out->listen_port = -1;
	rc = parse_reason(s, out, reason, sizeof(reason));
	if (rc < 0) {
		snprintf(err, errlen, "Invalid proxy mode specification: %s (%s)", s, reason);
		modespec_free(out);
		out->listen_port = -1;
		return rc;
	}
	out->full = xstrdup(s);
	return 0;
}

void modespec_free(struct mode_spec *m)
{
	free(m->full);
	free(m->data);
	free(m->listen_host);
	m->full = m->data = m->listen_host = NULL;
}

void modespec_description(const struct mode_spec *m, char *buf, size_t len)
{
	const struct mode_row *row = row_by_kind(m->kind);

	if (m->kind == MODE_REVERSE)
		snprintf(buf, len, "%s to %s", row->description, m->data ? m->data : "");
	else
		snprintf(buf, len, "%s", row->description);
}

const char *modespec_kind_name(enum mode_kind k)
{
	return row_by_kind(k)->name;
}

/* Which sockets a reverse proxy binds depends on its scheme, as in mitmproxy:
 * UDP only for http3, dtls, udp and quic; TCP and UDP for dns and https; TCP
 * for the rest. */
static const struct scheme_info scheme_rows[] = {
    /* name, transports, port, reverse, upstream, server TLS, raw, dns, datagrams, server port */
    {"http", TCP, -1, true, true, false, false, false, SCHEME_DGRAM_NONE, 80},
    {"https", TCP | UDP, -1, true, true, true, false, false, SCHEME_DGRAM_NONE, 443},
    {"http3", UDP, -1, true, false, true, false, false, SCHEME_DGRAM_HTTP3, 443},
    {"tls", TCP, -1, true, false, true, true, false, SCHEME_DGRAM_NONE, -1},
    {"dtls", UDP, -1, true, false, true, true, false, SCHEME_DGRAM_DTLS, -1},
    {"tcp", TCP, -1, true, false, false, true, false, SCHEME_DGRAM_NONE, -1},
    {"udp", UDP, -1, true, false, false, true, false, SCHEME_DGRAM_UDP, -1},
    {"dns", TCP | UDP, 53, true, false, false, false, true, SCHEME_DGRAM_DNS, 53},
    {"quic", UDP, -1, true, false, true, true, false, SCHEME_DGRAM_QUIC, 443},
};

const struct scheme_info *modespec_scheme(const char *name)
{
	static const struct scheme_info unknown = {
	    "", TCP, -1, false, false, false, false, false, SCHEME_DGRAM_NONE, -1};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scheme_rows); i++)
		if (strcmp(name, scheme_rows[i].name) == 0)
			return &scheme_rows[i];
	return &unknown;
}

const struct scheme_info *modespec_scheme_of(const struct mode_spec *m)
{
	if (m->kind == MODE_REVERSE || m->kind == MODE_UPSTREAM)
		return modespec_scheme(m->server.scheme);
	return modespec_scheme("");
}

int modespec_default_port(const struct mode_spec *m)
{
	if (m->kind == MODE_REVERSE && modespec_scheme(m->server.scheme)->reverse_port > 0)
		return modespec_scheme(m->server.scheme)->reverse_port;
	return row_by_kind(m->kind)->default_port;
}

unsigned modespec_transports(const struct mode_spec *m)
{
	if (m->kind == MODE_REVERSE)
		return modespec_scheme(m->server.scheme)->reverse_transports;
	return row_by_kind(m->kind)->transports;
}

unsigned modespec_served_transports(const struct mode_spec *m)
{
	bool udp = m->kind == MODE_DNS || m->kind == MODE_WIREGUARD ||
		   (m->kind == MODE_REVERSE &&
		    modespec_scheme(m->server.scheme)->dgram != SCHEME_DGRAM_NONE);

	return modespec_transports(m) & (udp ? ~0u : MODE_TRANSPORT_TCP);
}

const char *modespec_listen_host(const struct mode_spec *m, const char *listen_host)
{
	if (m->listen_host)
		return m->listen_host;
	return listen_host ? listen_host : "";
}

/* local and tun bind nothing, whatever -p says (mitmproxy would count them). */
int modespec_listen_port(const struct mode_spec *m, int listen_port)
{
	if (modespec_transports(m) == 0)
		return -1;
	if (m->listen_port >= 0)
		return m->listen_port;
	if (listen_port >= 0)
		return listen_port;
	return modespec_default_port(m);
}

/* local:SPEC (snare-modes(7)): comma list, items trimmed, optional '!' (then trimmed again), each
 * a pid or a process name; empty items are refused.  Empty overall is fine. */
int intercept_spec_validate(const char *s)
{
	const char *p = s, *end;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	for (p = s;; p = end + 1) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n > 0 && *p == '!') {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n == 0)
			return -EINVAL;
		if (end == NULL)
			return 0;
	}
}

struct listen_addr {
	const char *host;
	int port;
	unsigned transport;
};

/* human.format_address: unspecified -> "*", IPv6 in brackets, v4-mapped as
 * IPv4, names as given. */
static void addr_format(const char *host, int port, char *buf, size_t len)
{
	unsigned char a[16];
	char txt[64];

	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0) {
		snprintf(buf, len, "*:%d", port);
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
		static const unsigned char zero[16];

		if (memcmp(a, zero, 16) == 0)
			snprintf(buf, len, "*:%d", port);
		else if (memcmp(a, mapped, 12) == 0 && inet_ntop(AF_INET, a + 12, txt, sizeof(txt)))
			snprintf(buf, len, "%s:%d", txt, port);
		else if (inet_ntop(AF_INET6, a, txt, sizeof(txt)))
			snprintf(buf, len, "[%s]:%d", txt, port);
	} else {
		snprintf(buf, len, "%s:%d", host, port);
	}
}

static size_t addrs_collect(const struct mode_spec *m, size_t n, const char *listen_host,
			    int listen_port, struct listen_addr *out)
{
	size_t i, k = 0;
	unsigned t;

	for (i = 0; i < n; i++) {
		int port = modespec_listen_port(&m[i], listen_port);

		if (port <= 0) /* none, or 0: each instance gets its own free port */
			continue;
		for (t = MODE_TRANSPORT_TCP; t <= MODE_TRANSPORT_UDP; t <<= 1) {
			if (!(modespec_transports(&m[i]) & t))
				continue;
			out[k].host = modespec_listen_host(&m[i], listen_host);
			out[k].port = port;
			out[k++].transport = t;
		}
	}
	return k;
}

static bool addr_eq(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->port == b->port && a->transport == b->transport && strcmp(a->host, b->host) == 0;
}

/* Like collections.Counter(...).most_common(1): the address seen most
 * often, the first one among equals; NULL when all are distinct. */
static const struct listen_addr *addrs_most_common(const struct listen_addr *a, size_t n)
{
	size_t i, j, count, best_count = 1;
	const struct listen_addr *best = NULL;

	for (i = 0; i < n; i++) {
		for (count = 0, j = 0; j < n; j++)
			count += addr_eq(&a[i], &a[j]);
		if (count > best_count) {
			best = &a[i];
			best_count = count;
		}
	}
	return best;
}

/* Identical local specs are one instance (mitmproxy merges them). */
static size_t count_local(const struct mode_spec *m, size_t n)
{
	size_t i, j, count = 0;

	for (i = 0; i < n; i++) {
		if (m[i].kind != MODE_LOCAL)
			continue;
		for (j = 0; j < i; j++)
			if (m[j].kind == MODE_LOCAL && strcmp(m[i].full, m[j].full) == 0)
				break;
		count += j == i;
	}
	return count;
}

int modespec_check_set(const struct mode_spec *m, size_t n, const char *listen_host,
		       int listen_port, char *err, size_t errlen)
{
	struct listen_addr addrs[2 * MODESPEC_MAX_SET];
	const struct listen_addr *dup;
	char where[300];

	if (n > MODESPEC_MAX_SET) {
		snprintf(err, errlen, "Too many proxy modes (at most %d).", MODESPEC_MAX_SET);
		return -EINVAL;
	}
	dup = addrs_most_common(addrs, addrs_collect(m, n, listen_host, listen_port, addrs));
	if (dup) {
		addr_format(dup->host, dup->port, where, sizeof(where));
		snprintf(err, errlen, "Cannot spawn multiple servers on the same address: %s",
			 where);
		return -EINVAL;
	}
	if (count_local(m, n) > 1) {
		snprintf(err, errlen, "Cannot spawn more than one local redirector.");
		return -EINVAL;
	}
	return 0;
}
