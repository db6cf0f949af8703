/* Held flows for `--set intercept=FILTER`: the decision to hold a flow's
 * request or response, and the store of flows waiting for the user (web
 * interface, script) to resume, edit or kill them.  No sockets: the owner
 * (the worker) keeps the connection paused and is told by callbacks what
 * to do with it.  Trusts its caller and the flow's shape; the filter text
 * and the edits are untrusted (filter_compile checks the one, protobuf-c's
 * packing the other).
 *
 * Rules, as mitmproxy's intercept addon: a flow is held when intercept is
 * active, a filter is set, it matches the flow at that moment (so `~q`
 * holds requests only, `~s` responses only) and the flow is not a replay
 * (is_replay set).  Held flows wait without a time limit unless a timeout
 * is set (snare's intercept_timeout: mitmproxy has none); when it passes,
 * the flow is resumed unchanged.
 *
 * Memory: the store keeps a packed copy of each held flow (what the web
 * interface shows and edits) and counts its bytes.  Limits are a count and
 * a byte budget; a flow that would go beyond either is NOT held and passes
 * on (hold_add returns -ENOSPC and the owner lets it continue): holding
 * what is already there is more predictable than releasing a flow the user
 * may be editing, and it bounds memory just as well.  The owner's own
 * paused buffers are its business and its budget.
 *
 * Client gone: the owner calls hold_forget with the connection's cookie;
 * its held flows leave the store without a callback.  Callbacks run after
 * the flow has left the store, so they may call back into it. */
#ifndef SNARE_HOLD_HOLD_H
#define SNARE_HOLD_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "filter/filter.h"
#include "flow.pb-c.h"

enum hold_phase {
	HOLD_REQUEST,
	HOLD_RESPONSE,
};

struct hold_ops {
	/* Go on with the flow; edited is NULL when it was not changed, else
	 * the flow to continue with (valid during the call only; copy what
	 * is kept). */
	void (*resume)(void *owner, void *cookie, enum hold_phase phase, const Snare__Flow *edited);
	/* Kill the flow (close its connections as mitmproxy's kill does). */
	void (*kill)(void *owner, void *cookie, enum hold_phase phase);
};

struct hold_limits {
	size_t max_flows; /* 0: no flow is held */
	size_t max_bytes; /* packed flow bytes, all held flows together */
	double timeout;	  /* seconds; 0: none */
};

struct hold;

struct hold *hold_new(const struct hold_limits *l, const struct hold_ops *ops, void *owner);
/* Frees the store; flows still held leave without a callback. */
void hold_free(struct hold *h);
/* Sets (or with NULL or "" clears) the filter: 0, or filter_compile's
 * -EINVAL with its message in err, the old filter kept. */
int hold_set_filter(struct hold *h, const char *expr, char *err, size_t errlen) SNARE_MUST_CHECK;
/* mitmproxy's intercept_active (set by hold_set_filter with a filter,
 * cleared without one). */
void hold_set_active(struct hold *h, bool active);
/* Whether the flow at this point is to be held. */
bool hold_wants(const struct hold *h, const Snare__Flow *f, const struct filter_extra *x);

/* Holds a copy of f for the owner's connection `cookie`: 0 and *id (never
 * 0), -ENOSPC when the limits say no (the flow passes), -ENOMEM. */
int hold_add(struct hold *h, const Snare__Flow *f, enum hold_phase phase, void *cookie, double now,
	     uint64_t *id) SNARE_MUST_CHECK;
/* The held flow (a copy the caller frees with snare__flow__free_unpacked
 * (f, NULL)), NULL when the id is not held. */
Snare__Flow *hold_get(const struct hold *h, uint64_t id);
/* The owner's cookie of a held flow and its phase (for checking an edit
 * against the paused exchange before hold_edit saves it), NULL when the
 * id is not held. */
void *hold_cookie(const struct hold *h, uint64_t id, enum hold_phase *phase);
/* Ids of the held flows, oldest first, into ids[0..max); returns how many
 * are held. */
size_t hold_list(const struct hold *h, uint64_t *ids, size_t max);
/* Replaces the held copy with an edit (kept for the resume): 0, -ENOENT,
 * -ENOSPC when the edit would break the byte budget (nothing changes). */
int hold_edit(struct hold *h, uint64_t id, const Snare__Flow *edited) SNARE_MUST_CHECK;
/* Resumes it, with `edited` when given, else with the last hold_edit if
 * any, else unchanged (the callback gets NULL): 0 or -ENOENT. */
int hold_resume(struct hold *h, uint64_t id, const Snare__Flow *edited) SNARE_MUST_CHECK;
int hold_kill(struct hold *h, uint64_t id) SNARE_MUST_CHECK;
/* Resumes every held flow, oldest first; returns how many. */
size_t hold_resume_all(struct hold *h);
/* The connection went away: its flows leave without a callback. */
size_t hold_forget(struct hold *h, void *cookie);
/* When the earliest timeout passes (for the owner's timer); 0 when no
 * timeout is pending. */
double hold_next_deadline(const struct hold *h);
/* Resumes, unchanged or with their last edit, the flows whose timeout has
 * passed at `now`; returns how many. */
size_t hold_expire(struct hold *h, double now);
size_t hold_count(const struct hold *h);
size_t hold_bytes(const struct hold *h);
/* Flows that passed unheld because of the limits (for a log line). */
uint64_t hold_refused(const struct hold *h);

#endif
