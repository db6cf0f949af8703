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

/* What a handler answers: Ok with these (fd sent, not closed), or Error. */
struct redir_reply {
	int fd;
	const char *tun_name;
	char desc[INTERCEPT_DESC_MAX + 1];
	char msg[INTERCEPT_ERROR_MAX + 1];
};

typedef int (*redir_handler_fn)(struct helper *h, const Snare__Redirector__CoordToRedirector *req,
				struct redir_reply *rep);

static int redir_fail(struct redir_reply *rep, int rc, const char *what)
{
	errf(rep->msg, sizeof(rep->msg), rc, "%s", what);
	return rc;
}

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

static int redir_on_set_intercept(struct helper *h, const Snare__Redirector__CoordToRedirector *req,
				  struct redir_reply *rep)
{
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
		return redir_fail(rep, rc, "cannot update snare's processes");
	rc = redir_bpf_set_spec(&redir, &spec);
	if (rc < 0)
		return redir_fail(rep, rc, "cannot update the intercept spec");
	intercept_describe(&spec, rep->desc, sizeof(rep->desc));
	helper_log("intercept: %s", rep->desc);
	return 0;
}

static int redir_on_get_tun(struct helper *h, const Snare__Redirector__CoordToRedirector *req,
			    struct redir_reply *rep)
{
	rep->fd = redir.tun_fd;
	rep->tun_name = redir.ifname;
	return 0;
}

static int redir_on_open_proc_map(struct helper *h, const Snare__Redirector__CoordToRedirector *req,
				  struct redir_reply *rep)
{
	rep->fd = redir_bpf_conns_fd(&redir);
	return rep->fd < 0 ? redir_fail(rep, rep->fd, "no process map") : 0;
}

static const struct {
	int body_case;
	redir_handler_fn fn;
} redir_handlers[] = {
    {C2R(SET_INTERCEPT), redir_on_set_intercept},
    {C2R(GET_TUN), redir_on_get_tun},
    {C2R(OPEN_PROC_MAP), redir_on_open_proc_map},
};

static int redir_send_reply(struct helper *h, uint64_t seq, int rc, const struct redir_reply *rep)
{
	Snare__Redirector__RedirectorToCoord env = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__INIT;
	Snare__Redirector__Ok ok = SNARE__REDIRECTOR__OK__INIT;
	Snare__Redirector__Error e = SNARE__REDIRECTOR__ERROR__INIT;
	uint8_t buf[INTERCEPT_MAX_FRAME];
	int n;

	env.has_seq = ok.has_seq = e.has_seq = true;
	env.seq = ok.seq = e.seq = seq;
	if (rc == 0) {
		env.body_case = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_OK;
		ok.tun_name = unconst(rep->tun_name);
		ok.description = rep->desc[0] != '\0' ? unconst(rep->desc) : NULL;
		env.ok = &ok;
	} else {
		env.body_case = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_ERROR;
		e.message = unconst(rep->msg[0] != '\0' ? rep->msg : "failed");
		env.error = &e;
	}
	n = intercept_pack(&env.base, buf, sizeof(buf));
	if (n < 0)
		return n;
	return ipc_send_raw(h->chan, buf, (size_t)n, rc == 0 && rep->fd >= 0 ? &rep->fd : NULL,
			    rc == 0 && rep->fd >= 0 ? 1 : 0);
}

static void __attribute__((noreturn)) redir_violation(struct helper *h, const char *what, int rc)
{
	helper_log("protocol violation (%s: %s): undoing and exiting", what, strerror(-rc));
	helper_exit(h, 1);
}

static void redir_dispatch(struct helper *h, const struct intercept_msg *m)
{
	struct redir_reply rep = {.fd = -1};
	redir_handler_fn fn = NULL;
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(redir_handlers); i++)
		if (redir_handlers[i].body_case == m->body_case)
			fn = redir_handlers[i].fn;
	if (fn == NULL)
		redir_violation(h, intercept_case_name(INTERCEPT_TO_HELPER, m->body_case),
				-EOPNOTSUPP);
	rc = fn(h, (const Snare__Redirector__CoordToRedirector *)m->msg, &rep);
	if (rc < 0)
		helper_log("%s refused: %s", intercept_case_name(INTERCEPT_TO_HELPER, m->body_case),
			   rep.msg);
	rc = redir_send_reply(h, m->seq, rc, &rep);
	if (rc < 0) {
		helper_log("cannot reply: %s: undoing and exiting", strerror(-rc));
		helper_exit(h, 1);
	}
}

/* After Hello: one redirector.proto frame. */
static void redir_on_frame(struct helper *h)
{
	uint8_t buf[INTERCEPT_MAX_FRAME];
	struct intercept_msg m = {0};
	size_t nfds = 0, i;
	int fds[1], n, rc;

	n = ipc_recv_raw(h->chan, buf, sizeof(buf), fds, ARRAY_SIZE(fds), &nfds);
	if (n == 0) {
		helper_log("the coordinator closed the channel: undoing and exiting");
		helper_exit(h, 0);
	}
	if (n == -EAGAIN)
		return;
	if (n < 0)
		redir_violation(h, "receive", n);
	rc = intercept_decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, (size_t)n, nfds, &m);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc < 0)
		redir_violation(h, "request", rc);
	redir_dispatch(h, &m);
	intercept_msg_free(&m);
}

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
    .handlers = NULL,
    .nhandlers = 0,
    .on_frame = redir_on_frame,
};
