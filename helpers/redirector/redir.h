/* Internal to snare-redirector (root, or CAP_BPF + CAP_NET_ADMIN +
 * CAP_PERFMON): the TUN, its IPv6 policy rule and route, and the eBPF
 * programs attached to the cgroup v2 root with bpf_links (they die with the
 * helper, even after kill -9).  Parameters reach it only after
 * intercept_decode and intercept_compile. */
#ifndef SNARE_HELPERS_REDIRECTOR_REDIR_H
#define SNARE_HELPERS_REDIRECTOR_REDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/helper.h"
#include "intercept/intercept.h"

#define REDIR_TUN_PATTERN "snare%d"
#define REDIR_TUN_ADDR "169.254.0.1"
#define REDIR_TUN_MTU 65535
/* IPv6 needs a policy rule: oif <tun> lookup REDIR_TABLE (mitmproxy uses
 * its own numbers; ours differ so both can run). */
#define REDIR_RULE_PRIO 14280
#define REDIR_TABLE 1936613746u /* "snar" */

struct redir_bpf;

struct redir_state {
	int tun_fd;
	int ifindex;
	char ifname[16];
	int nl; /* NETLINK_ROUTE */
	uint32_t nl_seq;
	struct redir_bpf *bpf;
	int cgroup_fd;
};

/* redir_net.c: netlink and the TUN (until helper_tun_create exists). */
int redir_nl_open(struct redir_state *st);
int redir_rule6(struct redir_state *st, bool add);
int redir_route6(struct redir_state *st, bool add);
/* Removes rules a crashed predecessor left (our priority and table). */
void redir_rule6_flush(struct redir_state *st);

/* redir_bpf.c: the programs and their maps. */
int redir_bpf_load(struct redir_state *st, char *err, size_t errlen);
void redir_bpf_unload(struct redir_state *st);
/* Writes the inactive generation, then switches to it. */
int redir_bpf_set_spec(struct redir_state *st, const struct redir_spec *spec);
/* Replaces the excluded tgids (adds the new ones before removing the rest). */
int redir_bpf_set_self(struct redir_state *st, const uint32_t *pids, size_t n);
/* The read-only connection -> process map's fd (owned by the state). */
int redir_bpf_conns_fd(struct redir_state *st);

#endif
