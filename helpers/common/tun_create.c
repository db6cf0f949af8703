/* TUN creation for privileged helpers (root or CAP_NET_ADMIN, inside their
 * seccomp sandbox): TUNSETIFF on a pre-opened /dev/net/tun fd, then address,
 * MTU, up and the per-interface sysctls over rtnetlink, and the global
 * rp_filter change (all to 0, the others raised first) on pre-opened
 * /proc/sys files, recorded first in /run/snare (tun_state.c).  Trusts
 * nothing from its caller; every change is in the undo log before it is
 * made or right after it succeeds. */
#include "tun.h"
#include "tun_state.h"
#include "core/errf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TUN_CONF "/proc/sys/net/ipv4/conf/"
#define TUN_MSG_MAX 512	       /* one request we build */
#define TUN_RX_MAX (64 * 1024) /* one datagram of a dump */

/* One interface raised to all/rp_filter, and its old value. */
struct tun_raised {
	int ifindex;
	uint32_t old;
	char name[IFNAMSIZ];
};

static struct {
	int pool[HELPER_TUN_MAX]; /* unattached /dev/net/tun fds */
	unsigned npool;
	int nl;
	uint32_t seq;
	int all_fd, default_fd; /* conf/{all,default}/rp_filter, O_RDWR */
	bool using;		/* we hold a share of the record (tun_state_use) */
} tun = {.nl = -1, .all_fd = -1, .default_fd = -1};

static uint8_t tun_rx[TUN_RX_MAX];

/* ---- netlink ------------------------------------------------------------- */

struct tun_msg {
	union {
		struct nlmsghdr h;
		uint8_t buf[TUN_MSG_MAX];
	};
};

static void *tun_msg_init(struct tun_msg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	m->h.nlmsg_seq = ++tun.seq;
	return NLMSG_DATA(&m->h);
}

/* Appends one attribute (fatal past the fixed size: our own messages). */
static struct rtattr *tun_attr(struct tun_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *a = (struct rtattr *)(m->buf + off);

	if (off + RTA_SPACE(len) > sizeof(m->buf))
		fatal("tun: netlink message too long");
	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(a->rta_len));
	return a;
}

static void tun_nest_end(struct tun_msg *m, struct rtattr *nest)
{
	nest->rta_len = (uint16_t)((m->buf + m->h.nlmsg_len) - (uint8_t *)nest);
}

typedef int (*tun_nl_fn)(const struct nlmsghdr *n, void *arg);

/* <linux/netlink.h>'s and <linux/rtnetlink.h>'s macros cast through plain
 * char *, dropping the const of what we only read: these keep it. */
static const void *nl_cdata(const struct nlmsghdr *n)
{
	return (const char *)n + NLMSG_HDRLEN;
}

static const void *rta_cdata(const struct rtattr *a)
{
	return (const char *)a + RTA_LENGTH(0);
}

static const struct rtattr *ifla_cfirst(const struct ifinfomsg *ifi)
{
	return (const void *)((const char *)ifi + NLMSG_ALIGN(sizeof(*ifi)));
}

static const struct rtattr *rta_cnext(const struct rtattr *a, int *len)
{
	*len -= (int)RTA_ALIGN(a->rta_len);
	return (const void *)((const char *)a + RTA_ALIGN(a->rta_len));
}

/* The replies to our last request in one datagram: 1 once it is finished
 * (its ack, error or NLMSG_DONE), 0 for more, or a negative code. */
