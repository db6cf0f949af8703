/* Lua 5.4 scripts with mitmproxy's event names (man/snare-scripting.7).
 * Runs in each worker: one Lua state per loaded script, made from the
 * script's text (the coordinator reads the file; workers open none).  The
 * script is untrusted code: no io, os, package, debug, binary chunks or
 * file loading; its memory is capped by the allocator and one call is
 * bounded by an instruction count.  A runtime error leaves the flow as it
 * was; a script that breaks a limit is disabled with one log line.
 *
 * The flow handed to a hook is the caller's Snare__Flow: what the script
 * changes is written back into it (memory owned by the script_flow's
 * edits, see daemon/flowedit/flowedit.h) and named in `changed`. */
#ifndef SNARE_SCRIPT_H
#define SNARE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/util.h"
#include "flow.pb-c.h"
#include "flowedit/flowedit.h"

/* In the order mitmproxy's documentation lists them. */
enum script_event {
	SCRIPT_EV_LOAD,
	SCRIPT_EV_CONFIGURE,
	SCRIPT_EV_RUNNING,
	SCRIPT_EV_DONE,
	SCRIPT_EV_REQUESTHEADERS,
	SCRIPT_EV_REQUEST,
	SCRIPT_EV_RESPONSEHEADERS,
	SCRIPT_EV_RESPONSE,
	SCRIPT_EV_ERROR,
	SCRIPT_EV_WEBSOCKET_START,
	SCRIPT_EV_WEBSOCKET_MESSAGE,
	SCRIPT_EV_WEBSOCKET_END,
	SCRIPT_EV_TCP_START,
	SCRIPT_EV_TCP_MESSAGE,
	SCRIPT_EV_TCP_END,
	SCRIPT_EV_TCP_ERROR,
	SCRIPT_EV_UDP_START,
	SCRIPT_EV_UDP_MESSAGE,
	SCRIPT_EV_UDP_END,
	SCRIPT_EV_UDP_ERROR,
	SCRIPT_EV_DNS_REQUEST,
	SCRIPT_EV_DNS_RESPONSE,
	SCRIPT_EV_DNS_ERROR,
	SCRIPT_EV_TLS_CLIENTHELLO,
	SCRIPT_EV_COUNT
};

/* "request", "tcp_message", ...; -1 for an unknown name. */
const char *script_event_name(enum script_event ev);
int script_event_from_name(const char *name);

#define SCRIPT_DEFAULT_MEMORY (32u << 20)     /* bytes per Lua state */
#define SCRIPT_DEFAULT_INSTRUCTIONS 10000000u /* Lua VM instructions per call */
struct script_limits {
	size_t memory;
	uint64_t instructions;
};

/* Where a script's messages go: its print() (LOG_LVL_INFO), runtime
 * errors (LOG_LVL_WARN) and the line that disables it (LOG_LVL_ERROR).
 * NULL logs through core/log.h with the script's name in front. */
typedef void (*script_log_fn)(void *arg, enum log_level lvl, const char *script, const char *msg);

/* What changed in a flow (script_flow.changed). */
enum {
	SCRIPT_CH_REQUEST = 1u << 0,	    /* request line, headers or content */
	SCRIPT_CH_RESPONSE = 1u << 1,	    /* response changed or newly set */
	SCRIPT_CH_LOCAL_RESPONSE = 1u << 2, /* a response where there was none: answer locally */
	SCRIPT_CH_KILL = 1u << 3,	    /* flow:kill() */
	SCRIPT_CH_MARKED = 1u << 4,
	SCRIPT_CH_COMMENT = 1u << 5,
	SCRIPT_CH_MESSAGE = 1u << 6,	  /* the current message's content */
	SCRIPT_CH_DROP = 1u << 7,	  /* the current message is dropped */
	SCRIPT_CH_DNS_RESPONSE = 1u << 8, /* dns_response set or changed (raw rebuilt) */
	SCRIPT_CH_IGNORE_TLS = 1u << 9,	  /* tls_clienthello: ignore_connection */
};

/* A flow on its way through the hooks.  The current message of a
 * *_message event is the last of flow->messages. */
struct script_flow {
	Snare__Flow *flow; /* the caller's, edited in place */
	bool marked;	   /* in/out: not in the flow record */
	/* in/out: flow:intercept() (true) or flow:resume(): the engine holds
	 * the flow after this hook point as an intercept-filter match. */
	bool intercepted;
	const char *comment; /* in/out: a new value is owned by edits */
	unsigned changed;    /* out: SCRIPT_CH_* over every call so far */
	struct flowedit edits;
	/* Adds flow->client and flow->server the first time a hook reads
	 * client_conn or server_conn (NULL: the flow has them already). */
	void (*fill_conns)(struct script_flow *sf);
	void *fill_arg;
	/* tls_clienthello: what the ClientHello offered (data.client_hello's
	 * sni and alpn_protocols; without them, the client connection's). */
	const char *hello_sni;
	const char *const *hello_alpn;
	size_t hello_nalpn;
};
void script_flow_init(struct script_flow *sf, Snare__Flow *flow);
/* Frees what the hooks wrote into the flow (flowedit.h's rule). */
void script_flow_release(struct script_flow *sf);

struct script;

/* Makes a state from the script's text and runs its main chunk; the event
 * functions it defines as globals are its hooks ("load" is not called
 * here: script_call it).  0 and *out; -EINVAL with one line in err (syntax
 * error, runtime error or limit in the main chunk); -ENOMEM. */
int script_load(const char *name, const char *text, size_t len, const struct script_limits *lim,
		script_log_fn log, void *log_arg, struct script **out, char *err,
		size_t errlen) SNARE_MUST_CHECK;
void script_free(struct script *s);
const char *script_name(const struct script *s);
bool script_wants(const struct script *s, enum script_event ev);
bool script_disabled(const struct script *s);
/* Bytes the state holds now. */
size_t script_memory(const struct script *s);

/* Calls the script's hook for ev (sf NULL for load, configure, running and
 * done).  0 when it ran or there is none; -EINVAL after a runtime error
 * (logged, flow unchanged); -ECANCELED when the script broke a limit now
 * (logged once, disabled, flow unchanged) or is disabled; -E2BIG when the
 * flow does not fit in the script's memory (logged, hook skipped). */
int script_call(struct script *s, enum script_event ev, struct script_flow *sf);

/* Several scripts, called in the order they were loaded. */
struct script_set {
	struct script **v;
	size_t n;
};
void script_set_add(struct script_set *set, struct script *s);
void script_set_free(struct script_set *set);
bool script_set_wants(const struct script_set *set, enum script_event ev);
/* Calls ev in every script; returns how many failed. */
size_t script_set_call(struct script_set *set, enum script_event ev, struct script_flow *sf);

/* The DNS response in sf->flow->dns_response as wire bytes (its raw field
 * once a hook set it): the request's id, questions and opcode, QR, RA and
 * RD set, the rcode and answers as the record holds them.  0, -EINVAL
 * (a record that cannot be written) or -EMSGSIZE (over cap bytes). */
int script_dns_wire(const Snare__DnsMessage *req, const Snare__DnsMessage *resp, size_t cap,
		    struct flowedit *e, ProtobufCBinaryData *out) SNARE_MUST_CHECK;

#endif
