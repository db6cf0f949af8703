/* The helper channel's rules, shared by the coordinator (privsep client) and
 * every privileged helper (helpers/common): envelope codec, the one table of
 * rules (message x state, and validate_<msg>() per message) that
 * ipc/chan.c's pipeline runs, and the helpers' undo log.  Receive order: size
 * cap, unpack, no unknown fields, known case, allowed in this state,
 * validation, then the handler. */
#ifndef SNARE_PRIVSEP_PROTO_H
#define SNARE_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"
#include "helper.pb-c.h"
#include "ipc/chan.h"

#define PRIVSEP_PROTOCOL_VERSION 1
#define PRIVSEP_MAX_FRAME 4096 /* hard cap on one helper frame */
#define PRIVSEP_MAX_PORTS 64
#define PRIVSEP_MAX_IFACES 16
#define PRIVSEP_IFNAME_MAX 15
#define PRIVSEP_NAME_MAX 16   /* helper names: [a-z]{1,16} */
#define PRIVSEP_ERROR_MAX 200 /* Error.message */
#define PRIVSEP_ADDR_MAX 45   /* INET6_ADDRSTRLEN - 1 */
#define PRIVSEP_NONCE_LEN 32
#define PRIVSEP_TUN_MTU_MIN 576
#define PRIVSEP_TUN_MTU_MAX 65535
#define PRIVSEP_TUN_MTU_DEFAULT 1500
#define PRIVSEP_TUN_DEFAULT_NAME "tun%d"

/* Which way a frame travels. */
enum privsep_dir {
	PRIVSEP_COORD_TO_HELPER, /* received by a helper */
	PRIVSEP_HELPER_TO_COORD, /* received by the coordinator */
	PRIVSEP_DIR_COUNT
};

/* Channel state as seen by the receiver. */
enum privsep_state {
	PRIVSEP_ST_HELLO,   /* nothing received yet: only Hello */
	PRIVSEP_ST_READY,   /* helper: requests; coordinator: nothing unasked */
	PRIVSEP_ST_WAITING, /* coordinator only: a request is outstanding */
	PRIVSEP_ST_COUNT
};

/* What the receiver knows besides the bytes: the peer's uid (SO_PEERCRED),
 * the helper name expected in Hello and, for replies, how many fds the
 * outstanding request's Ok carries. */
struct privsep_ctx {
	uid_t peer_uid;
	const char *helper_name;
	size_t ok_fds;
};

/* One decoded frame; msg is a CoordToHelper or HelperToCoord. */
struct privsep_msg {
	enum privsep_dir dir;
	ProtobufCMessage *msg;
	int body_case;
	uint64_t seq;
};

/* Packs an envelope; the packed length or -EMSGSIZE. */
int privsep_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap) SNARE_MUST_CHECK;
/* The receive pipeline.  0, or -EMSGSIZE (over the cap), -EBADMSG (garbage,
 * unknown fields or case), -EPERM (not allowed in this state), -EINVAL
 * (failed validation, including the number of fds).  Nothing is kept on
 * error; on success free with privsep_msg_free. */
int privsep_decode(enum privsep_dir dir, enum privsep_state state, const struct privsep_ctx *ctx,
		   const uint8_t *buf, size_t len, size_t nfds,
		   struct privsep_msg *out) SNARE_MUST_CHECK;
void privsep_msg_free(struct privsep_msg *m);

/* The helper channel's descriptor (privsep_validate.c): envelopes, frame
 * cap and one table of rules, authorisation and validation side by side. */
extern const struct chan_desc privsep_chan;

/* The authorisation column of that table. */
bool privsep_authorized(enum privsep_dir dir, int body_case, enum privsep_state state);
/* The validation column: one envelope's body, 0 or -EINVAL. */
int privsep_validate(enum privsep_dir dir, const ProtobufCMessage *env, int body_case,
		     const struct privsep_ctx *ctx, size_t nfds);
/* Pieces of validation the launcher and the helpers reuse. */
bool privsep_valid_helper_name(const char *name);
bool privsep_valid_ifname(const char *name);
/* A TUN name: a valid interface name, or a prefix of those characters (at
 * most 13) followed by "%d", which the kernel numbers. */
bool privsep_valid_tun_name(const char *name);
/* The oneof member name ("netfilter_redirect"), or "?" (for messages). */
const char *privsep_case_name(enum privsep_dir dir, int body_case);

/* ---- the helpers' undo log (privsep_undo.c) ---------------------------
 * Every change a helper makes to the system is recorded here right after it
 * succeeded; privsep_undo_run replays the records newest first.  Bounded:
 * a handler checks privsep_undo_room before it changes anything. */
#define PRIVSEP_UNDO_MAX 64
#define PRIVSEP_UNDO_WHAT 48

typedef void (*privsep_undo_fn)(void *ctx, uint64_t id);

struct privsep_undo_rec {
	privsep_undo_fn fn;
	void *ctx;
	uint64_t id;
	char what[PRIVSEP_UNDO_WHAT];
};

struct privsep_undo {
	struct privsep_undo_rec recs[PRIVSEP_UNDO_MAX];
	size_t n;
};

void privsep_undo_init(struct privsep_undo *u);
bool privsep_undo_room(const struct privsep_undo *u, size_t n);
/* -ENOSPC when full (a handler that checked room first never sees it). */
int privsep_undo_push(struct privsep_undo *u, privsep_undo_fn fn, void *ctx, uint64_t id,
		      const char *what) SNARE_MUST_CHECK;
/* Replays every record newest first and empties the log.  Returns how many
 * ran.  Safe to call again (from a signal path or after a violation). */
size_t privsep_undo_run(struct privsep_undo *u);
/* Replays, newest first, only the records pushed after the log held mark
 * records (a failed request's partial work).  Returns how many ran. */
size_t privsep_undo_rewind(struct privsep_undo *u, size_t mark);

#endif
