/* Runs in the coordinator (command line, later the config file) and in
 * workers (name=value pairs from the coordinator).  Trusts nothing: every
 * value is checked against the option's type and range.  One table holds
 * each option's name, type, default and help; a parallel one says where the
 * value lives in struct options. */
#include "config/options.h"
#include "config/rewrite_opts.h"
#include "filter/filter.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPTIONS_MAX_LIST 4096	/* entries in one list option */
#define OPTIONS_MAX_VALUE 65536 /* bytes in one value */

struct opt_field {
	const char *name; /* same as the option_def at the same index */
	size_t off;
	long long min, max; /* OPT_INT */
	bool nullable;	    /* OPT_STR: "" means unset (NULL); OPT_SIZE: "none" = -1 */
	bool enum_store;    /* OPT_CHOICE stored as an int index, else as a string */
	int (*check)(const char *value, char *err, size_t errlen);
};

static int check_proxyauth(const char *v, char *err, size_t errlen);
static int check_upstream_auth(const char *v, char *err, size_t errlen);
static int check_filter(const char *v, char *err, size_t errlen);
static int check_intercept(const char *v, char *err, size_t errlen);

static const struct option_def defs[] = {
    {"listen_host", OPT_STR, "", NULL,
     "Address to bind proxy servers to (\"\" = all interfaces); a mode's @host wins."},
    {"listen_port", OPT_INT, "-1", NULL,
     "Port to bind proxy servers to; -1 uses each mode's default port."},
    {"confdir", OPT_STR, "~/.snare", NULL, "Directory holding the CA and other snare files."},
    {"flow_detail", OPT_INT, "1", NULL,
     "Flow output: 0 none, 1 one line, 2 headers, 3 bodies (cut), 4 everything."},
    {"termlog_verbosity", OPT_CHOICE, "info", "error|warn|info|debug", "Event log verbosity."},
    {"keep_host_header", OPT_BOOL, "false", NULL,
     "Reverse mode: keep the client's Host header and SNI instead of the target's."},
    {"ignore_hosts", OPT_STRLIST, "", NULL,
     "Regex of host:port to pass through without interception (repeatable)."},
    {"allow_hosts", OPT_STRLIST, "", NULL,
     "Regex of host:port to intercept; everything else passes through (repeatable)."},
    {"tcp_hosts", OPT_STRLIST, "", NULL,
     "Regex of hosts whose TCP traffic is relayed raw, not parsed as HTTP (repeatable)."},
    {"udp_hosts", OPT_STRLIST, "", NULL,
     "Regex of hosts whose UDP traffic is relayed raw (repeatable)."},
    {"dns_use_hosts_file", OPT_BOOL, "true", NULL, "Use the hosts file when resolving DNS."},
    {"dns_name_servers", OPT_STRLIST, "", NULL,
     "Name servers for DNS resolution (default: the system's; repeatable)."},
    {"connection_strategy", OPT_CHOICE, "eager", "eager|lazy",
     "eager connects upstream before reading the client's data; lazy waits."},
    {"ssl_insecure", OPT_BOOL, "false", NULL, "Do not verify upstream server certificates."},
    {"ssl_verify_upstream_trusted_ca", OPT_STR, "", NULL,
     "PEM file of trusted CAs for upstream verification (default: the system's)."},
    {"proxyauth", OPT_STR, "", NULL,
     "Require proxy authentication: \"user:pass\", \"any\" or \"@htpasswd-file\"."},
    {"upstream_auth", OPT_STR, "", NULL,
     "Credentials \"user:pass\" to send to the upstream proxy or reverse target."},
    {"block_global", OPT_BOOL, "true", NULL, "Refuse clients from globally routable addresses."},
    {"block_private", OPT_BOOL, "false", NULL, "Refuse clients from private addresses."},
    {"udp_reply_rate", OPT_INT, "100", NULL,
     "UDP replies a second to one IPv4 address or IPv6 /64, twice that at once (0 = no limit)."},
    {"showhost", OPT_BOOL, "false", NULL, "Use the Host header to build displayed URLs."},
    {"onboarding", OPT_BOOL, "true", NULL, "Serve the onboarding app (CA download)."},
    {"onboarding_host", OPT_STR, "mitm.it", NULL, "Host name of the onboarding app."},
    {"stream_large_bodies", OPT_SIZE, "1m", NULL,
     "Stream bodies larger than this instead of buffering them (none = never)."},
    {"body_size_limit", OPT_SIZE, "none", NULL,
     "Refuse bodies larger than this (413); none = no limit."},
    {"rawtcp", OPT_BOOL, "true", NULL, "Relay TCP that does not look like HTTP as raw TCP."},
    {"websocket", OPT_BOOL, "true", NULL, "Intercept WebSocket connections."},
    {"http2", OPT_BOOL, "true", NULL,
     "Speak HTTP/2 with clients (ALPN h2, or prior knowledge); eager mirrors the server's "
     "ALPN, otherwise HTTP/1.1 servers are translated."},
    {"http2_origin", OPT_BOOL, "false", NULL,
     "HTTP/1.1 clients' requests go over HTTP/2 to servers that take it: h2 is offered to TLS "
     "servers in tunnels and reverse mode, reverse http:// servers get h2c with prior knowledge "
     "(HTTP/1.1 on a new connection when they do not answer it)."},
    {"http3", OPT_BOOL, "true", NULL,
     "Intercept QUIC and HTTP/3 in the packet modes and transparent UDP; while false, QUIC is "
     "relayed as UDP and h3 is removed from DNS HTTPS records."},
    {"strip_ech", OPT_BOOL, "true", NULL,
     "Remove Encrypted ClientHello keys from DNS HTTPS records, so clients send a plain SNI."},
    {"upstream_cert", OPT_BOOL, "true", NULL,
     "Look at the upstream server's certificate to build leaf certificates."},
    {"show_ignored_hosts", OPT_BOOL, "false", NULL, "Record flows of ignored hosts."},
    {"http_connect_send_host_header", OPT_BOOL, "true", NULL,
     "Send a Host header with CONNECT requests to an upstream proxy."},
    {"workers", OPT_INT, "0", NULL, "Number of worker processes; 0 = one per CPU."},
    {"user", OPT_STR, "nobody", NULL, "User to switch to when started as root."},
    {"leaf_key", OPT_CHOICE, "ecdsa", "ecdsa|rsa2048", "Key type of leaf certificates."},
    {"key_size", OPT_INT, "2048", NULL, "RSA key size of a new CA."},
    {"tcp_timeout", OPT_INT, "600", NULL, "Close idle TCP connections after this many seconds."},
    {"quic_idle_timeout", OPT_INT, "30", NULL,
     "snare's own: seconds a QUIC connection (reverse:quic://, reverse:http3://, intercepted "
     "QUIC) may be quiet before it closes; the peer's may be shorter. A connection with a "
     "request or response held by intercept is kept alive meanwhile."},
    {"header_timeout", OPT_INT, "60", NULL,
     "Seconds a client has to complete a request head, SOCKS5 or TLS handshake (0 = no limit)."},
    {"max_connections", OPT_INT, "8192", NULL,
     "Client connections one worker serves at once; it stops accepting above (0 = no limit)."},
    {"max_connections_per_source", OPT_INT, "4096", NULL,
     "Client connections one worker takes from one IPv4 address or IPv6 /64, at most half of "
     "what it takes in all (0 = no limit)."},
    {"upstream_keepalive", OPT_INT, "32", NULL,
     "snare's own: idle HTTP/1 server connections one worker keeps per server for other client "
     "connections, and as many HTTP/2 ones (reverse mode and plain HTTP in regular mode; "
     "0 = none)."},
    {"upstream_keepalive_total", OPT_INT, "512", NULL,
     "snare's own: idle server connections one worker keeps in all (upstream_keepalive)."},
    {"upstream_keepalive_timeout", OPT_INT, "60", NULL,
     "snare's own: seconds an idle kept server connection waits for a request before it is "
     "closed."},
    {"server", OPT_BOOL, "true", NULL, "Start the proxy servers (false with -n)."},
    {"wireguard_qr", OPT_BOOL, "true", NULL, "Print the WireGuard client config as a QR code."},
    {"max_header_bytes", OPT_INT, "65536", NULL, "Largest HTTP/1 header block accepted."},
    {"max_headers", OPT_INT, "100", NULL, "Most header fields accepted in one HTTP/1 message."},
    {"transparent_ports", OPT_STRLIST, "", NULL,
     "TCP ports the snare-netfilter helper redirects to the transparent mode listener "
     "(nftables table inet snare, removed on exit)."},
    {"transparent_udp_ports", OPT_STRLIST, "", NULL,
     "UDP ports the snare-netfilter helper sends to the transparent mode (TPROXY, as root; "
     "port 53 is recorded as DNS)."},
    {"transparent_interfaces", OPT_STRLIST, "", NULL,
     "Only redirect traffic arriving on these interfaces (default: every interface)."},
    {"transparent_local", OPT_BOOL, "false", NULL,
     "Also redirect traffic from this machine's own programs (snare's own excluded)."},
    {"web", OPT_BOOL, "false", NULL,
     "Start the web interface (true when run as snare-web; see snare-web(1))."},
    {"web_host", OPT_STR, "127.0.0.1", NULL, "Address the web interface listens on."},
    {"web_port", OPT_INT, "8081", NULL, "Port the web interface listens on (0: any free port)."},
    {"web_open_browser", OPT_BOOL, "true", NULL,
     "Open the web interface in a browser at start (only in a desktop session: DISPLAY or "
     "WAYLAND_DISPLAY set)."},
    {"web_static", OPT_STR, "", NULL,
     "Folder of the web interface's page (default: the installed one, or web/ of the build "
     "tree)."},
    {"view_filter", OPT_STR, "", NULL,
     "Limit the web interface's flow list to matching flows (snare-filters(7))."},
    {"dumper_filter", OPT_STR, "", NULL,
     "Print only flows matching this filter expression (snare-filters(7))."},
    {"save_stream_filter", OPT_STR, "", NULL,
     "Write only matching flows to the -w file and the hardump file (snare-filters(7))."},
    {"readfile_filter", OPT_STR, "", NULL, "Read only matching flows from the -r file."},
    {"hardump", OPT_STR, "", NULL,
     "Write the flows (those matching save_stream_filter) to this HAR 1.2 file on exit; "
     "in live mode they are kept in memory until then."},
    /* Scripts and rewrites (config/rewrite_opts.c, snare-scripting(7)). */
    {"scripts", OPT_STRLIST, "", NULL,
     "Lua script to load, -s FILE (repeatable). Read, checked and sent to the workers, which "
     "do not call its hooks yet in this version (snare-scripting(7))."},
    {"modify_headers", OPT_STRLIST, "", NULL,
     "Header rewrite \"[/filter]/name/value\" (value \"@file\" reads a file; repeatable). "
     "Checked and sent to the workers, not applied yet in this version."},
    {"modify_body", OPT_STRLIST, "", NULL,
     "Body rewrite \"[/filter]/regex/replacement\" (repeatable). Checked and sent to the "
     "workers, not applied yet in this version."},
    {"map_remote", OPT_STRLIST, "", NULL,
     "URL rewrite \"[/filter]/url-regex/replacement\" (repeatable). Checked and sent to the "
     "workers, not applied yet in this version."},
    {"map_local", OPT_STRLIST, "", NULL,
     "Serve local files \"[/filter]/url-regex/path\" (repeatable; the coordinator reads them). "
     "Checked and sent to the workers, not applied yet in this version."},
    {"block_list", OPT_STRLIST, "", NULL,
     "Answer matching requests with a status \"/filter/status\" (444: hang up; repeatable). "
     "Checked and sent to the workers, not applied yet in this version."},
    {"anticache", OPT_BOOL, "false", NULL,
     "Strip request headers that might make a server answer 304 Not Modified "
     "(not applied yet in this version)."},
    {"anticomp", OPT_BOOL, "false", NULL,
     "Ask servers for uncompressed data (not applied yet in this version)."},
    {"intercept", OPT_STR, "", NULL,
     "Hold requests and responses matching this filter (~q requests only, ~s responses "
     "only) until they are resumed, edited or killed in the web interface; \"\" is off."},
    {"intercept_timeout", OPT_INT, "0", NULL,
     "Resume intercepted flows unchanged after this many seconds; 0 holds them until "
     "the user acts."},
    {"server_replay", OPT_STRLIST, "", NULL,
     "Answer matching HTTP requests from the responses of a flow file (-w) instead of asking "
     "the server (repeatable; each worker holds every flow; snare-replay(7))."},
    {"client_replay", OPT_STRLIST, "", NULL,
     "Send the requests of a flow file again, one at a time, recording each as a replay "
     "flow (repeatable; snare-replay(7))."},
    {"server_replay_kill_extra", OPT_BOOL, "false", NULL,
     "Server replay: kill requests with no recorded response (older spelling of "
     "server_replay_extra=kill)."},
    {"server_replay_ignore_params", OPT_STRLIST, "", NULL,
     "Server replay: query parameters ignored when matching (repeatable)."},
    {"server_replay_ignore_content", OPT_BOOL, "false", NULL,
     "Server replay: ignore request bodies when matching."},
    {"server_replay_use_headers", OPT_STRLIST, "", NULL,
     "Server replay: request headers whose values must match too (repeatable)."},
    {"server_replay_nopop", OPT_BOOL, "false", NULL,
     "Server replay: keep a response for later requests (older spelling of "
     "server_replay_reuse)."},
    {"server_replay_refresh", OPT_BOOL, "true", NULL,
     "Server replay: move Date, Expires, Last-Modified and cookie expiries by the time since "
     "the recording."},
    {"server_replay_reuse", OPT_BOOL, "false", NULL,
     "Server replay: serve a recorded response again for every matching request instead of "
     "once (mitmproxy's default pops it)."},
    {"server_replay_extra", OPT_CHOICE, "forward", "forward|kill|204|400|404|500",
     "Server replay: what a request with no recorded response gets: sent to the server, "
     "killed, or an empty response of that status."},
    {"server_replay_ignore_host", OPT_BOOL, "false", NULL,
     "Server replay: ignore the request's host when matching."},
    {"server_replay_ignore_port", OPT_BOOL, "false", NULL,
     "Server replay: ignore the request's port when matching."},
    {"server_replay_ignore_payload_params", OPT_STRLIST, "", NULL,
     "Server replay: form fields (urlencoded or multipart) ignored when matching (repeatable)."},
    {"client_replay_concurrency", OPT_INT, "1", NULL,
     "Client replay: requests in flight at once (-1: no limit)."},
};

