/* Privileged helpers seen from the coordinator: start one (fork+exec when
 * root or when the binary carries the file capabilities it needs, else
 * through sudo with a rendezvous socket), then send it rare, synchronous
 * control requests.  Trusts the helper only as far as privsep_decode lets
 * it: any violation in a reply ends the channel, and the helper undoes its
 * work when the channel closes (EOF), whoever closes it. */
#ifndef SNARE_PRIVSEP_PRIVSEP_H
#define SNARE_PRIVSEP_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"
#include "privsep/privsep_proto.h"

#ifndef SNARE_LIBEXECDIR
#define SNARE_LIBEXECDIR "/usr/local/libexec/snare"
#endif

#define PRIVSEP_SUDO_TIMEOUT_MS 60000  /* the password prompt */
#define PRIVSEP_HELLO_TIMEOUT_MS 10000 /* exec to Hello */
#define PRIVSEP_REPLY_TIMEOUT_MS 10000 /* one request */

/* How a helper was started. */
enum privsep_how {
	PRIVSEP_HOW_ROOT,     /* we are root: fork+exec, socketpair on fd 3 */
	PRIVSEP_HOW_FILECAPS, /* the binary has the file capabilities: the same */
	PRIVSEP_HOW_SUDO,     /* sudo, rendezvous socket, nonce on stdin */
};

struct privsep_helper;

/* Starts snare-<helper_name> and completes the Hello exchange.  The binary
 * is looked up in the directory set by privsep_set_helper_dir, else next to
 * the running binary (a build tree), else in SNARE_LIBEXECDIR.  Blocks for
 * sudo's password prompt (at most PRIVSEP_SUDO_TIMEOUT_MS).  On error a
 * negative code and one line naming the helper in err, e.g. "cannot start
 * snare-netfilter through sudo: sudo exited with status 1"; the caller
 * should then exit 1.  Call it before the coordinator's own seccomp filter
 * and PR_SET_NO_NEW_PRIVS (sudo and file capabilities need exec to gain
 * privilege).  Reaps its own children with waitpid(pid). */
int privsep_launch(const char *helper_name, struct privsep_helper **out, char *err,
		   size_t errlen) SNARE_MUST_CHECK;

/* Overrides where helper binaries are looked up (tests; NULL: default). */
void privsep_set_helper_dir(const char *dir);
/* The path privsep_launch would run for helper_name: 0 or -ENOENT. */
int privsep_helper_path(const char *helper_name, char *buf, size_t len) SNARE_MUST_CHECK;

/* Sends one request (its seq is set here) and waits for the reply.  The
 * request is validated locally first: -EINVAL with a message, nothing sent.
 * 0 on Ok (a BindPort or CreateTun reply's fd goes to *fd_out, which may otherwise be
 * NULL); -EREMOTEIO when the helper answered Error (its message in err);
 * -ETIMEDOUT, -EPIPE (the helper is gone) or -EPROTO (a bad reply) end the
 * channel: every later request fails with -EPIPE. */
int privsep_request(struct privsep_helper *h, Snare__Helper__CoordToHelper *req, int *fd_out,
		    char *err, size_t errlen) SNARE_MUST_CHECK;

/* Convenience wrappers around privsep_request. */
struct privsep_redirect {
	const uint16_t *ports; /* TCP destination ports to redirect */
	size_t nports;
	const char *const *ifaces; /* input interfaces; none: every interface */
	size_t nifaces;
	bool include_local;   /* also locally generated traffic, except our uid */
	bool has_exclude_uid; /* root only: the uid to exclude instead of ours */
	uid_t exclude_uid;
	uint16_t to_port;
};
int privsep_netfilter_redirect(struct privsep_helper *h, const struct privsep_redirect *r,
			       char *err, size_t errlen) SNARE_MUST_CHECK;
/* UDP to r's ports (on r's interfaces) is TPROXYed to r->to_port and marked
 * with mark, which the helper's policy routing delivers locally (the
 * include_local and uid fields are not used). */
int privsep_netfilter_tproxy_udp(struct privsep_helper *h, const struct privsep_redirect *r,
				 uint32_t mark, char *err, size_t errlen) SNARE_MUST_CHECK;
/* ipproto: IPPROTO_TCP or IPPROTO_UDP; address: an IP literal; port < 1024.
 * On success *fd is a bound (not listening) socket the caller owns. */
int privsep_bind_port(struct privsep_helper *h, int ipproto, const char *address, uint16_t port,
		      int *fd, char *err, size_t errlen) SNARE_MUST_CHECK;
/* snare-tun: a TUN device named name (NULL: "tun%d"; a trailing "%d" is
 * numbered by the kernel), 169.254.0.1/32, mtu (0: PRIVSEP_TUN_MTU_DEFAULT;
 * else PRIVSEP_TUN_MTU_MIN..MAX), up, rp_filter 0, accept_local and
 * route_localnet 1.  On success *fd_out is the device's fd (O_RDWR, raw IP
 * packets, no PI header, close-on-exec) the caller owns, and ifname_out
 * (iflen >= 16) its actual name, read back from the fd with TUNGETIFF.  The
 * device is deleted on Undo or when the channel closes, and vanishes anyway
 * once the last copy of the fd is closed.  At most PRIVSEP_TUN_MAX per
 * helper process. */
#define PRIVSEP_TUN_MAX 8
int privsep_tun_create(struct privsep_helper *h, const char *name, unsigned mtu, char *ifname_out,
		       size_t iflen, int *fd_out, char *err, size_t errlen) SNARE_MUST_CHECK;
int privsep_undo(struct privsep_helper *h, char *err, size_t errlen) SNARE_MUST_CHECK;

pid_t privsep_pid(const struct privsep_helper *h);
/* The channel (for tests and for watching it in an event loop: readable
 * outside a request means the helper is gone). */
int privsep_fd(const struct privsep_helper *h);
enum privsep_how privsep_how(const struct privsep_helper *h);
const char *privsep_name(const struct privsep_helper *h);

/* Closes the channel (the helper undoes everything and exits), waits for it
 * briefly, then signals it; frees h.  NULL is fine. */
void privsep_close(struct privsep_helper *h);

#endif
