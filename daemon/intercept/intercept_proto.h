/* The redirector channel's rules (proto/redirector.proto), shared by the
 * coordinator's client and snare-redirector: envelope packing, the
 * channel's descriptor (one table: authorisation and validation) and
 * intercept_decode, which is ipc/chan.c's pipeline (size cap, unpack, no
 * unknown fields, known case allowed in this state, validation).  After the helper.proto
 * Hello exchange both sides speak only these envelopes. */
#ifndef SNARE_INTERCEPT_INTERCEPT_PROTO_H
#define SNARE_INTERCEPT_INTERCEPT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "ipc/chan.h"
#include "redirector.pb-c.h"

#define INTERCEPT_MAX_FRAME 4096
#define INTERCEPT_MAX_OWN_PIDS 14 /* + the coordinator + the helper = REDIR_MAX_SELF */
#define INTERCEPT_PID_MAX 4194304 /* PID_MAX_LIMIT */
#define INTERCEPT_ERROR_MAX 200
#define INTERCEPT_TUN_NAME_MAX 15

enum intercept_dir {
	INTERCEPT_TO_HELPER, /* received by snare-redirector */
	INTERCEPT_TO_COORD,  /* received by the coordinator */
	INTERCEPT_DIR_COUNT
};

enum intercept_state {
	INTERCEPT_ST_READY,   /* helper: requests; coordinator: nothing unasked */
	INTERCEPT_ST_WAITING, /* coordinator: a request is outstanding */
	INTERCEPT_ST_COUNT
};

/* For replies: how many fds the outstanding request's Ok carries. */
struct intercept_msg {
	ProtobufCMessage *msg; /* a CoordToRedirector or RedirectorToCoord */
	int body_case;
	uint64_t seq;
};

extern const struct chan_desc intercept_chan;

int intercept_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap) SNARE_MUST_CHECK;
/* 0, or -EMSGSIZE, -EBADMSG (garbage, unknown fields or case), -EPERM (not
 * in this state), -EINVAL (validation, including nfds against ok_fds). */
int intercept_decode(enum intercept_dir dir, enum intercept_state state, size_t ok_fds,
		     const uint8_t *buf, size_t len, size_t nfds,
		     struct intercept_msg *out) SNARE_MUST_CHECK;
void intercept_msg_free(struct intercept_msg *m);
bool intercept_authorized(enum intercept_dir dir, int body_case, enum intercept_state state);
/* How many fds an Ok to this request carries (GetTun, OpenProcMap: 1). */
size_t intercept_ok_fds(int req_case);
const char *intercept_case_name(enum intercept_dir dir, int body_case);

/* ---- the coordinator's client (intercept_client.c) --------------------
 * Rare synchronous requests on the channel privsep_launch("redirector")
 * opened; any bad reply, timeout or EOF ends the client (-EPIPE after). */
struct intercept_client {
	int fd;
	uint64_t seq;
	bool dead;
};

void intercept_client_init(struct intercept_client *c, int fd);
/* desc (may be NULL) receives the helper's description of the new spec. */
int intercept_client_set(struct intercept_client *c, const char *spec, const uint32_t *own_pids,
			 size_t npids, char *desc, size_t desclen, char *err,
			 size_t errlen) SNARE_MUST_CHECK;
/* The TUN fd (the caller owns it) and its name (at least 16 bytes). */
int intercept_client_get_tun(struct intercept_client *c, int *tun_fd, char *name, char *err,
			     size_t errlen) SNARE_MUST_CHECK;
int intercept_client_proc_map(struct intercept_client *c, int *map_fd, char *err,
			      size_t errlen) SNARE_MUST_CHECK;

#endif