#define F(field, ...)                                                                              \
	{                                                                                          \
		.name = #field, .off = offsetof(struct options, field), __VA_ARGS__                \
	}
#define RANGE(a, b) .min = (a), .max = (b)

static const struct opt_field fields[] = {
    F(listen_host),
    F(listen_port, RANGE(-1, 65535)),
    F(confdir),
    F(flow_detail, RANGE(0, 4)),
    F(termlog_verbosity),
    F(keep_host_header),
    F(ignore_hosts),
    F(allow_hosts),
    F(tcp_hosts),
    F(udp_hosts),
    F(dns_use_hosts_file),
    F(dns_name_servers),
    F(connection_strategy, .enum_store = true),
    F(ssl_insecure),
    F(ssl_verify_upstream_trusted_ca, .nullable = true),
    F(proxyauth, .nullable = true, .check = check_proxyauth),
    F(upstream_auth, .nullable = true, .check = check_upstream_auth),
    F(block_global),
    F(block_private),
    F(udp_reply_rate, RANGE(0, 1000000)),
    F(showhost),
    F(onboarding),
    F(onboarding_host),
    F(stream_large_bodies, .nullable = true),
    F(body_size_limit, .nullable = true),
    F(rawtcp),
    F(websocket),
    F(http2),
    F(http2_origin),
    F(http3),
    F(strip_ech),
    F(upstream_cert),
    F(show_ignored_hosts),
    F(http_connect_send_host_header),
    F(workers, RANGE(0, 1024)),
    F(user),
    F(leaf_key, .enum_store = true),
    F(key_size, RANGE(2048, 8192)),
    F(tcp_timeout, RANGE(1, 86400)),
    F(quic_idle_timeout, RANGE(1, 3600)),
    F(header_timeout, RANGE(0, 86400)),
    F(max_connections, RANGE(0, 1 << 20)),
    F(max_connections_per_source, RANGE(0, 1 << 20)),
    F(upstream_keepalive, RANGE(0, 65536)),
    F(upstream_keepalive_total, RANGE(0, 1 << 20)),
    F(upstream_keepalive_timeout, RANGE(1, 86400)),
    F(server),
    F(wireguard_qr),
    F(max_header_bytes, RANGE(1024, 16 << 20)),
    F(max_headers, RANGE(1, 10000)),
    F(transparent_ports),
    F(transparent_udp_ports),
    F(transparent_interfaces),
    F(transparent_local),
    F(web),
    F(web_host),
    F(web_port, RANGE(0, 65535)),
    F(web_open_browser),
    F(web_static, .nullable = true),
    F(view_filter, .nullable = true, .check = check_filter),
    F(dumper_filter, .nullable = true, .check = check_filter),
    F(save_stream_filter, .nullable = true, .check = check_filter),
    F(readfile_filter, .nullable = true, .check = check_filter),
    F(hardump, .nullable = true),
    F(scripts, .check = rewrite_opts_check_script),
    F(modify_headers, .check = rewrite_opts_check_modify_headers),
    F(modify_body, .check = rewrite_opts_check_modify_body),
    F(map_remote, .check = rewrite_opts_check_map_remote),
    F(map_local, .check = rewrite_opts_check_map_local),
    F(block_list, .check = rewrite_opts_check_block_list),
    F(anticache),
    F(anticomp),
    F(intercept, .nullable = true, .check = check_intercept),
    F(intercept_timeout, RANGE(0, 86400)),
    F(server_replay),
    F(client_replay),
    F(server_replay_kill_extra),
    F(server_replay_ignore_params),
    F(server_replay_ignore_content),
    F(server_replay_use_headers),
    F(server_replay_nopop),
    F(server_replay_refresh),
    F(server_replay_reuse),
    F(server_replay_extra),
    F(server_replay_ignore_host),
    F(server_replay_ignore_port),
    F(server_replay_ignore_payload_params),
    F(client_replay_concurrency, RANGE(-1, 1024)),
};

