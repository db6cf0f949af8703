/* snare-tun (root, or CAP_NET_ADMIN): creates TUN devices for `--mode
 * tun[:name]` and passes each device's fd to snare, which pumps the packets
 * itself; it never reads a packet.  Trusts requests only after
 * privsep_decode; every device and global sysctl it changes is in the undo
 * log, so Undo, EOF, a signal or a violation deletes and restores it all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/tun.h"

static unsigned tun_created; /* devices handed out, ever (at most HELPER_TUN_MAX) */

static int tun_on_create(struct helper *h, const void *env, struct helper_reply *rep)
{
	const Snare__Helper__CoordToHelper *req = env;
	const Snare__Helper__CreateTun *m = req->create_tun;
	const char *name = m->name != NULL ? m->name : PRIVSEP_TUN_DEFAULT_NAME;
	char ifname[IFNAMSIZ];
	int fd = -1, rc;

	if (tun_created >= HELPER_TUN_MAX)
		return helper_fail(rep, -ENOSPC, "at most %d TUN devices per snare-tun",
				   HELPER_TUN_MAX);
	rc = helper_tun_create(name, m->has_mtu ? m->mtu : 0, ifname, &fd, &h->undo);
	if (rc == -EEXIST)
		return helper_fail(rep, rc, "cannot create TUN device %s: it exists", name);
	if (rc < 0)
		return helper_fail_err(rep, rc, "cannot create TUN device %s", name);
	tun_created++;
	helper_log("created %s", ifname);
	rep->fd = fd;
	return 0;
}

static int tun_init(struct helper *h, char *err, size_t errlen)
{
	return helper_tun_init(HELPER_TUN_MAX, err, errlen);
}

#define C2H(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c

static const struct helper_handler tun_handlers[] = {
    {C2H(CREATE_TUN), tun_on_create},
};

static const struct helper_syscall tun_syscalls[] = {HELPER_TUN_SYSCALLS};

const struct helper_def helper_def = {
    .name = "tun",
    .caps = {CAP_NET_ADMIN},
    .ncaps = 1,
    .syscalls = tun_syscalls,
    .nsyscalls = ARRAY_SIZE(tun_syscalls),
    .init = tun_init,
    .handlers = tun_handlers,
    .nhandlers = ARRAY_SIZE(tun_handlers),
};
