/* snare-netfilter (root, or CAP_NET_ADMIN + CAP_NET_BIND_SERVICE): owns one
 * nftables table, `inet snare`, and touches nothing else but the policy
 * routing UDP TPROXY needs (nf_route.c); installs TCP REDIRECT and UDP
 * TPROXY rule sets from fixed templates, and binds privileged ports.
 * Trusts requests only after privsep_decode; records every change in the
 * undo log so EOF, a signal or a violation removes it. */
#include "nf.h"
#include "core/errf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>

/* Chain priorities, as nft names them. */
#define NF_PRIO_DSTNAT (-100)
#define NF_PRIO_MANGLE (-150)

/* Which objects one request created, packed into its undo id. */
enum {
	NF_OBJ_PRE = 1 << 0,	/* chain redirect_<n> */
	NF_OBJ_LOCAL = 1 << 1,	/* chain redirect_local_<n> */
	NF_OBJ_TPROXY = 1 << 2, /* chain tproxy_<n> */
	NF_OBJ_IFACES = 1 << 3, /* set ifaces_<n> (ports_<n> always) */
};

static struct nf_state nf;

static void nf_name(char *buf, const char *what, uint32_t n)
{
	snprintf(buf, NF_NAME_MAX, "%s_%u", what, n);
}

/* ---- undo ---------------------------------------------------------------- */

/* The objects of one request, in deletion order (chains before their sets). */
static const struct {
	uint32_t obj; /* 0: always there */
	const char *prefix;
	bool chain;
} nf_request_objs[] = {
    {NF_OBJ_PRE, "redirect", true},   {NF_OBJ_LOCAL, "redirect_local", true},
    {NF_OBJ_TPROXY, "tproxy", true},  {0, "ports", false},
    {NF_OBJ_IFACES, "ifaces", false},
};

static void nf_undo_request(void *ctx, uint64_t id)
{
	uint32_t n = (uint32_t)(id >> 8), objs = (uint32_t)(id & 0xff);
	struct nf_state *st = ctx;
	char name[NF_NAME_MAX];
	struct nf_batch b;
	size_t i;
	int rc = 0;

	nf_batch_begin(&b, st);
	for (i = 0; i < ARRAY_SIZE(nf_request_objs) && rc == 0; i++) {
		if (nf_request_objs[i].obj != 0 && !(objs & nf_request_objs[i].obj))
			continue;
		nf_name(name, nf_request_objs[i].prefix, n);
		rc = nf_request_objs[i].chain ? nf_del_chain(&b, name) : nf_del_set(&b, name);
	}
	if (rc == 0)
		rc = nf_batch_commit(&b);
	else
		mnl_nlmsg_batch_stop(b.b);
	if (rc < 0)
		helper_log_err(rc, "cannot remove rule set %u", n);
}

static void nf_undo_routing(void *ctx, uint64_t id)
{
	struct nf_state *st = ctx;

	nf_route_del(st, (uint32_t)id);
	st->routing = false;
}

/* ---- the table ----------------------------------------------------------- */

static int nf_table_commit(struct nf_state *st, bool del, bool owner)
{
	struct nf_batch b;
	int rc;

	nf_batch_begin(&b, st);
	rc = del ? nf_del_table(&b) : nf_add_table(&b, owner);
	if (rc == 0)
		rc = nf_batch_commit(&b);
	return rc;
}

static void nf_undo_table(void *ctx, uint64_t id)
{
	struct nf_state *st = ctx;
	int rc = nf_table_commit(st, true, false);

	if (rc < 0 && rc != -ENOENT)
		helper_log_err(rc, "cannot delete table inet %s", NF_TABLE);
	st->table = false;
}

/* Creates the table on first use and records its removal. */
static int nf_ensure_table(struct helper *h, struct helper_reply *rep)
{
	int rc;

	if (nf.table)
		return 0;
	rc = nf_table_commit(&nf, false, nf.owner_flag);
	if (rc < 0 && nf.owner_flag && (rc == -EOPNOTSUPP || rc == -EINVAL)) {
		nf.owner_flag = false; /* kernel < 5.12 */
		rc = nf_table_commit(&nf, false, false);
	}
	if (rc < 0)
		return helper_fail_err(rep, rc, "cannot create table inet %s", NF_TABLE);
	nf.table = true;
	if (privsep_undo_push(&h->undo, nf_undo_table, &nf, 0, "table") < 0)
		fatal("undo log full after a room check");
	return 0;
}