_Static_assert(ARRAY_SIZE(defs) == ARRAY_SIZE(fields), "option tables differ");
_Static_assert(sizeof(enum conn_strategy) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum leaf_key_type) == sizeof(int), "enum stored as int");

#define AT(o, f, T) ((T *)((char *)(o) + (f)->off))
#define AT_C(o, f, T) ((const T *)((const char *)(o) + (f)->off))
typedef char *opt_str; /* AT_C(o, f, opt_str): a char *const *, not a const char ** */

/* ---- syntax checks of single options ---- */

static int check_proxyauth(const char *v, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');

	if (strcmp(v, "any") == 0 || (v[0] == '@' && v[1] != '\0'))
		return 0;
	if (strncmp(v, "ldap", 4) == 0) {
		snprintf(err, errlen, "Invalid proxyauth specification: LDAP is not supported.");
		return -EINVAL;
	}
	if (colon == NULL) {
		snprintf(err, errlen, "Invalid proxyauth specification.");
		return -EINVAL;
	}
	if (strchr(colon + 1, ':')) {
		snprintf(err, errlen, "Invalid single-user auth specification.");
		return -EINVAL;
	}
	return 0;
}

/* mitmproxy: the regex ".+:" must match somewhere. */
static int check_upstream_auth(const char *v, char *err, size_t errlen)
{
	const char *p;

	for (p = v + (v[0] != '\0'); *p; p++)
		if (*p == ':' && p[-1] != '\n')
			return 0;
	snprintf(err, errlen, "Invalid upstream auth specification: %s", v);
	return -EINVAL;
}

