/* snare-redirector's network objects (root or CAP_NET_ADMIN): the TUN device
 * is made by helpers/common/tun_create.c; here: the IPv6 policy
 * rule and default route that send a bound IPv6 socket's packets into it,
 * and their removal.  Raw rtnetlink on one socket opened before the sandbox;
 * nothing here takes a name or number from the coordinator. */
#include "redir.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct redir_nlreq {
	struct nlmsghdr h;
	union {
		struct fib_rule_hdr rule;
		struct rtmsg rt;
		struct ifinfomsg ifi;
	};
	char attrs[64];
};

int redir_nl_open(struct redir_state *st)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	st->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (st->nl < 0)
		return -errno;
	if (bind(st->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void redir_attr(struct redir_nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		fatal("netlink request overflow");
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (uint32_t)(NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len));
}

/* Sends one request and reads its ack: 0 or -errno from the kernel. */
static int redir_nl_talk(struct redir_state *st, struct redir_nlreq *r)
{
	char buf[1024];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = ++st->nl_seq;
	if (send(st->nl, r, r->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(st->nl, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(*h))
			return n < 0 ? -errno : -EBADMSG;
		if (h->nlmsg_seq != st->nl_seq)
			continue; /* a stale answer */
		if (h->nlmsg_type != NLMSG_ERROR)
			return -EBADMSG;
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
}

static void redir_rule_req(struct redir_nlreq *r, bool add)
{
	uint32_t prio = REDIR_RULE_PRIO, table = REDIR_TABLE;

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(r->rule));
	r->h.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	r->h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	r->rule.family = AF_INET6;
	r->rule.action = FR_ACT_TO_TBL;
	redir_attr(r, FRA_PRIORITY, &prio, sizeof(prio));
	redir_attr(r, FRA_TABLE, &table, sizeof(table));
}

int redir_rule6(struct redir_state *st, bool add)
{
	struct redir_nlreq r;

	redir_rule_req(&r, add);
	redir_attr(&r, FRA_OIFNAME, st->ifname, strlen(st->ifname) + 1);
	return redir_nl_talk(st, &r);
}

void redir_rule6_flush(struct redir_state *st)
{
	struct redir_nlreq r;
	int i;

	for (i = 0; i < 16; i++) {
		redir_rule_req(&r, false);
		if (redir_nl_talk(st, &r) < 0)
			return;
		helper_log("removed a stale IPv6 rule (priority %d)", REDIR_RULE_PRIO);
	}
}

int redir_route6(struct redir_state *st, bool add)
{
	uint32_t table = REDIR_TABLE, oif = (uint32_t)st->ifindex;
	struct redir_nlreq r;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(r.rt));
	r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	r.rt.rtm_family = AF_INET6;
	r.rt.rtm_table = RT_TABLE_UNSPEC;
	r.rt.rtm_protocol = RTPROT_STATIC;
	r.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	r.rt.rtm_type = RTN_UNICAST;
	redir_attr(&r, RTA_TABLE, &table, sizeof(table));
	redir_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return redir_nl_talk(st, &r);
}