/* Room for the table and one request, then the table. */
static int nf_prepare(struct helper *h, struct helper_reply *rep)
{
	if (!privsep_undo_room(&h->undo, 2))
		return helper_fail(rep, -ENOSPC, "too many rule sets installed");
	return nf_ensure_table(h, rep);
}

/* ---- requests ------------------------------------------------------------ */

/* One rule-set request being built: its number, the objects it made (for
 * the undo id), their names, the rule and the batch. */
struct nf_req {
	uint32_t n, objs;
	char ports[NF_NAME_MAX], ifaces[NF_NAME_MAX], chain[NF_NAME_MAX];
	struct nf_rule r;
	struct nf_batch b;
};

/* Numbers the request and starts its batch with the port set and, when
 * interfaces are named, the interface set; the rule r uses both. */
static int nf_req_begin(struct nf_req *q, const struct nf_rule *r, const uint32_t *ports,
			size_t nports, char *const *ifaces, size_t nifaces)
{
	int rc;

	q->n = ++nf.next_id;
	nf_name(q->ports, "ports", q->n);
	nf_name(q->ifaces, "ifaces", q->n);
	q->r = *r;
	q->r.port_set = q->ports;
	q->r.port_set_id = 2 * q->n;
	nf_batch_begin(&q->b, &nf);
	rc = nf_add_port_set(&q->b, q->ports, q->r.port_set_id, ports, nports);
	if (rc == 0 && nifaces > 0) {
		q->objs |= NF_OBJ_IFACES;
		q->r.iface_set = q->ifaces;
		q->r.iface_set_id = 2 * q->n + 1;
		rc = nf_add_iface_set(&q->b, q->ifaces, q->r.iface_set_id, ifaces, nifaces);
	}
	return rc;
}

/* A base chain <prefix>_<n> holding the request's rule (obj: its bit). */
static int nf_req_chain(struct nf_req *q, uint32_t obj, const char *prefix, uint32_t hook,
			int32_t prio, const char *type)
{
	int rc;

	q->objs |= obj;
	nf_name(q->chain, prefix, q->n);
	rc = nf_add_chain(&q->b, q->chain, hook, prio, type);
	return rc == 0 ? nf_add_rule(&q->b, q->chain, &q->r) : rc;
}

/* Commits the batch built so far (rc: how building went) and records its
 * removal. */
static int nf_req_finish(struct helper *h, struct nf_req *q, int rc, struct helper_reply *rep)
{
	if (rc < 0) {
		if (q->b.b != NULL)
			mnl_nlmsg_batch_stop(q->b.b);
		return helper_fail_err(rep, rc, "cannot build rule set");
	}
	rc = nf_batch_commit(&q->b);
	if (rc < 0)
		return helper_fail_err(rep, rc, "nftables refused the rule set");
	if (privsep_undo_push(&h->undo, nf_undo_request, &nf, (uint64_t)q->n << 8 | q->objs,
			      "rules") < 0)
		fatal("undo log full after a room check");
	return 0;
}

/* The uid whose sockets are not redirected: the coordinator's (the channel
 * peer), or for a root peer the uid it names (the user it will drop to). */
static uint32_t nf_own_uid(const struct helper *h, const Snare__Helper__NetfilterRedirect *m)
{
	return m->has_exclude_uid ? m->exclude_uid : (uint32_t)h->peer_uid;
}

static int nf_on_redirect(struct helper *h, const void *env, struct helper_reply *rep)
{
	const Snare__Helper__CoordToHelper *req = env;
	const Snare__Helper__NetfilterRedirect *m = req->netfilter_redirect;
	const struct nf_rule r = {
	    .l4proto = IPPROTO_TCP, .action = NF_REDIRECT, .to_port = (uint16_t)m->to_port};
	struct nf_req q = {0};
	int rc;

	if ((rc = nf_prepare(h, rep)) < 0)
		return rc;
	rc = nf_req_begin(&q, &r, m->ports, m->n_ports, m->interfaces, m->n_interfaces);
	if (rc == 0)
		rc = nf_req_chain(&q, NF_OBJ_PRE, "redirect", NF_INET_PRE_ROUTING, NF_PRIO_DSTNAT,
				  "nat");
	if (rc == 0 && m->include_local) {
		q.r.iface_set = NULL;
		q.r.skip_uid = true;
		q.r.uid = nf_own_uid(h, m);
		rc = nf_req_chain(&q, NF_OBJ_LOCAL, "redirect_local", NF_INET_LOCAL_OUT,
				  NF_PRIO_DSTNAT, "nat");
	}
	return nf_req_finish(h, &q, rc, rep);
}

