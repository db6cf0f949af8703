/* The script module's insides, shared by its files (not for other modules). */
#ifndef SNARE_SCRIPT_INT_H
#define SNARE_SCRIPT_INT_H

#include <lauxlib.h>
#include <lua.h>

#include "script/script.h"

#define SCRIPT_HOOK_STEP 1000 /* instructions between two count-hook calls */
#define SCRIPT_PRINT_MAX 4096 /* bytes of one print() line */

enum script_trip { SCRIPT_TRIP_NONE, SCRIPT_TRIP_MEMORY, SCRIPT_TRIP_INSTRUCTIONS };

struct script {
	lua_State *L; /* NULL once disabled */
	char *name;
	size_t mem, mem_limit;
	uint64_t insn, insn_limit;
	enum script_trip trip;
	bool disabled;
	int hook_ref[SCRIPT_EV_COUNT]; /* LUA_NOREF when the script has no such hook */
	/* The prelude's classes and helpers (registry refs). */
	int flow_mt, request_mt, response_mt, headers_mt, message_mt;
	int mkheaders_ref, dns_import_ref, dns_export_ref, hello_ref;
	/* The call in progress: lazy parts of the flow object are made from
	 * cur only while the object's serial is this one. */
	struct script_flow *cur;
	lua_Integer serial;
	bool importing; /* a lazy part is being made: running out of memory is the flow's size */
	script_log_fn log;
	void *log_arg;
};

extern const char script_prelude[];
extern const size_t script_prelude_len;

/* state.c: a sandboxed state with the prelude run (its classes and helpers
 * in s's refs). 0, -ENOMEM or -EINVAL (err). */
int script_state_open(struct script *s, char *err, size_t errlen);
/* Starts the budget of one call. */
void script_budget_reset(struct script *s);
/* Logs and disables a script that broke a limit; -ECANCELED. */
int script_disable(struct script *s);
void script_logf(struct script *s, enum log_level lvl, const char *fmt, ...) SNARE_PRINTF(3, 4);

/* import.c: pushes the flow object of sf and the current message object
 * (nil unless with_message).  Raises Lua errors (run it protected). */
void script_push_flow(lua_State *L, struct script *s, const struct script_flow *sf,
		      bool with_message);
/* import.c: the lazy parts (client_conn, server_conn, messages) for the
 * prelude's Flow.__index. */
int script_l_lazy(lua_State *L);
/* export.c: reads the flow object (index fi), the message (mi, may be
 * nil) and the tls_clienthello data (hi, may be nil) and writes what
 * changed into sf.  Raises Lua errors before it changes anything (run it
 * protected). */
void script_write_back(lua_State *L, struct script *s, struct script_flow *sf, int fi, int mi,
		       int hi);
/* export.c: field k of the table on top, as a string (NULL when it is
 * not one; the table keeps it alive) or an integer (dflt when not one). */
const char *script_field_str(lua_State *L, const char *k, size_t *len);
lua_Integer script_field_int(lua_State *L, const char *k, lua_Integer dflt);
/* dnsback.c: the canonical DNS answer on top of the stack (the prelude's
 * dns_export), staged into *out (NULL when unchanged), its raw wire form
 * rebuilt. */
void script_wb_dns(lua_State *L, struct script_flow *sf, Snare__DnsMessage **out);
/* dnsrec.c: a record's rdata from its text form (type given); rdata (the
 * old bytes, may be NULL) serves the types it cannot build.  0 or -EINVAL. */
int script_rdata_from_text(uint16_t type, const char *text, const ProtobufCBinaryData *rdata,
			   struct flowedit *e, ProtobufCBinaryData *out);

#endif
