/* snare-redirector (root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON): local
 * capture.  At start-up it creates the TUN, the IPv6 rule and route, and
 * attaches the eBPF programs; then it serves SetIntercept, GetTun and
 * OpenProcMap (proto/redirector.proto) after the usual Hello.  Trusts
 * requests only after intercept_decode; every change is in the undo log, so
 * EOF, a signal or a violation removes the programs, rule, route and device. */
#include "redir.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <net/if.h>

#include "intercept/intercept_proto.h"
#include "ipc/ipc.h"

#include "../common/tun.h"
#include "core/errf.h"
#include "core/unconst.h"

#define C2R(c) SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__BODY_##c

static struct redir_state redir = {.tun_fd = -1, .nl = -1, .cgroup_fd = -1};

/* ---- undo ---------------------------------------------------------------- */

static void redir_undo_bpf(void *ctx, uint64_t id)
{
	redir_bpf_unload(ctx);
}

static void redir_undo_rule(void *ctx, uint64_t id)
{
	int rc = redir_rule6(ctx, false);

	if (rc < 0 && rc != -ENOENT)
		helper_log_err(rc, "cannot remove the IPv6 rule");
}

static void redir_undo_route(void *ctx, uint64_t id)
{
	redir_route6(ctx, false); /* gone with the device anyway */
}

static void redir_record(struct helper *h, privsep_undo_fn fn, const char *what)
{
	if (privsep_undo_push(&h->undo, fn, &redir, 0, what) < 0)
		fatal("undo log full at start-up");
}

/* ---- requests ------------------------------------------------------------ */

static int redir_on_set_intercept(struct helper *h, const void *env, struct helper_reply *rep)
{
	const Snare__Redirector__CoordToRedirector *req = env;
	const Snare__Redirector__SetIntercept *m = req->set_intercept;
	uint32_t self[REDIR_MAX_SELF];
	struct redir_spec spec;
	size_t n = 0;
	int rc;

	if (intercept_compile(m->spec, &spec, rep->msg, sizeof(rep->msg)) < 0)
		return -EINVAL;
	self[n++] = (uint32_t)getpid();
	self[n++] = (uint32_t)h->peer_pid;
	for (size_t i = 0; i < m->n_own_pids && n < REDIR_MAX_SELF; i++)
		self[n++] = m->own_pids[i];
	rc = redir_bpf_set_self(&redir, self, n);
	if (rc < 0)
		return helper_fail_err(rep, rc, "cannot update snare's processes");
	rc = redir_bpf_set_spec(&redir, &spec);
	if (rc < 0)
		return helper_fail_err(rep, rc, "cannot update the intercept spec");
	intercept_describe(&spec, rep->desc, sizeof(rep->desc));
	helper_log("intercept: %s", rep->desc);
	return 0;
}

static int redir_on_get_tun(struct helper *h, const void *env, struct helper_reply *rep)
{
	rep->fd = redir.tun_fd;
	rep->fd_kept = true;
	rep->name = redir.ifname;
	return 0;
}

static int redir_on_open_proc_map(struct helper *h, const void *env, struct helper_reply *rep)
{
	rep->fd = redir_bpf_conns_fd(&redir);
	rep->fd_kept = true;
	return rep->fd < 0 ? helper_fail_err(rep, rep->fd, "no process map") : 0;
}

static const struct helper_handler redir_handlers[] = {
    {C2R(SET_INTERCEPT), redir_on_set_intercept},
    {C2R(GET_TUN), redir_on_get_tun},
    {C2R(OPEN_PROC_MAP), redir_on_open_proc_map},
};

static int redir_pack_reply(uint64_t seq, int rc, const struct helper_reply *rep, uint8_t *buf,
			    size_t cap)
{
	Snare__Redirector__RedirectorToCoord env = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__INIT;
	Snare__Redirector__Ok ok = SNARE__REDIRECTOR__OK__INIT;
	Snare__Redirector__Error e = SNARE__REDIRECTOR__ERROR__INIT;

	env.has_seq = ok.has_seq = e.has_seq = true;
	env.seq = ok.seq = e.seq = seq;
	if (rc == 0) {
		env.body_case = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_OK;
		ok.tun_name = unconst(rep->name);
		ok.description = rep->desc[0] != '\0' ? unconst(rep->desc) : NULL;
		env.ok = &ok;
	} else {
		env.body_case = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_ERROR;
		e.message = unconst(rep->msg[0] != '\0' ? rep->msg : "failed");
		env.error = &e;
	}
	return intercept_pack(&env.base, buf, cap);
}

