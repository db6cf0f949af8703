/* Local capture's intercept spec (snare-modes(7), local): "curl,!1234,firefox".  Pure
 * code, used by the coordinator (checks --mode local:<spec> at start-up), by
 * snare-redirector (recompiles what it receives before the eBPF map sees it)
 * and by tests.  Trusts nothing in the spec text; the table it builds is the
 * value of the eBPF program's spec map (bpf/redirect_abi.h). */
#ifndef SNARE_INTERCEPT_INTERCEPT_H
#define SNARE_INTERCEPT_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "../../bpf/redirect_abi.h"

#define INTERCEPT_SPEC_MAX 1024 /* bytes of one spec */
#define INTERCEPT_NAME_MAX 15	/* a name matches on its first 15 bytes */
#define INTERCEPT_DESC_MAX 2048 /* intercept_describe's longest text */

/* Compiles spec: comma-separated entries, each trimmed; a leading '!'
 * excludes; all digits (fitting 32 bits) is a process id, anything else a
 * process name, truncated to 15 bytes as the kernel keeps names.  An empty
 * (or blank) spec intercepts nothing.  0, or -EINVAL with "invalid intercept
 * spec: ..." in err (an empty entry, a control character, too long), or
 * -E2BIG (more than REDIR_MAX_ENTRIES entries).  out is always written. */
int intercept_compile(const char *spec, struct redir_spec *out, char *err,
		      size_t errlen) SNARE_MUST_CHECK;

/* True when t is a table intercept_compile could have built: n in bounds,
 * known actions and kinds, names non-empty, NUL-terminated and padded, the
 * unused entries zero, dflt following from the first entry. */
bool intercept_table_valid(const struct redir_spec *t);

/* The decision the eBPF program makes for a process (tgid, the leader's
 * comm, NUL-padded to 16 bytes), as mitmproxy's should_intercept: start
 * from dflt, then each entry in order: include ORs, exclude AND-NOTs. */
bool intercept_decide(const struct redir_spec *t, uint32_t tgid, const char comm[REDIR_COMM_LEN]);

/* mitmproxy's description: "Include PID 42. Exclude processes matching
 * \"curl\"." or "Intercept nothing."; truncated to len. */
void intercept_describe(const struct redir_spec *t, char *buf, size_t len);

#endif