static int tun_nl_parse(size_t len, uint32_t seq, tun_nl_fn fn, void *arg)
{
	const struct nlmsghdr *n;
	size_t off;
	int rc;

	for (off = 0; len - off >= sizeof(*n); off += NLMSG_ALIGN(n->nlmsg_len)) {
		n = (const struct nlmsghdr *)(tun_rx + off);
		if (n->nlmsg_len < sizeof(*n) || n->nlmsg_len > len - off)
			return -EPROTO;
		if (n->nlmsg_seq != seq)
			continue;
		if (n->nlmsg_type == NLMSG_DONE)
			return 1;
		if (n->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = nl_cdata(n);

			if (n->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error < 0 ? e->error : 1;
		}
		if (fn != NULL && (rc = fn(n, arg)) < 0)
			return rc;
		if (NLMSG_ALIGN(n->nlmsg_len) >= len - off)
			break;
	}
	return 0;
}

/* Sends m (asking for an ack) and reads until it is answered. */
static int tun_nl_talk(struct tun_msg *m, tun_nl_fn fn, void *arg)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;
	int rc = 0;

	m->h.nlmsg_flags |= NLM_F_ACK;
	if (sendto(tun.nl, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) <
	    0)
		return -errno;
	while (rc == 0) {
		n = recvfrom(tun.nl, tun_rx, sizeof(tun_rx), MSG_TRUNC, NULL, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof(tun_rx))
			return -EMSGSIZE;
		rc = tun_nl_parse((size_t)n, m->h.nlmsg_seq, fn, arg);
	}
	return rc < 0 ? rc : 0;
}

/* ---- links ---------------------------------------------------------------- */

