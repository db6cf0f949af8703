/* Mode specs: mitmproxy's grammar `name[:data][@[host:]port]` (snare-modes(7)),
 * parsed and validated with mitmdump's exact error messages.  Pure code, used
 * by the coordinator (validation) and the workers (their copy of the config). */
#ifndef SNARE_CONFIG_MODESPEC_H
#define SNARE_CONFIG_MODESPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

enum mode_kind {
	MODE_REGULAR,
	MODE_TRANSPARENT,
	MODE_UPSTREAM,
	MODE_REVERSE,
	MODE_SOCKS5,
	MODE_DNS,
	MODE_WIREGUARD,
	MODE_LOCAL,
	MODE_TUN,
	MODE_KIND_COUNT
};

#define MODE_TRANSPORT_TCP 1u
#define MODE_TRANSPORT_UDP 2u

/* `[scheme://]host[:port][/]` (reverse and upstream data). */
struct server_spec {
	char scheme[8]; /* http https http3 tls dtls tcp udp dns quic */
	char host[256]; /* no brackets */
	uint16_t port;	/* explicit or the scheme's default */
};

/* What the worker does with the datagrams of a reverse mode's UDP socket. */
enum scheme_dgram {
	SCHEME_DGRAM_NONE,  /* not served yet (https's UDP): UDP not bound */
	SCHEME_DGRAM_DNS,   /* DNS messages (dns) */
	SCHEME_DGRAM_UDP,   /* relayed as they are (udp) */
	SCHEME_DGRAM_DTLS,  /* DTLS, intercepted (dtls) */
	SCHEME_DGRAM_QUIC,  /* QUIC, terminated both ways, streams relayed (quic) */
	SCHEME_DGRAM_HTTP3, /* QUIC with HTTP/3 both ways, requests relayed (http3) */
};

/* The one table of server schemes (reverse and upstream): every question
 * about a scheme is answered here, not by comparing its name. */
struct scheme_info {
	const char *name;	     /* "" for an unknown scheme */
	unsigned reverse_transports; /* MODE_TRANSPORT_* a reverse proxy binds */
	int reverse_port;	     /* a reverse proxy's default listen port, -1: the mode's */
	bool reverse_ok;	     /* this version runs reverse proxies of it */
	bool upstream_ok;	     /* an upstream proxy may be reached with it */
	bool server_tls;	     /* the server side speaks TLS (https, tls, dtls) */
	bool raw;		     /* TCP bytes relayed, never parsed as HTTP (tcp, tls) */
	bool dns;		     /* the TCP side carries DNS messages (dns) */
	enum scheme_dgram dgram;
	int server_port; /* the server's port when the spec gives none, -1: it must */
};

/* The row of a scheme name; an all-false row named "" when unknown. */
const struct scheme_info *modespec_scheme(const char *name);

struct mode_spec {
	enum mode_kind kind;
	char *full;		   /* the spec as given (owned) */
	char *data;		   /* text after the first ':' of the head, or NULL (owned) */
	char *listen_host;	   /* from @host:port, or NULL (owned) */
	int listen_port;	   /* from @port, or -1 */
	struct server_spec server; /* upstream and reverse */
};

/* Parses one spec.  On error returns -EINVAL and writes the whole message,
 * e.g. "Invalid proxy mode specification: flibbel (unknown mode)". */
int modespec_parse(const char *s, struct mode_spec *out, char *err, size_t errlen) SNARE_MUST_CHECK;
void modespec_free(struct mode_spec *m);

/* "HTTP(S) proxy", "reverse proxy to https://example.com", ... (as the start-up lines say). */
void modespec_description(const struct mode_spec *m, char *buf, size_t len);
const char *modespec_kind_name(enum mode_kind k);
/* The mode's default port (8080, 1080, 53, 51820; reverse dns: 53), or -1. */
int modespec_default_port(const struct mode_spec *m);
/* MODE_TRANSPORT_* bits this instance binds (0 for local and tun). */
unsigned modespec_transports(const struct mode_spec *m);
/* ... of which this version serves: UDP only for DNS, WireGuard and the
 * reverse schemes whose datagrams the worker handles (scheme_dgram). */
unsigned modespec_served_transports(const struct mode_spec *m);
/* The scheme row of a reverse or upstream mode; the unknown row otherwise. */
const struct scheme_info *modespec_scheme_of(const struct mode_spec *m);
/* Effective listen host/port given the global listen_host ("" = all) and
 * listen_port (-1 = unset): spec > option > default. */
const char *modespec_listen_host(const struct mode_spec *m, const char *listen_host);
int modespec_listen_port(const struct mode_spec *m, int listen_port);

/* Checks a set of modes against each other: duplicate (host, port,
 * transport) gives "Cannot spawn multiple servers on the same address: *:8080",
 * two local modes "Cannot spawn more than one local redirector.".  Identical
 * tun/local specs are merged by the caller, not an error here for tun. */
int modespec_check_set(const struct mode_spec *m, size_t n, const char *listen_host,
		       int listen_port, char *err, size_t errlen) SNARE_MUST_CHECK;

/* Server spec parser, exposed for upstream_auth etc.  Messages as in snare-modes(7), ERRORS. */
int server_spec_parse(const char *s, const char *default_scheme, struct server_spec *out, char *err,
		      size_t errlen) SNARE_MUST_CHECK;

/* Intercept spec for local mode (local:SPEC in snare-modes(7)): comma list of names or pids,
 * optional leading '!' per entry.  0 or -EINVAL. */
int intercept_spec_validate(const char *s) SNARE_MUST_CHECK;

#endif
