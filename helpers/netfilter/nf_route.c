/* The policy routing of UDP TPROXY in snare-netfilter (CAP_NET_ADMIN): the
 * tproxy rule only marks a packet and names a local socket; for the kernel
 * to deliver it to that socket instead of forwarding it, marked packets must
 * route locally.  Per address family one rule `fwmark <mark> lookup
 * NF_RT_TABLE` (priority NF_RT_PRIO) and, in that table, one route `local
 * default dev lo`.  Built in code with libmnl on the helper's own
 * rtnetlink socket; every value is a constant but the mark, which
 * privsep_validate checked.  Trusts the kernel's answers for their error
 * codes only. */
#include "nf.h"
#include "core/errf.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#define NF_RT_LOOPBACK 1 /* the loopback device's index in every namespace */
#define NF_RT_BUF 8192

static const uint8_t nf_rt_families[] = {AF_INET, AF_INET6};

/* Sends one request and reads its acknowledgement: 0 or -errno. */
static int nf_rt_talk(struct nf_state *st, struct nlmsghdr *nlh)
{
	static char buf[NF_RT_BUF];
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++st->rt_seq;
	if (mnl_socket_sendto(st->rt, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(st->rt, buf, sizeof(buf));
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		rc = mnl_cb_run(buf, (size_t)n, st->rt_seq, st->rt_portid, NULL, NULL);
		if (rc == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* A request of type in buf with a zeroed extra header of extra bytes (the
 * rule's or route's own); an add creates and never replaces. */
static struct nlmsghdr *nf_rt_msg(char *buf, uint16_t type, bool add, size_t extra)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	mnl_nlmsg_put_extra_header(nlh, extra);
	return nlh;
}

/* fwmark <mark> lookup NF_RT_TABLE, priority NF_RT_PRIO (mark 0: any mark,
 * for deleting what a crashed helper left). */
static int nf_rt_rule(struct nf_state *st, uint8_t family, bool add, uint32_t mark)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fib_rule_hdr *fr;
	struct nlmsghdr *nlh = nf_rt_msg(buf, add ? RTM_NEWRULE : RTM_DELRULE, add, sizeof(*fr));

	fr = mnl_nlmsg_get_payload(nlh);
	fr->family = family;
	fr->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, NF_RT_PRIO);
	mnl_attr_put_u32(nlh, FRA_TABLE, NF_RT_TABLE);
	if (mark != 0) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	}
	return nf_rt_talk(st, nlh);
}

/* local default dev lo table NF_RT_TABLE */
static int nf_rt_route(struct nf_state *st, uint8_t family, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtmsg *rt;
	struct nlmsghdr *nlh = nf_rt_msg(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, add, sizeof(*rt));

	rt = mnl_nlmsg_get_payload(nlh);
	rt->rtm_family = family;
	rt->rtm_table = RT_TABLE_UNSPEC; /* RTA_TABLE says which */
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_HOST;
	rt->rtm_type = RTN_LOCAL;
	mnl_attr_put_u32(nlh, RTA_TABLE, NF_RT_TABLE);
	mnl_attr_put_u32(nlh, RTA_OIF, NF_RT_LOOPBACK);
	return nf_rt_talk(st, nlh);
}

/* IPv6 may be missing or disabled (a namespace with disable_ipv6 answers
 * EACCES): then there is no IPv6 traffic to route either. */
static bool nf_rt_no_family(int rc)
{
	return rc == -EAFNOSUPPORT || rc == -EOPNOTSUPP || rc == -EACCES;
}

void nf_route_del(struct nf_state *st, uint32_t mark)
{
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(nf_rt_families); i++) {
		rc = nf_rt_rule(st, nf_rt_families[i], false, mark);
		if (rc < 0 && rc != -ENOENT && !nf_rt_no_family(rc))
			helper_log_err(rc, "cannot delete the fwmark rule");
		rc = nf_rt_route(st, nf_rt_families[i], false);
		if (rc < 0 && rc != -ESRCH && rc != -ENOENT && !nf_rt_no_family(rc))
			helper_log_err(rc, "cannot delete the route in table %u", NF_RT_TABLE);
	}
}

static int nf_route_add_family(struct nf_state *st, uint8_t family, uint32_t mark)
{
	int rc = nf_rt_route(st, family, true);

	return rc == 0 ? nf_rt_rule(st, family, true, mark) : rc;
}

int nf_route_add(struct nf_state *st, uint32_t mark, char *err, size_t errlen)
{
	int rc = nf_route_add_family(st, AF_INET, mark);

	if (rc == 0) {
		rc = nf_route_add_family(st, AF_INET6, mark);
		if (rc < 0 && nf_rt_no_family(rc)) {
			helper_log("no IPv6 routing for UDP TPROXY (%s): IPv4 only", strerror(-rc));
			rc = 0;
		}
	}
	if (rc == 0)
		return 0;
	errf(err, errlen, rc, "cannot route marked packets locally (table %u)", NF_RT_TABLE);
	nf_route_del(st, mark);
	return rc;
}

/* Rules and routes a crashed predecessor left (its table went with it, the
 * routing did not).  Called only once no live helper owns `inet snare`. */
void nf_route_remove_stale(struct nf_state *st)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(nf_rt_families); i++) {
		for (n = 0; n < 16 && nf_rt_rule(st, nf_rt_families[i], false, 0) == 0; n++)
			;
		for (n = 0; n < 16 && nf_rt_route(st, nf_rt_families[i], false) == 0; n++)
			;
	}
}

int nf_route_open(struct nf_state *st, char *err, size_t errlen)
{
	st->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (st->rt == NULL || mnl_socket_bind(st->rt, 0, MNL_SOCKET_AUTOPID) < 0) {
		errf(err, errlen, -errno, "rtnetlink");
		return -errno;
	}
	st->rt_portid = mnl_socket_get_portid(st->rt);
	st->rt_seq = (uint32_t)time(NULL);
	return 0;
}
