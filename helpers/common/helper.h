/* The skeleton every privileged helper (snare-netfilter, snare-tun, ...)
 * is built on: it runs as root or with file capabilities and trusts the
 * coordinator for nothing but well-formed, authorized, validated requests.
 * A helper supplies one struct helper_def: its name, the capabilities it
 * keeps, its extra syscalls, an init hook and one handler per request. */
#ifndef SNARE_HELPERS_COMMON_HELPER_H
#define SNARE_HELPERS_COMMON_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/types.h>

#include "core/util.h"
#include "privsep/privsep_proto.h"

#define HELPER_MAX_CAPS 4
#define HELPER_MAX_SYSCALLS 16

/* What a handler answers: 0 and Ok (with fd attached when fd >= 0; the
 * skeleton closes it after sending), or a negative code and Error(msg). */
struct helper_reply {
	int fd;
	char msg[PRIVSEP_ERROR_MAX + 1];
};

struct helper;

typedef int (*helper_handler_fn)(struct helper *h, const Snare__Helper__CoordToHelper *req,
				 struct helper_reply *rep);

struct helper_handler {
	int body_case; /* SNARE__HELPER__COORD_TO_HELPER__BODY_* */
	helper_handler_fn fn;
};

/* One extra syscall a helper needs beyond the skeleton's list; when arg >= 0
 * only calls whose argument `arg` equals one of vals[0..nvals) are allowed. */
struct helper_syscall {
	const char *name;
	int arg;
	uint64_t vals[2];
	int nvals;
};

struct helper_def {
	const char *name; /* "netfilter": the binary is snare-<name> */
	cap_value_t caps[HELPER_MAX_CAPS];
	int ncaps;
	const struct helper_syscall *syscalls;
	size_t nsyscalls;
	/* After capabilities are limited, before the seccomp filter: open what
	 * the helper needs and clean up after a crashed predecessor.  0 or a
	 * negative code with one line in err (the helper then exits 1). */
	int (*init)(struct helper *h, char *err, size_t errlen);
	const struct helper_handler *handlers;
	size_t nhandlers;
	/* After Hello, a helper with its own wire protocol reads each frame
	 * itself (NULL: privsep requests, dispatched to handlers). */
	void (*on_frame)(struct helper *h);
};

/* Defined by each helper (helpers/<name>/). */
extern const struct helper_def helper_def;

struct helper {
	const struct helper_def *def;
	int chan;
	uid_t peer_uid; /* SO_PEERCRED of the channel: the coordinator's uid */
	pid_t peer_pid;
	enum privsep_state state;
	struct privsep_undo undo;
	void *priv; /* the helper's own state, set by init */
};

/* "snare-<name>: msg" on stderr. */
void helper_log(const char *fmt, ...) SNARE_PRINTF(1, 2);
/* The same with ": <strerror(-rc)>" after the message (core/errf.h). */
void helper_log_err(int rc, const char *fmt, ...) SNARE_PRINTF(2, 3);
/* Sets rep->msg (printable, bounded) and returns code, for handlers. */
int helper_fail(struct helper_reply *rep, int code, const char *fmt, ...) SNARE_PRINTF(3, 4);
/* The same with ": <strerror(-code)>" after the message. */
int helper_fail_err(struct helper_reply *rep, int code, const char *fmt, ...) SNARE_PRINTF(3, 4);
/* Undoes everything recorded and exits with status. */
void helper_exit(struct helper *h, int status) __attribute__((noreturn));

/* helper_chan.c: the channel. */
/* fd 3 from a direct fork+exec: checks it is a connected SEQPACKET socket. */
int helper_chan_inherited(struct helper *h, char *err, size_t errlen);
/* Launched through sudo: reads the nonce from stdin, connects to the
 * rendezvous socket in dir (checked: our pattern, a real 0700 directory
 * owned by the invoking user, a listener of that uid) and sends it back. */
int helper_chan_rendezvous(struct helper *h, const char *dir, char *err, size_t errlen);
/* Sends our Hello (first frame after the nonce). */
int helper_send_hello(struct helper *h);
/* Receives, decodes and dispatches one frame, and answers it.  On EOF or
 * any violation it undoes everything and exits instead of returning. */
void helper_on_frame(struct helper *h);

/* helper_sandbox.c: capabilities, no_new_privs, seccomp. */
/* Keeps only caps (plus extra[] while connecting) in every set; drops the
 * rest of the bounding set when allowed; verifies a dropped one cannot be
 * raised again.  0 or a negative code with one line in err. */
int helper_caps_limit(const cap_value_t *caps, int ncaps, const cap_value_t *extra, int nextra,
		      char *err, size_t errlen);
/* PR_SET_NO_NEW_PRIVS and the helper's seccomp allow-list (default kill). */
int helper_sandbox_enter(const struct helper_def *def, char *err, size_t errlen);

#endif
