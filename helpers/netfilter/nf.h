/* Internal to snare-netfilter (runs as root or with CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE): the nftables objects it builds from fixed templates
 * in its one table `inet snare`, and the netlink batch that carries them.
 * Every parameter has been validated by privsep_validate before it gets here. */
#ifndef SNARE_HELPERS_NETFILTER_NF_H
#define SNARE_HELPERS_NETFILTER_NF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/helper.h"

#define NF_TABLE "snare"
#define NF_NAME_MAX 32 /* object names: "redirect_local_<n>" */

struct mnl_socket;
struct mnl_nlmsg_batch;
struct nlmsghdr;

struct nf_state {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	struct mnl_socket *rt; /* rtnetlink: the policy routing of UDP TPROXY */
	uint32_t rt_portid, rt_seq;
	bool routing;	  /* our fwmark rules and local routes exist */
	uint32_t rt_mark; /* ... for this mark */
	bool table;	  /* our table exists */
	bool owner_flag;  /* the kernel supports NFT_TABLE_F_OWNER */
	uint32_t next_id; /* per-request object names */
};

/* One nftables transaction: every message or none. */
struct nf_batch {
	struct nf_state *st;
	struct mnl_nlmsg_batch *b;
	uint32_t first_seq;
	uint32_t nmsgs; /* each asks for an ack */
	bool full;
};

void nf_batch_begin(struct nf_batch *b, struct nf_state *st);
/* The header of the next message (NULL once the batch is full), then
 * nf_batch_next after its payload is built. */
struct nlmsghdr *nf_batch_hdr(struct nf_batch *b, uint16_t type, uint16_t flags);
void nf_batch_next(struct nf_batch *b);
/* Sends the batch and collects one answer per message: 0 or the first
 * error (-errno). */
int nf_batch_commit(struct nf_batch *b) SNARE_MUST_CHECK;

/* What a rule does; the rule itself is one of two fixed templates:
 *   meta l4proto P  th dport @ports  [iifname @ifaces]  [meta skuid != U]
 *   then  redirect to :to_port
 *   or    tproxy to :to_port  meta mark set mark */
enum nf_action { NF_REDIRECT, NF_TPROXY };

struct nf_rule {
	uint8_t l4proto; /* IPPROTO_TCP or IPPROTO_UDP */
	const char *port_set;
	uint32_t port_set_id;
	const char *iface_set; /* NULL: every interface */
	uint32_t iface_set_id;
	bool skip_uid;
	uint32_t uid;
	enum nf_action action;
	uint16_t to_port;
	uint32_t mark;
};

/* Each appends one message to the batch (0, or -ENOMEM / -ENOSPC). */
int nf_add_table(struct nf_batch *b, bool owner);
int nf_del_table(struct nf_batch *b);
int nf_add_port_set(struct nf_batch *b, const char *name, uint32_t set_id, const uint32_t *ports,
		    size_t n);
int nf_add_iface_set(struct nf_batch *b, const char *name, uint32_t set_id, char *const *names,
		     size_t n);
int nf_del_set(struct nf_batch *b, const char *name);
/* A base chain: hook NF_INET_*, priority, type "nat" or "filter". */
int nf_add_chain(struct nf_batch *b, const char *name, uint32_t hook, int32_t prio,
		 const char *type);
int nf_del_chain(struct nf_batch *b, const char *name);
int nf_add_rule(struct nf_batch *b, const char *chain, const struct nf_rule *r);

/* nf_route.c: marked packets (the tproxy rule's mark) route to the local
 * socket: `fwmark <mark> lookup NF_RT_TABLE` at priority NF_RT_PRIO, and
 * `local default dev lo` in that table, for IPv4 and (when the namespace
 * has it) IPv6.  Priority 10 puts the rule before any table but `local`. */
#define NF_RT_TABLE 21326 /* "SN" */
#define NF_RT_PRIO 10
int nf_route_open(struct nf_state *st, char *err, size_t errlen);
/* All four or none: 0, or -errno with one line in err. */
int nf_route_add(struct nf_state *st, uint32_t mark, char *err, size_t errlen);
void nf_route_del(struct nf_state *st, uint32_t mark);
void nf_route_remove_stale(struct nf_state *st);

/* nf_bind.c: BindPort. */
int nf_on_bind_port(struct helper *h, const void *req, struct helper_reply *rep);

#endif