/* After Hello: redirector.proto requests (no unexpected fds: ctx 0). */
static const size_t redir_no_fds;
static const struct helper_proto redir_proto = {
    .chan = &intercept_chan,
    .dir = INTERCEPT_TO_HELPER,
    .state = INTERCEPT_ST_READY,
    .ctx = &redir_no_fds,
    .pack_reply = redir_pack_reply,
};

/* ---- start-up ------------------------------------------------------------ */

/* The same device snare-tun makes (its undo records: the device, sysctls). */
static int redir_tun(struct helper *h, char *err, size_t errlen)
{
	int rc = helper_tun_init(1, err, errlen);

	if (rc < 0)
		return rc;
	rc = helper_tun_create(REDIR_TUN_PATTERN, REDIR_TUN_MTU, redir.ifname, &redir.tun_fd,
			       &h->undo);
	if (rc == 0)
		redir.ifindex = (int)if_nametoindex(redir.ifname);
	if (rc == 0 && redir.ifindex <= 0)
		rc = -ENODEV;
	if (rc < 0)
		errf(err, errlen, rc, "cannot create a TUN device");
	return rc;
}

/* The IPv6 route first: the kernel drops it with its device, so EEXIST
 * means another redirector's device is up, and its rule is left alone.
 * Rules outlive their device: a crashed predecessor's is removed here. */
static int redir_ipv6(struct helper *h, char *err, size_t errlen)
{
	int rc = redir_route6(&redir, true);

	if (rc == -EEXIST) {
		snprintf(err, errlen, "another snare-redirector is running (table %u has a route)",
			 REDIR_TABLE);
		return rc;
	}
	if (rc == 0) {
		redir_record(h, redir_undo_route, "ipv6 route");
		redir_rule6_flush(&redir);
		if ((rc = redir_rule6(&redir, true)) == 0)
			redir_record(h, redir_undo_rule, "ipv6 rule");
	}
	if (rc < 0)
		errf(err, errlen, rc, "IPv6 rule or route for %s", redir.ifname);
	return rc;
}

/* The TUN, the IPv6 route and rule, the programs, each recorded for undo. */
static int redir_setup(struct helper *h, char *err, size_t errlen)
{
	uint32_t self[2] = {(uint32_t)getpid(), (uint32_t)h->peer_pid};
	int rc;

	rc = redir_tun(h, err, errlen);
	if (rc == 0)
		rc = redir_ipv6(h, err, errlen);
	if (rc < 0)
		return rc;
	redir_record(h, redir_undo_bpf, "bpf");
	rc = redir_bpf_load(&redir, err, errlen);
	if (rc == 0)
		rc = redir_bpf_set_self(&redir, self, ARRAY_SIZE(self));
	if (rc < 0) {
		if (err[0] == '\0')
			errf(err, errlen, rc, "eBPF maps");
		return rc;
	}
	return 0;
}

static int redir_init(struct helper *h, char *err, size_t errlen)
{
	int rc;

	h->priv = &redir;
	rc = redir_nl_open(&redir);
	if (rc < 0) {
		errf(err, errlen, rc, "netlink");
		return rc;
	}
	rc = redir_setup(h, err, errlen);
	if (rc == 0)
		helper_log("capturing through %s (intercepting nothing yet)", redir.ifname);
	return rc;
}

/* Map updates and deletes; everything else was opened in init. */
static const struct helper_syscall redir_syscalls[] = {
    {.name = "bpf", .arg = 0, .vals = {BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM}, .nvals = 2},
#ifdef HELPER_TUN_SYSCALLS
    HELPER_TUN_SYSCALLS, /* the undo restores sysctls */
#endif
};

const struct helper_def helper_def = {
    .name = "redirector",
    .caps = {CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON},
    .ncaps = 3,
    .syscalls = redir_syscalls,
    .nsyscalls = ARRAY_SIZE(redir_syscalls),
    .init = redir_init,
    .handlers = redir_handlers,
    .nhandlers = ARRAY_SIZE(redir_handlers),
    .proto = &redir_proto,
};