static int tun_on_link_index(const struct nlmsghdr *n, void *arg)
{
	const struct ifinfomsg *ifi = nl_cdata(n);

	if (n->nlmsg_type != RTM_NEWLINK || n->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -EPROTO;
	*(int *)arg = ifi->ifi_index;
	return 0;
}

/* The index of the device named name: 0, -ENODEV or another -errno. */
static int tun_link_index(const char *name, int *ifindex)
{
	struct tun_msg m;
	int rc;

	*ifindex = 0;
	tun_msg_init(&m, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	tun_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
	rc = tun_nl_talk(&m, tun_on_link_index, ifindex);

	if (rc == 0 && *ifindex <= 0)
		rc = -EPROTO;
	return rc;
}

/* RTM_NEWLINK on ifindex: flags (under change) and, when mtu != 0, the MTU. */
static struct ifinfomsg *tun_link_msg(struct tun_msg *m, int ifindex)
{
	struct ifinfomsg *ifi = tun_msg_init(m, RTM_NEWLINK, 0, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

/* IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF { devconf index: value } } } */
static void tun_devconf(struct tun_msg *m, const int *idx, const uint32_t *vals, size_t n)
{
	struct rtattr *spec = tun_attr(m, IFLA_AF_SPEC, NULL, 0);
	struct rtattr *inet = tun_attr(m, AF_INET, NULL, 0);
	struct rtattr *conf = tun_attr(m, IFLA_INET_CONF, NULL, 0);
	size_t i;

	for (i = 0; i < n; i++)
		tun_attr(m, (uint16_t)idx[i], &vals[i], sizeof(vals[i]));
	tun_nest_end(m, conf);
	tun_nest_end(m, inet);
	tun_nest_end(m, spec);
}

static int tun_set_rp_filter(int ifindex, uint32_t value)
{
	static const int idx[] = {IPV4_DEVCONF_RP_FILTER};
	struct tun_msg m;

	tun_link_msg(&m, ifindex);
	tun_devconf(&m, idx, &value, 1);
	return tun_nl_talk(&m, NULL, NULL);
}

/* MTU and the device's own sysctls (they go away with it). */
static int tun_link_conf(int ifindex, unsigned mtu)
{
	static const int idx[] = {IPV4_DEVCONF_RP_FILTER, IPV4_DEVCONF_ACCEPT_LOCAL,
				  IPV4_DEVCONF_ROUTE_LOCALNET};
	static const uint32_t vals[] = {0, 1, 1};
	uint32_t mtu32 = mtu;
	struct tun_msg m;

	tun_link_msg(&m, ifindex);
	tun_attr(&m, IFLA_MTU, &mtu32, sizeof(mtu32));
	tun_devconf(&m, idx, vals, ARRAY_SIZE(idx));
	return tun_nl_talk(&m, NULL, NULL);
}

static int tun_link_up(int ifindex)
{
	struct tun_msg m;
	struct ifinfomsg *ifi = tun_link_msg(&m, ifindex);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return tun_nl_talk(&m, NULL, NULL);
}

static int tun_addr_add(int ifindex)
{
	struct tun_msg m;
	struct ifaddrmsg *ifa =
	    tun_msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	struct in_addr a;

	if (inet_pton(AF_INET, HELPER_TUN_ADDR, &a) != 1)
		return -EINVAL;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	tun_attr(&m, IFA_LOCAL, &a, sizeof(a));
	tun_attr(&m, IFA_ADDRESS, &a, sizeof(a));
	return tun_nl_talk(&m, NULL, NULL);
}

/* Undo: delete the device we created (gone already is fine: snare closed
 * the last fd).  Kernel ifindexes are not reused while the counter runs. */
static void tun_undo_link(void *ctx, uint64_t id)
{
	struct tun_msg m;
	int rc;

	tun_msg_init(&m, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
	((struct ifinfomsg *)NLMSG_DATA(&m.h))->ifi_index = (int)id;
	rc = tun_nl_talk(&m, NULL, NULL);
	if (rc < 0 && rc != -ENODEV)
		helper_log_err(rc, "cannot delete TUN device %d", (int)id);
}

/* ---- rp_filter ------------------------------------------------------------ */

static int tun_sysctl_read(int fd, int *value)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long v;

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0 || v > 2)
		return -EIO;
	*value = (int)v;
	return 0;
}

static int tun_sysctl_write(int fd, int value)
{
	char buf[4];
	int len = snprintf(buf, sizeof(buf), "%d\n", value);

	if (pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

/* The u32 at devconf index idx in an RTM_NEWLINK's IFLA_AF_SPEC, or -1. */
static long tun_link_devconf(const struct nlmsghdr *n, int idx)
{
	const struct ifinfomsg *ifi = nl_cdata(n);
	int len = (int)n->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a, *b, *c;
	int blen, clen;

	for (a = ifla_cfirst(ifi); RTA_OK(a, len); a = rta_cnext(a, &len)) {
		if (a->rta_type != IFLA_AF_SPEC)
			continue;
		blen = (int)RTA_PAYLOAD(a);
		for (b = rta_cdata(a); RTA_OK(b, blen); b = rta_cnext(b, &blen)) {
			if (b->rta_type != AF_INET)
				continue;
			clen = (int)RTA_PAYLOAD(b);
			for (c = rta_cdata(b); RTA_OK(c, clen); c = rta_cnext(c, &clen))
				if (c->rta_type == IFLA_INET_CONF &&
				    RTA_PAYLOAD(c) >= (size_t)idx * sizeof(uint32_t))
					return ((const uint32_t *)rta_cdata(c))[idx - 1];
		}
	}
	return -1;
}

/* The IFLA_IFNAME of an RTM_NEWLINK into name (IFNAMSIZ): 0 or -EPROTO. */
static int tun_link_ifname(const struct nlmsghdr *n, char *name)
{
	const struct ifinfomsg *ifi = nl_cdata(n);
	int len = (int)n->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a;

	for (a = ifla_cfirst(ifi); RTA_OK(a, len); a = rta_cnext(a, &len)) {
		size_t l = RTA_PAYLOAD(a);

		if (a->rta_type != IFLA_IFNAME || l < 2 || l > IFNAMSIZ)
			continue;
		memcpy(name, rta_cdata(a), l);
		name[l - 1] = '\0';
		return privsep_valid_ifname(name) ? 0 : -EPROTO;
	}
	return -EPROTO;
}

/* What to raise: every link but ours whose rp_filter is below all's. */
struct tun_scan {
	int skip, all;
	struct tun_raised found[TUN_RAISE_MAX];
	size_t n;
};

static int tun_on_scan(const struct nlmsghdr *n, void *arg)
{
	const struct ifinfomsg *ifi = nl_cdata(n);
	struct tun_scan *s = arg;
	long v;

	if (n->nlmsg_type != RTM_NEWLINK || n->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	v = tun_link_devconf(n, IPV4_DEVCONF_RP_FILTER);
	if (ifi->ifi_index == s->skip || v < 0 || v >= s->all)
		return 0;
	if (s->n == TUN_RAISE_MAX)
		return -E2BIG;
	s->found[s->n] = (struct tun_raised){.ifindex = ifi->ifi_index, .old = (uint32_t)v};
	if (tun_link_ifname(n, s->found[s->n].name) < 0)
		return -EPROTO;
	s->n++;
	return 0;
}

static int tun_scan_links(struct tun_scan *s)
{
	struct tun_msg m;
	struct ifinfomsg *ifi = tun_msg_init(&m, RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	return tun_nl_talk(&m, tun_on_scan, s);
}

/* ---- what a killed helper left ---------------------------------------------- */

struct tun_link_q {
	char name[IFNAMSIZ];
	long rpf;
};

static int tun_on_link_q(const struct nlmsghdr *n, void *arg)
{
	struct tun_link_q *q = arg;

	if (n->nlmsg_type != RTM_NEWLINK || n->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    tun_link_ifname(n, q->name) < 0)
		return -EPROTO;
	q->rpf = tun_link_devconf(n, IPV4_DEVCONF_RP_FILTER);
	return 0;
}

/* The value a record line names now: 0, -ENODEV (a link gone or renamed). */
static int tun_conf_now(const struct tun_conf_change *c, int *value)
{
	struct tun_link_q q = {.rpf = -1};
	struct tun_msg m;
	int rc;

	if (c->ifindex == 0)
		return tun_sysctl_read(strcmp(c->name, "all") == 0 ? tun.all_fd : tun.default_fd,
				       value);
	tun_link_msg(&m, c->ifindex)->ifi_family = AF_UNSPEC;
	m.h.nlmsg_type = RTM_GETLINK;
	rc = tun_nl_talk(&m, tun_on_link_q, &q);
	if (rc < 0)
		return rc;
	if (strcmp(q.name, c->name) != 0 || q.rpf < 0)
		return -ENODEV;
	*value = (int)q.rpf;
	return 0;
}

static int tun_conf_put(const struct tun_conf_change *c, int value)
{
	if (c->ifindex == 0)
		return tun_sysctl_write(strcmp(c->name, "all") == 0 ? tun.all_fd : tun.default_fd,
					value);
	return tun_set_rp_filter(c->ifindex, (uint32_t)value);
}

/* Puts back each recorded value that still has the value we set.  One that
 * somebody changed since stops us when strict (we would undo their change),
 * else it is left as it is and logged.  How many went back, or a negative
 * code with one line in err. */
static int tun_restore(const struct tun_state_rec *rec, bool strict, char *err, size_t errlen)
{
	/* Checked first, all of them, so a strict refusal changes nothing. */
	bool put_back[TUN_STATE_MAX] = {false};
	size_t i;
	int cur, rc, n = 0;

	for (i = 0; i < rec->n; i++) {
		const struct tun_conf_change *c = &rec->c[i];

		rc = tun_conf_now(c, &cur);
		if (rc == -ENODEV || (rc == 0 && cur == c->old))
			continue;
		if (rc == 0 && cur != c->set && strict) {
			snprintf(err, errlen,
				 "%s: a snare helper that was killed changed "
				 "net.ipv4.conf.%s.rp_filter from %d to %d and it is %d now: set "
				 "the values listed there as they should be, then remove the file",
				 tun_state_path(), c->name, c->old, c->set, cur);
			return -EBUSY;
		}
		if (rc == 0 && cur != c->set) {
			helper_log("net.ipv4.conf.%s.rp_filter was set to %d since snare set it to "
				   "%d: leaving it",
				   c->name, cur, c->set);
			continue;
		}
		if (rc < 0) {
			errf(err, errlen, rc, "%s: cannot read rp_filter of %s", tun_state_path(),
			     c->name);
			return rc;
		}
		put_back[i] = true;
	}
	for (i = rec->n; i-- > 0;) {
		if (!put_back[i])
			continue;
		rc = tun_conf_put(&rec->c[i], rec->c[i].old);
		if (rc < 0) {
			errf(err, errlen, rc, "%s: cannot restore rp_filter of %s",
			     tun_state_path(), rec->c[i].name);
			return rc;
		}
		n++;
	}
	return n;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* Names this network namespace for the record: its cookie (never reused
 * while the system runs), else its inode. */
static void tun_netns_id(char *id, size_t len)
{
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	struct stat sb;

	if (getsockopt(tun.nl, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &clen) == 0 &&
	    clen == sizeof(cookie))
		snprintf(id, len, "net%llu", (unsigned long long)cookie);
	else if (stat("/proc/self/ns/net", &sb) == 0)
		snprintf(id, len, "ns%llu", (unsigned long long)sb.st_ino);
	else
		snprintf(id, len, "unknown");
}

static int tun_stale_init(char *err, size_t errlen)
{
	static struct tun_state_rec stale;
	char id[32];
	int rc;

	tun_netns_id(id, sizeof(id));
	rc = tun_state_open(id, &stale, err, errlen);
	if (rc <= 0)
		return rc;
	rc = tun_restore(&stale, true, err, errlen);
	if (rc < 0)
		return rc;
	helper_log("restored %d rp_filter value%s a killed snare helper had changed (%s)", rc,
		   rc == 1 ? "" : "s", tun_state_path());
	tun_state_release();
	return 0;
}

/* ---- the global change, shared by the TUN helpers of a namespace ----------- */

/* Undo: the last helper of the namespace with a device up puts the recorded
 * values back; the others leave them to it. */
static void tun_undo_leave(void *ctx, uint64_t id)
{
	static struct tun_state_rec rec;
	char err[256] = "";
	int rc;

	tun.using = false;
	rc = tun_state_leave(&rec, err, sizeof(err));
	if (rc == 0)
		return; /* others still need the values, or nothing was changed */
	if (rc > 0)
		rc = tun_restore(&rec, false, err, sizeof(err));
	if (rc < 0) {
		helper_log("%s", err);
		tun_state_unlock(); /* the record stays for the next helper */
		return;
	}
	tun_state_release();
}

/* A helper with a device holds a share of the record until its undo. */
static int tun_rpf_use(struct privsep_undo *undo)
{
	if (tun.using)
		return 0;
	if (privsep_undo_push(undo, tun_undo_leave, NULL, 0, "rp_filter") < 0)
		return -ENOSPC;
	tun.using = true;
	return tun_state_use();
}

/* The changes, in order: other links raised to all's value, then default,
 * then all to 0. */
static int tun_rpf_plan(const struct tun_scan *scan, int all, struct tun_state_rec *rec)
{
	int dflt, rc = tun_sysctl_read(tun.default_fd, &dflt);
	size_t i;

	if (rc < 0)
		return rc;
	rec->n = 0;
	for (i = 0; i < scan->n; i++) {
		const struct tun_raised *f = &scan->found[i];

		rec->c[rec->n] =
		    (struct tun_conf_change){.ifindex = f->ifindex, .old = (int)f->old, .set = all};
		memcpy(rec->c[rec->n++].name, f->name, IFNAMSIZ);
	}
	if (dflt < all)
		rec->c[rec->n++] =
		    (struct tun_conf_change){.name = "default", .old = dflt, .set = all};
	rec->c[rec->n++] = (struct tun_conf_change){.name = "all", .old = all, .set = 0};
	return 0;
}

/* With all/rp_filter != 0 the device's own 0 would not count
 * (the kernel uses the larger), so keep every other interface's effective
 * value by raising it to all's, then set all to 0.  Written to the record
 * before anything changes; one helper at a time. */
static int tun_rpf_change(int ifindex)
{
	static struct tun_scan scan;
	static struct tun_state_rec rec;
	char err[200] = "";
	int all, rc;
	size_t i;

	rc = tun_sysctl_read(tun.all_fd, &all);
	if (rc < 0 || all == 0)
		return rc;
	rc = tun_state_claim(err, sizeof(err));
	if (rc < 0) {
		helper_log(
		    "net.ipv4.conf.all.rp_filter is %d and must be 0 for a TUN device, but the "
		    "old values cannot be recorded: %s; run snare as root or through sudo, or "
		    "set net.ipv4.conf.all.rp_filter=0 first",
		    all, err);
		return rc;
	}
	rc = tun_sysctl_read(tun.all_fd, &all); /* another helper may have done it */
	if (rc == 0 && all != 0) {
		scan = (struct tun_scan){.skip = ifindex, .all = all};
		rc = tun_scan_links(&scan);
		if (rc == 0)
			rc = tun_rpf_plan(&scan, all, &rec);
		if (rc == 0 && (rc = tun_state_save(&rec)) < 0)
			helper_log_err(rc, "cannot write %s", tun_state_path());
		for (i = 0; rc == 0 && i < rec.n; i++)
			rc = tun_conf_put(&rec.c[i], rec.c[i].set);
	}
	tun_state_unclaim();
	return rc;
}

/* ---- the API -------------------------------------------------------------- */

static int tun_open_conf(const char *which, int *fd, char *err, size_t errlen)
{
	char path[64];

	snprintf(path, sizeof(path), TUN_CONF "%s/rp_filter", which);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	errf(err, errlen, -errno, "%s", path);
	return -errno;
}

int helper_tun_init(unsigned max, char *err, size_t errlen)
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	int rc;

	if (max < 1 || max > HELPER_TUN_MAX || tun.nl >= 0)
		return -EINVAL;
	for (tun.npool = 0; tun.npool < max; tun.npool++) {
		tun.pool[tun.npool] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (tun.pool[tun.npool] < 0) {
			rc = -errno;
			errf(err, errlen, rc, "/dev/net/tun");
			return rc;
		}
	}
	tun.nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (tun.nl < 0 || bind(tun.nl, (struct sockaddr *)&local, sizeof(local)) < 0) {
		rc = -errno;
		errf(err, errlen, rc, "rtnetlink");
		return rc;
	}
	rc = tun_open_conf("all", &tun.all_fd, err, errlen);
	if (rc == 0)
		rc = tun_open_conf("default", &tun.default_fd, err, errlen);
	if (rc == 0)
		rc = tun_stale_init(err, errlen);
	return rc;
}

/* TUNSETIFF: attaches fd to a new device (or, for a name, to an existing
 * TUN, which the caller has ruled out). */
static int tun_attach(int fd, const char *name, char *ifname_out)
{
	struct ifreq ifr = {0};

	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if (!privsep_valid_ifname(ifr.ifr_name))
		return -EPROTO;
	memcpy(ifname_out, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

/* A named device must not exist yet: we would configure and delete it. */
static int tun_check_free(const char *name)
{
	int ifindex, rc;

	if (strstr(name, "%d") != NULL)
		return 0;
	rc = tun_link_index(name, &ifindex);
	if (rc == 0)
		return -EEXIST;
	return rc == -ENODEV ? 0 : rc;
}

/* Everything after TUNSETIFF; each step undone by the records. */
static int tun_configure(const char *ifname, unsigned mtu, struct privsep_undo *undo)
{
	int ifindex, rc;

	rc = tun_link_index(ifname, &ifindex);
	if (rc == 0 && privsep_undo_push(undo, tun_undo_link, NULL, (uint64_t)ifindex, ifname) < 0)
		rc = -ENOSPC;
	if (rc == 0)
		rc = tun_link_conf(ifindex, mtu);
	if (rc == 0)
		rc = tun_addr_add(ifindex);
	if (rc == 0)
		rc = tun_link_up(ifindex);
	if (rc == 0)
		rc = tun_rpf_use(undo);
	if (rc == 0)
		rc = tun_rpf_change(ifindex);
	return rc;
}

int helper_tun_create(const char *name_or_null, unsigned mtu, char *ifname_out, int *fd_out,
		      struct privsep_undo *undo)
{
	const char *name = name_or_null != NULL ? name_or_null : PRIVSEP_TUN_DEFAULT_NAME;
	size_t mark = undo->n;
	int fd, rc;

	*fd_out = -1;
	if (mtu == 0)
		mtu = PRIVSEP_TUN_MTU_DEFAULT;
	if (!privsep_valid_tun_name(name) || mtu < PRIVSEP_TUN_MTU_MIN || mtu > PRIVSEP_TUN_MTU_MAX)
		return -EINVAL;
	if (!privsep_undo_room(undo, 2) || tun.npool == 0 || tun.nl < 0)
		return -ENOSPC;
	rc = tun_check_free(name);
	if (rc < 0)
		return rc;
	fd = tun.pool[--tun.npool];
	rc = tun_attach(fd, name, ifname_out);
	if (rc < 0) {
		tun.pool[tun.npool++] = fd; /* still unattached */
		return rc;
	}
	rc = tun_configure(ifname_out, mtu, undo);
	if (rc < 0) {
		helper_log("configuring %s failed (%s): removing it", ifname_out, strerror(-rc));
		privsep_undo_rewind(undo, mark);
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}