/* The fwmark rules and local routes, once per helper, for one mark. */
static int nf_ensure_routing(struct helper *h, uint32_t mark, struct helper_reply *rep)
{
	char err[PRIVSEP_ERROR_MAX];
	int rc;

	if (nf.routing && nf.rt_mark == mark)
		return 0;
	if (nf.routing)
		return helper_fail(rep, -EBUSY, "UDP TPROXY already routes mark %u", nf.rt_mark);
	rc = nf_route_add(&nf, mark, err, sizeof(err));
	if (rc < 0)
		return helper_fail(rep, rc, "%s", err);
	nf.routing = true;
	nf.rt_mark = mark;
	if (privsep_undo_push(&h->undo, nf_undo_routing, &nf, mark, "routing") < 0)
		fatal("undo log full after a room check");
	return 0;
}

static int nf_on_tproxy_udp(struct helper *h, const void *env, struct helper_reply *rep)
{
	const Snare__Helper__CoordToHelper *req = env;
	const Snare__Helper__NetfilterTproxyUdp *m = req->netfilter_tproxy_udp;
	const struct nf_rule r = {.l4proto = IPPROTO_UDP,
				  .action = NF_TPROXY,
				  .to_port = (uint16_t)m->to_port,
				  .mark = m->mark};
	struct nf_req q = {0};
	int rc;

	if (!privsep_undo_room(&h->undo, 3))
		return helper_fail(rep, -ENOSPC, "too many rule sets installed");
	if ((rc = nf_ensure_table(h, rep)) < 0 || (rc = nf_ensure_routing(h, m->mark, rep)) < 0)
		return rc;
	rc = nf_req_begin(&q, &r, m->ports, m->n_ports, m->interfaces, m->n_interfaces);
	if (rc == 0)
		rc = nf_req_chain(&q, NF_OBJ_TPROXY, "tproxy", NF_INET_PRE_ROUTING, NF_PRIO_MANGLE,
				  "filter");
	return nf_req_finish(h, &q, rc, rep);
}

/* ---- start-up ------------------------------------------------------------ */

/* A table left by a crashed helper that did not own it goes first; one
 * owned by a live helper cannot be deleted, and we refuse to share it. */
static int nf_remove_stale(char *err, size_t errlen)
{
	int rc = nf_table_commit(&nf, true, false);

	if (rc == 0) {
		helper_log("removed a stale table inet %s", NF_TABLE);
		return 0;
	}
	if (rc == -ENOENT)
		return 0;
	if (rc == -EPERM || rc == -EBUSY)
		snprintf(err, errlen, "table inet %s belongs to another running snare-netfilter",
			 NF_TABLE);
	else
		errf(err, errlen, rc, "cannot delete stale table inet %s", NF_TABLE);
	return rc;
}

static int nf_init(struct helper *h, char *err, size_t errlen)
{
	int rc;

	nf.nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (nf.nl == NULL || mnl_socket_bind(nf.nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return errf(err, errlen, -errno, "netlink");
	nf.portid = mnl_socket_get_portid(nf.nl);
	nf.seq = 1;
	nf.owner_flag = true;
	h->priv = &nf;
	rc = nf_route_open(&nf, err, errlen);
	if (rc == 0)
		rc = nf_remove_stale(err, errlen);
	if (rc == 0) /* nobody else owns the table, so the routing is no one's */
		nf_route_remove_stale(&nf);
	return rc;
}

#define C2H(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c

static const struct helper_handler nf_handlers[] = {
    {C2H(NETFILTER_REDIRECT), nf_on_redirect},
    {C2H(NETFILTER_TPROXY_UDP), nf_on_tproxy_udp},
    {C2H(BIND_PORT), nf_on_bind_port},
};

/* BindPort: an IPv4 or IPv6 socket, its options, its bind. */
static const struct helper_syscall nf_syscalls[] = {
    {.name = "socket", .arg = 0, .vals = {AF_INET, AF_INET6}, .nvals = 2},
    {.name = "setsockopt", .arg = -1},
    {.name = "bind", .arg = -1},
};

const struct helper_def helper_def = {
    .name = "netfilter",
    .caps = {CAP_NET_ADMIN, CAP_NET_BIND_SERVICE},
    .ncaps = 2,
    .syscalls = nf_syscalls,
    .nsyscalls = ARRAY_SIZE(nf_syscalls),
    .init = nf_init,
    .handlers = nf_handlers,
    .nhandlers = ARRAY_SIZE(nf_handlers),
};