/* The expression compiles (daemon/filter): one line naming the token. */
static int check_filter(const char *v, char *err, size_t errlen)
{
	struct filter *f;
	char why[192]; /* fits err with the prefix (gcc checks) */

	if (filter_compile(v, &f, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "Invalid filter expression: %s", why);
		return -EINVAL;
	}
	filter_free(f);
	return 0;
}

/* intercept's filter; its error names the option (it can also come from
 * the web interface at run time). */
static int check_intercept(const char *v, char *err, size_t errlen)
{
	char why[256];

	if (v[0] && check_filter(v, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "Invalid filter expression for intercept: %s",
			 why + strlen("Invalid filter expression: "));
		return -EINVAL;
	}
	return 0;
}

/* ---- value parsers, one per type; NULL value = omitted ("--set name") ---- */

static bool parse_bool(const char *v, bool cur, bool *out)
{
	static const char *const yes[] = {"true", "yes", "1", "on"};
	static const char *const no[] = {"false", "no", "0", "off"};
	size_t i;

	if (v == NULL) {
		*out = true;
		return true;
	}
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return true;
		}
	}
	if (strcasecmp(v, "toggle") == 0) {
		*out = !cur;
		return true;
	}
	return false;
}

static bool parse_ll(const char *v, long long *out)
{
	char *end;

	if (v == NULL || !(isdigit((unsigned char)v[0]) || v[0] == '-' || v[0] == '+'))
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno == 0 && end != v && *end == '\0';
}

