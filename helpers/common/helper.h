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
#include "intercept/intercept.h"
#include "ipc/chan.h"
#include "privsep/privsep_proto.h"

#define HELPER_MAX_CAPS 4
#define HELPER_MAX_SYSCALLS 16

/* What a handler answers: 0 and Ok (with fd attached when fd >= 0; the
 * skeleton closes it after sending unless fd_kept), or a negative code and
 * Error(msg).  name and desc are for Oks that carry them (the redirector's
 * TUN name and intercept description). */
struct helper_reply {
	int fd;
	bool fd_kept; /* fd stays the helper's: not closed after sending */
	const char *name;
	char desc[INTERCEPT_DESC_MAX + 1];
	char msg[PRIVSEP_ERROR_MAX + 1];
};

struct helper;

/* req is the decoded envelope of the channel the helper serves (a
 * Snare__Helper__CoordToHelper, or the redirector's CoordToRedirector). */
typedef int (*helper_handler_fn)(struct helper *h, const void *req, struct helper_reply *rep);

/* A request the helper serves; the row beside it in the channel's rule
 * table (ipc/chan.h) says who may send it when.  A request the rules let in
 * and no row handles is a protocol violation. */
struct helper_handler {
	int body_case;
	helper_handler_fn fn;
};

/* The channel a helper serves requests on after the Hello: its descriptor
 * (the one receive pipeline, ipc/chan.h), the direction requests come on,
 * the receiver's state while serving, the validators' context (NULL: the
 * helper channel's struct privsep_ctx) and how an answer is packed (the
 * packed length or a negative code). */
struct helper_proto {
	const struct chan_desc *chan;
	unsigned dir;
	unsigned state;
	const void *ctx;
	int (*pack_reply)(uint64_t seq, int rc, const struct helper_reply *rep, uint8_t *buf,
			  size_t cap);
};

/* The helper channel (helper.proto), which every helper starts on. */
extern const struct helper_proto helper_privsep_proto;

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
	/* The channel served after Hello (NULL: the helper channel). */
	const struct helper_proto *proto;
};

/* Defined by each helper (helpers/<name>/). */
extern const struct helper_def helper_def;

struct helper {
	const struct helper_def *def;
	int chan;
	uid_t peer_uid; /* SO_PEERCRED of the channel: the coordinator's uid */
	pid_t peer_pid;
	const struct helper_proto *proto; /* the channel being served */
	unsigned state;			  /* the receiver's state on it */
	struct privsep_undo undo;
	void *priv; /* the helper's own state, set by init */
};

/* helper_main.c: main() of every helper.  Its start-up is a plan of the
 * same shape as the roles' sandbox_startup (policy/sandbox.h), one step a
 * row of a table, in this order:
 *   1. the parent-death signal (SIGTERM: the helper undoes its work first);
 *   2. capabilities limited to the helper's own (plus, under sudo, what
 *      connecting to the user's rendezvous directory needs), then the
 *      channel: fd 3, or the sudo rendezvous;
 *   3. when forked directly, stop if the coordinator is no longer the parent;
 *   4. capabilities limited to the helper's own, in every set;
 *   5. the helper's init (opens what it needs, cleans up after a crashed
 *      predecessor);
 *   6. no_new_privs and the helper's seccomp allow-list (helper_sandbox.c);
 *   7. Hello on the channel.
 * A failure at any step is fatal: one line on stderr saying what failed,
 * the undo log run, exit status 1.  (The roles' plan drops ids and every
 * capability; a helper keeps its few and its own seccomp list, so it runs
 * this plan instead of sandbox_startup.) */

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
/* Receives one frame on h->proto, decodes it (chan_decode), dispatches it
 * by the handler table and answers it.  On EOF or any violation it undoes
 * everything and exits instead of returning. */
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
