/* Options: mitmproxy's names and types (`--set name=value`), one table with
 * type, default and help text.  Used by the coordinator (command line, later
 * the config file) and by workers (they get name=value pairs over IPC). */
#ifndef SNARE_CONFIG_OPTIONS_H
#define SNARE_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/util.h"

struct strlist {
	char **v;
	size_t n;
};

enum conn_strategy { STRATEGY_EAGER, STRATEGY_LAZY };
enum leaf_key_type { LEAF_KEY_ECDSA_P256, LEAF_KEY_RSA2048 };

struct options {
	char *listen_host;	 /* "" = all interfaces */
	int listen_port;	 /* -1 = mode default */
	char *confdir;		 /* "~/.snare" expanded */
	int flow_detail;	 /* 0..4, default 1 */
	char *termlog_verbosity; /* error warn info debug */
	bool keep_host_header;
	struct strlist ignore_hosts; /* regexes */
	struct strlist allow_hosts;
	struct strlist tcp_hosts;
	struct strlist udp_hosts;
	bool dns_use_hosts_file;
	struct strlist dns_name_servers;
	enum conn_strategy connection_strategy;
	bool ssl_insecure;
	char *ssl_verify_upstream_trusted_ca; /* path or NULL */
	char *proxyauth;		      /* NULL, "user:pass", "any", "@file" */
	char *upstream_auth;		      /* NULL or "user:pass" */
	bool block_global;		      /* default true */
	bool block_private;
	int udp_reply_rate; /* per source and second, 100 (burst twice that); 0 = none */
	bool showhost;
	bool onboarding;	       /* default true */
	char *onboarding_host;	       /* "mitm.it" */
	long long stream_large_bodies; /* bytes; default 1m */
	long long body_size_limit;     /* bytes, -1 = none */
	bool rawtcp;		       /* default true */
	bool websocket;		       /* default true */
	bool http2;		       /* default true: ALPN h2 where both sides take it */
	bool http2_origin;	       /* default false: h1 clients, h2 servers (layer_h2) */
	bool http3;		       /* default true: QUIC intercepted in the packet modes */
	bool strip_ech;		       /* default true: ech is stripped from DNS HTTPS records */
	bool upstream_cert;	       /* default true */
	bool show_ignored_hosts;
	bool http_connect_send_host_header; /* default true */
	int workers;			    /* 0 = one per CPU */
	char *user;			    /* drop to this user when root; "nobody" */
	enum leaf_key_type leaf_key;
	int key_size;	       /* CA RSA key size, 2048 */
	int tcp_timeout;       /* seconds, 600 */
	int quic_idle_timeout; /* seconds, 30 */
	int header_timeout;    /* seconds until a head/handshake is complete, 60; 0 = none */
	int max_connections;   /* per worker, 8192; 0 = no cap */
	int max_connections_per_source; /* per worker and IPv4 address or IPv6 /64, 4096 */
	int upstream_keepalive;		/* idle pooled server connections per key and worker, 32 */
	int upstream_keepalive_total;	/* ... in all per worker, 512 */
	int upstream_keepalive_timeout; /* seconds a pooled connection stays, 60 */
	bool server;			/* false with -n */
	bool wireguard_qr;		/* default true */
	int max_header_bytes;		/* 65536 */
	int max_headers;		/* 100 */
	struct strlist transparent_ports;     /* redirected by snare-netfilter */
	struct strlist transparent_udp_ports; /* TPROXYed by snare-netfilter */
	struct strlist transparent_interfaces;
	bool transparent_local;
	bool web;	       /* the web interface (snare-web) */
	char *web_host;	       /* "127.0.0.1" */
	int web_port;	       /* 8081 */
	bool web_open_browser; /* default true, only with a desktop session */
	char *web_static;      /* the page's folder, or NULL: found next to snare */
	char *view_filter;     /* flow filter expressions (man/snare-filters.7), NULL = none */
	char *dumper_filter;
	char *save_stream_filter;
	char *readfile_filter;
	char *hardump; /* HAR file written on exit, NULL = none */
	/* Scripts and mitmproxy's built-in rewrites (config/rewrite_opts.c,
	 * man/snare-scripting.7); files read by the coordinator. */
	struct strlist scripts;	       /* Lua files, -s */
	struct strlist modify_headers; /* "[/filter]/name/value" */
	struct strlist modify_body;
	struct strlist map_remote;
	struct strlist map_local;
	struct strlist block_list;
	bool anticache;
	bool anticomp;
	/* Intercept (hold_http.c): a filter, and seconds until a held flow resumes. */
	char *intercept;
	int intercept_timeout;
	/* Replay (snare-replay(7)): the coordinator reads the files. */
	struct strlist server_replay;
	struct strlist client_replay;
	bool server_replay_kill_extra;
	struct strlist server_replay_ignore_params;
	bool server_replay_ignore_content;
	struct strlist server_replay_use_headers;
	bool server_replay_nopop;
	bool server_replay_refresh;
	bool server_replay_reuse;
	char *server_replay_extra; /* forward|kill|204|400|404|500 */
	bool server_replay_ignore_host;
	bool server_replay_ignore_port;
	struct strlist server_replay_ignore_payload_params;
	int client_replay_concurrency;
};

enum opt_type { OPT_BOOL, OPT_INT, OPT_STR, OPT_STRLIST, OPT_SIZE, OPT_CHOICE };

struct option_def {
	const char *name;
	enum opt_type type;
	const char *defval;  /* as text */
	const char *choices; /* "eager|lazy" for OPT_CHOICE */
	const char *help;
};

void options_init(struct options *o); /* defaults */
void options_free(struct options *o);
/* "name=value" (or "name" alone for a bool = true).  A list option appends
 * each time it is set.  On error: -EINVAL and one line naming the option,
 * e.g. "Unknown option: foo" or "Invalid value for flow_detail: x (expected
 * an integer 0..4)". */
int options_set(struct options *o, const char *name_eq_value, char *err,
		size_t errlen) SNARE_MUST_CHECK;
int options_set_kv(struct options *o, const char *name, const char *value, char *err,
		   size_t errlen) SNARE_MUST_CHECK;
/* The option table and `snare --options` output. */
const struct option_def *options_table(size_t *n);
void options_print(FILE *out);
/* Calls fn(name, value) for every option whose value differs from the
 * default (lists: once per entry), to send the effective config to workers. */
void options_foreach_set(const struct options *o,
			 void (*fn)(const char *name, const char *value, void *arg), void *arg);
/* Parses "1m", "512k", "10g", "1024" into bytes; -EINVAL on error. */
int options_parse_size(const char *s, long long *out);
/* Expands a leading "~/" with $HOME; returns a new string. */
char *options_expand_home(const char *path);

#endif
