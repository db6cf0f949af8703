/* The nftables objects snare-netfilter (root) may create, built in code
 * from fixed templates with libnftnl: the table `inet snare`, port and
 * interface sets, base chains and the two rule shapes described in nf.h.
 * No rule text from anywhere; parameters are validated numbers and names. */
#include "nf.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

/* nft's datatype numbers, so `nft list` prints our sets readably. */
#define NF_TYPE_INET_SERVICE 13
#define NF_TYPE_IFNAME 41

/* ... and nft's byte orders for set keys (stored in the set's user data). */
#define NF_HOST_ENDIAN 1
#define NF_BIG_ENDIAN 2

#define NF_CREATE (NLM_F_CREATE | NLM_F_EXCL)

int nf_add_table(struct nf_batch *b, bool owner)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_NEWTABLE, NF_CREATE);
	struct nftnl_table *t;

	if (nlh == NULL)
		return -ENOSPC;
	t = nftnl_table_alloc();
	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NF_TABLE);
	/* Owned by our netlink socket: the kernel deletes the table when the
	 * helper dies, even by SIGKILL. */
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, owner ? NFT_TABLE_F_OWNER : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	nf_batch_next(b);
	return 0;
}

int nf_del_table(struct nf_batch *b)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_DELTABLE, 0);
	struct nftnl_table *t;

	if (nlh == NULL)
		return -ENOSPC;
	t = nftnl_table_alloc();
	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NF_TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	nf_batch_next(b);
	return 0;
}

/* Tells `nft list` how to print the keys. */
static bool nf_set_byteorder(struct nftnl_set *s, uint32_t order)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	bool ok;

	if (u == NULL)
		return false;
	ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, order);
	if (ok)
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return ok;
}

static struct nftnl_set *nf_set_new(const char *name, uint32_t set_id, uint32_t type,
				    uint32_t key_len, uint32_t order)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s == NULL)
		return NULL;
	if (!nf_set_byteorder(s, order)) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NF_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	return s;
}

static int nf_set_key(struct nftnl_set *s, const void *key, uint32_t len)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (e == NULL)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	nftnl_set_elem_add(s, e);
	return 0;
}

/* NEWSET, then NEWSETELEM with every key; frees s. */
static int nf_set_commit(struct nf_batch *b, struct nftnl_set *s)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_NEWSET, NF_CREATE);
	int rc = -ENOSPC;

	if (nlh == NULL)
		goto out;
	nftnl_set_nlmsg_build_payload(nlh, s);
	nf_batch_next(b);
	nlh = nf_batch_hdr(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	if (nlh == NULL)
		goto out;
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nf_batch_next(b);
	rc = 0;
out:
	nftnl_set_free(s);
	return rc;
}

int nf_add_port_set(struct nf_batch *b, const char *name, uint32_t set_id, const uint32_t *ports,
		    size_t n)
{
	struct nftnl_set *s =
	    nf_set_new(name, set_id, NF_TYPE_INET_SERVICE, sizeof(uint16_t), NF_BIG_ENDIAN);
	uint16_t key;
	size_t i;

	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		key = htons((uint16_t)ports[i]);
		if (nf_set_key(s, &key, sizeof(key)) < 0) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
	}
	return nf_set_commit(b, s);
}

int nf_add_iface_set(struct nf_batch *b, const char *name, uint32_t set_id, char *const *names,
		     size_t n)
{
	struct nftnl_set *s = nf_set_new(name, set_id, NF_TYPE_IFNAME, IFNAMSIZ, NF_HOST_ENDIAN);
	char key[IFNAMSIZ];
	size_t i;

	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memset(key, 0, sizeof(key));
		strncpy(key, names[i], sizeof(key) - 1);
		if (nf_set_key(s, key, sizeof(key)) < 0) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
	}
	return nf_set_commit(b, s);
}