int options_parse_size(const char *s, long long *out)
{
	static const char units[] = "bkmgt";
	const char *u;
	char digits[32];
	long long v;
	size_t n = strlen(s);
	int shift;

	if (parse_ll(s, &v))
		goto done;
	if (n < 2 || n >= sizeof(digits) || !(u = strchr(units, tolower((unsigned char)s[n - 1]))))
		return -EINVAL;
	memcpy(digits, s, n - 1);
	digits[n - 1] = '\0';
	if (!parse_ll(digits, &v))
		return -EINVAL;
	shift = 10 * (int)(u - units);
	if (v > (LLONG_MAX >> shift))
		return -EINVAL;
	v <<= shift;
done:
	if (v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int choice_index(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;
	int i;

	for (i = 0; p; i++, p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		if (strncmp(p, v, n) == 0 && (p[n] == '|' || p[n] == '\0') && n > 0)
			return i;
	return -1;
}

/* Writes choice number idx of "a|b|c" into buf. */
static void choice_name(const char *choices, int idx, char *buf, size_t len)
{
	const char *p = choices, *end;

	while (idx-- > 0 && p)
		p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL;
	if (p == NULL)
		fatal("options: choice index out of range");
	end = strchr(p, '|');
	snprintf(buf, len, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
}

/* "a|b|c" as "one of a, b, c". */
static void choices_list(const char *choices, char *buf, size_t len)
{
	size_t k = (size_t)snprintf(buf, len, "one of ");

	for (; *choices && k + 3 < len; choices++) {
		if (*choices == '|') {
			buf[k++] = ',';
			buf[k++] = ' ';
		} else {
			buf[k++] = *choices;
		}
	}
	buf[k < len ? k : len - 1] = '\0';
}

static void expected(const struct option_def *d, const struct opt_field *f, char *buf, size_t len)
{
	switch (d->type) {
	case OPT_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case OPT_INT:
		snprintf(buf, len, "an integer %lld..%lld", f->min, f->max);
		break;
	case OPT_SIZE:
		snprintf(buf, len, "a size such as 1024, 512k, 1m or 10g%s",
			 f->nullable ? ", or none" : "");
		break;
	case OPT_CHOICE:
		choices_list(d->choices, buf, len);
		break;
	default:
		snprintf(buf, len, "a string");
		break;
	}
}

static void strlist_clear(struct strlist *l)
{
	strv_free(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

static int set_str(struct options *o, const struct option_def *d, const struct opt_field *f,
		   const char *v, char *err, size_t errlen)
{
	char **p = AT(o, f, char *);
	char *nv = NULL;
	int rc;

	if (f->nullable && (v == NULL || v[0] == '\0')) {
		free(*p);
		*p = NULL;
		return 0;
	}
	if (v == NULL)
		return -EINVAL;
	if (f->check && (rc = f->check(v, err, errlen)) < 0)
		return rc;
	nv = f->off == offsetof(struct options, confdir) ? options_expand_home(v) : xstrdup(v);
	free(*p);
	*p = nv;
	return 0;
}

static int set_list(struct options *o, const char *v, const struct opt_field *f, char *err,
		    size_t errlen)
{
	struct strlist *l = AT(o, f, struct strlist);
	int rc;

	if (v == NULL) {
		strlist_clear(l);
		return 0;
	}
	if (l->n >= OPTIONS_MAX_LIST)
		return -E2BIG;
	if (f->check && (rc = f->check(v, err, errlen)) < 0)
		return rc;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(v);
	return 0;
}

static int set_choice(struct options *o, const struct option_def *d, const struct opt_field *f,
		      const char *v)
{
	int idx = v ? choice_index(d->choices, v) : -1;
	char **s;

	if (idx < 0)
		return -EINVAL;
	if (f->enum_store) {
		*AT(o, f, int) = idx;
		return 0;
	}
	s = AT(o, f, char *);
	free(*s);
	*s = xstrdup(v);
	return 0;
}

/* Sets one option without the error text for type errors (the caller adds it). */
static int set_value(struct options *o, size_t i, const char *v, char *err, size_t errlen)
{
	const struct option_def *d = &defs[i];
	const struct opt_field *f = &fields[i];
	long long ll;

	switch (d->type) {
	case OPT_BOOL:
		return parse_bool(v, *AT(o, f, bool), AT(o, f, bool)) ? 0 : -EINVAL;
	case OPT_INT:
		if (v == NULL && f->min < 0)
			ll = -1; /* "unset" */
		else if (!parse_ll(v, &ll) || ll < f->min || ll > f->max)
			return -EINVAL;
		*AT(o, f, int) = (int)ll;
		return 0;
	case OPT_SIZE:
		if (f->nullable && (v == NULL || strcasecmp(v, "none") == 0 || v[0] == '\0'))
			ll = -1;
		else if (v == NULL || options_parse_size(v, &ll) < 0)
			return -EINVAL;
		*AT(o, f, long long) = ll;
		return 0;
	case OPT_STR:
		return set_str(o, d, f, v, err, errlen);
	case OPT_STRLIST:
		return set_list(o, v, f, err, errlen);
	case OPT_CHOICE:
		return set_choice(o, d, f, v);
	}
	return -EINVAL;
}

static int option_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++)
		if (strcmp(defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int options_set_kv(struct options *o, const char *name, const char *value, char *err, size_t errlen)
{
	char exp[128];
	int i = option_find(name), rc;

	err[0] = '\0';
	if (i < 0) {
		snprintf(err, errlen, "Unknown option: %s", name);
		return -EINVAL;
	}
	if (value && strlen(value) > OPTIONS_MAX_VALUE) {
		snprintf(err, errlen, "Value for %s too long (at most %d bytes)", name,
			 OPTIONS_MAX_VALUE);
		return -EINVAL;
	}
	rc = set_value(o, (size_t)i, value, err, errlen);
	if (rc == -E2BIG)
		snprintf(err, errlen, "Too many values for %s (at most %d)", name,
			 OPTIONS_MAX_LIST);
	if (rc < 0 && err[0] == '\0') {
		expected(&defs[i], &fields[i], exp, sizeof(exp));
		if (value)
			snprintf(err, errlen, "Invalid value for %s: %s (expected %s)", name, value,
				 exp);
		else
			snprintf(err, errlen, "Missing value for %s (expected %s)", name, exp);
	}
	return rc < 0 ? -EINVAL : 0;
}

int options_set(struct options *o, const char *name_eq_value, char *err, size_t errlen)
{
	const char *eq = strchr(name_eq_value, '=');
	char name[64];

	if (eq == NULL)
		return options_set_kv(o, name_eq_value, NULL, err, errlen);
	if ((size_t)(eq - name_eq_value) >= sizeof(name)) {
		snprintf(err, errlen, "Unknown option: %.*s", (int)(eq - name_eq_value),
			 name_eq_value);
		return -EINVAL;
	}
	memcpy(name, name_eq_value, (size_t)(eq - name_eq_value));
	name[eq - name_eq_value] = '\0';
	return options_set_kv(o, name, eq + 1, err, errlen);
}

void options_init(struct options *o)
{
	char err[256];
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		if (defs[i].type == OPT_STRLIST)
			continue;
		if (options_set_kv(o, defs[i].name, defs[i].defval, err, sizeof(err)) < 0)
			fatal("options: bad default: %s", err);
	}
}

void options_free(struct options *o)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		if (defs[i].type == OPT_STRLIST)
			strlist_clear(AT(o, &fields[i], struct strlist));
		else if (defs[i].type == OPT_STR ||
			 (defs[i].type == OPT_CHOICE && !fields[i].enum_store))
			free(*AT(o, &fields[i], char *));
	}
	memset(o, 0, sizeof(*o));
}

const struct option_def *options_table(size_t *n)
{
	*n = ARRAY_SIZE(defs);
	return defs;
}

/* The value of a scalar option as text that options_set_kv takes back;
 * NULL for an unset string. */
static const char *format_value(const struct options *o, size_t i, char *buf, size_t len)
{
	const struct opt_field *f = &fields[i];
	long long ll;

	switch (defs[i].type) {
	case OPT_BOOL:
		return *AT_C(o, f, bool) ? "true" : "false";
	case OPT_INT:
		snprintf(buf, len, "%d", *AT_C(o, f, int));
		return buf;
	case OPT_SIZE:
		ll = *AT_C(o, f, long long);
		if (ll < 0)
			return "none";
		snprintf(buf, len, "%lld", ll);
		return buf;
	case OPT_CHOICE:
		if (!f->enum_store)
			return *AT_C(o, f, opt_str);
		choice_name(defs[i].choices, *AT_C(o, f, int), buf, len);
		return buf;
	case OPT_STR:
		return *AT_C(o, f, opt_str);
	default:
		return NULL;
	}
}

static void foreach_list(const struct strlist *l, const char *name,
			 void (*fn)(const char *, const char *, void *), void *arg)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fn(name, l->v[i], arg);
}

void options_foreach_set(const struct options *o,
			 void (*fn)(const char *name, const char *value, void *arg), void *arg)
{
	struct options def;
	char a[64], b[64];
	const char *va, *vb;
	size_t i;

	options_init(&def);
	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		if (defs[i].type == OPT_STRLIST) {
			foreach_list(AT_C(o, &fields[i], struct strlist), defs[i].name, fn, arg);
			continue;
		}
		va = format_value(o, i, a, sizeof(a));
		vb = format_value(&def, i, b, sizeof(b));
		if (va && (vb == NULL || strcmp(va, vb) != 0))
			fn(defs[i].name, va, arg);
	}
	options_free(&def);
}

static const char *type_name(const struct option_def *d)
{
	static const char *const names[] = {
	    [OPT_BOOL] = "bool",	[OPT_INT] = "int",   [OPT_STR] = "str",
	    [OPT_STRLIST] = "str list", [OPT_SIZE] = "size", [OPT_CHOICE] = "choice",
	};

	return d->type == OPT_CHOICE ? d->choices : names[d->type];
}

static const char *default_text(const struct option_def *d)
{
	if (d->type == OPT_STRLIST)
		return "[]";
	if (d->type == OPT_STR && d->defval[0] == '\0')
		return "\"\"";
	return d->defval;
}

static int width(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

void options_print(FILE *out)
{
	int wn = 4, wt = 4, wd = 7;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defs); i++) {
		wn = width(wn, defs[i].name);
		wt = width(wt, type_name(&defs[i]));
		wd = width(wd, default_text(&defs[i]));
	}
	fprintf(out, "%-*s  %-*s  %-*s  %s\n", wn, "NAME", wt, "TYPE", wd, "DEFAULT", "HELP");
	for (i = 0; i < ARRAY_SIZE(defs); i++)
		fprintf(out, "%-*s  %-*s  %-*s  %s\n", wn, defs[i].name, wt, type_name(&defs[i]),
			wd, default_text(&defs[i]), defs[i].help);
}

char *options_expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (home == NULL || home[0] == '\0' || path[0] != '~' || (path[1] != '/' && path[1]))
		return xstrdup(path);
	return xasprintf("%s%s", home, path + 1);
}