int nf_del_set(struct nf_batch *b, const char *name)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_DELSET, 0);
	struct nftnl_set *s;

	if (nlh == NULL)
		return -ENOSPC;
	s = nftnl_set_alloc();
	if (s == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NF_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	nf_batch_next(b);
	return 0;
}

int nf_add_chain(struct nf_batch *b, const char *name, uint32_t hook, int32_t prio,
		 const char *type)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_NEWCHAIN, NF_CREATE);
	struct nftnl_chain *c;

	if (nlh == NULL)
		return -ENOSPC;
	c = nftnl_chain_alloc();
	if (c == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NF_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	nf_batch_next(b);
	return 0;
}

/* Deleting a chain deletes its rules. */
int nf_del_chain(struct nf_batch *b, const char *name)
{
	struct nlmsghdr *nlh = nf_batch_hdr(b, NFT_MSG_DELCHAIN, 0);
	struct nftnl_chain *c;

	if (nlh == NULL)
		return -ENOSPC;
	c = nftnl_chain_alloc();
	if (c == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NF_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	nf_batch_next(b);
	return 0;
}

/* ---- expressions: each appends one to r; false when out of memory ------ */

static bool ex_meta_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_meta_set(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
	return true;
}

/* th dport: two bytes at offset 2 of the transport header. */
static bool ex_dport(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_immediate(struct nftnl_rule *r, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_redirect(struct nftnl_rule *r, uint16_t to_port)
{
	uint16_t port = htons(to_port);
	struct nftnl_expr *e;

	if (!ex_immediate(r, &port, sizeof(port)))
		return false;
	e = nftnl_expr_alloc("redir");
	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool ex_tproxy(struct nftnl_rule *r, uint16_t to_port, uint32_t mark)
{
	uint16_t port = htons(to_port);
	struct nftnl_expr *e;

	if (!ex_immediate(r, &port, sizeof(port)))
		return false;
	e = nftnl_expr_alloc("tproxy");
	if (e == NULL)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_TPROXY_FAMILY, NFPROTO_UNSPEC);
	nftnl_expr_set_u32(e, NFTNL_EXPR_TPROXY_REG_PORT, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	return ex_immediate(r, &mark, sizeof(mark)) && ex_meta_set(r, NFT_META_MARK);
}

/* The match part of both templates. */
static bool nf_rule_match(struct nftnl_rule *nr, const struct nf_rule *r)
{
	if (r->skip_uid &&
	    !(ex_meta_load(nr, NFT_META_SKUID) && ex_cmp(nr, NFT_CMP_NEQ, &r->uid, sizeof(r->uid))))
		return false;
	if (!ex_meta_load(nr, NFT_META_L4PROTO) ||
	    !ex_cmp(nr, NFT_CMP_EQ, &r->l4proto, sizeof(r->l4proto)))
		return false;
	if (!ex_dport(nr) || !ex_lookup(nr, r->port_set, r->port_set_id))
		return false;
	if (r->iface_set != NULL &&
	    !(ex_meta_load(nr, NFT_META_IIFNAME) && ex_lookup(nr, r->iface_set, r->iface_set_id)))
		return false;
	return true;
}

int nf_add_rule(struct nf_batch *b, const char *chain, const struct nf_rule *r)
{
	struct nlmsghdr *nlh;
	struct nftnl_rule *nr = nftnl_rule_alloc();
	bool ok;

	if (nr == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, NF_TABLE);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, NFPROTO_INET);
	ok = nf_rule_match(nr, r);
	if (ok && r->action == NF_REDIRECT)
		ok = ex_redirect(nr, r->to_port);
	else if (ok)
		ok = ex_tproxy(nr, r->to_port, r->mark);
	nlh = ok ? nf_batch_hdr(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND) : NULL;
	if (nlh != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, nr);
		nf_batch_next(b);
	}
	nftnl_rule_free(nr);
	return nlh != NULL ? 0 : ok ? -ENOSPC : -ENOMEM;
}
