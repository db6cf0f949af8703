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

/* ---- tables, chains and sets: each message carries one object --------- */

enum nf_kind { NF_KIND_TABLE, NF_KIND_CHAIN, NF_KIND_SET };

struct nf_obj {
	enum nf_kind kind;
	union {
		void *p; /* NULL: out of memory */
		struct nftnl_table *t;
		struct nftnl_chain *c;
		struct nftnl_set *s;
	};
};

/* An object of our table: the table itself, or a chain or set named name. */
static struct nf_obj nf_obj_new(enum nf_kind kind, const char *name)
{
	struct nf_obj o = {.kind = kind};

	switch (kind) {
	case NF_KIND_TABLE:
		if ((o.t = nftnl_table_alloc()) != NULL)
			nftnl_table_set_str(o.t, NFTNL_TABLE_NAME, NF_TABLE);
		break;
	case NF_KIND_CHAIN:
		if ((o.c = nftnl_chain_alloc()) != NULL) {
			nftnl_chain_set_str(o.c, NFTNL_CHAIN_TABLE, NF_TABLE);
			nftnl_chain_set_str(o.c, NFTNL_CHAIN_NAME, name);
		}
		break;
	case NF_KIND_SET:
		if ((o.s = nftnl_set_alloc()) != NULL) {
			nftnl_set_set_str(o.s, NFTNL_SET_TABLE, NF_TABLE);
			nftnl_set_set_str(o.s, NFTNL_SET_NAME, name);
		}
		break;
	}
	return o;
}

static void nf_obj_free(struct nf_obj o)
{
	if (o.p == NULL)
		return;
	switch (o.kind) {
	case NF_KIND_TABLE:
		nftnl_table_free(o.t);
		break;
	case NF_KIND_CHAIN:
		nftnl_chain_free(o.c);
		break;
	case NF_KIND_SET:
		nftnl_set_free(o.s);
		break;
	}
}

/* Appends one message (a set's NEWSETELEM carries its elements), then
 * frees o when done: 0, -ENOMEM (o is NULL) or -ENOSPC. */
static int nf_obj_put(struct nf_batch *b, uint16_t type, uint16_t flags, struct nf_obj o, bool done)
{
	struct nlmsghdr *nlh = o.p != NULL ? nf_batch_hdr(b, type, flags) : NULL;

	if (nlh != NULL && o.kind == NF_KIND_TABLE)
		nftnl_table_nlmsg_build_payload(nlh, o.t);
	else if (nlh != NULL && o.kind == NF_KIND_CHAIN)
		nftnl_chain_nlmsg_build_payload(nlh, o.c);
	else if (nlh != NULL && type == NFT_MSG_NEWSETELEM)
		nftnl_set_elems_nlmsg_build_payload(nlh, o.s);
	else if (nlh != NULL)
		nftnl_set_nlmsg_build_payload(nlh, o.s);
	if (nlh != NULL)
		nf_batch_next(b);
	if (done)
		nf_obj_free(o);
	return o.p == NULL ? -ENOMEM : nlh == NULL ? -ENOSPC : 0;
}

int nf_add_table(struct nf_batch *b, bool owner)
{
	struct nf_obj o = nf_obj_new(NF_KIND_TABLE, NULL);

	/* Owned by our netlink socket: the kernel deletes the table when the
	 * helper dies, even by SIGKILL. */
	if (o.p != NULL)
		nftnl_table_set_u32(o.t, NFTNL_TABLE_FLAGS, owner ? NFT_TABLE_F_OWNER : 0);
	return nf_obj_put(b, NFT_MSG_NEWTABLE, NF_CREATE, o, true);
}

int nf_del_table(struct nf_batch *b)
{
	return nf_obj_put(b, NFT_MSG_DELTABLE, 0, nf_obj_new(NF_KIND_TABLE, NULL), true);
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

/* What a set holds: nft's datatype, the key length and byte order. */
struct nf_set_type {
	uint32_t type, key_len, order;
};

/* NEWSET, then NEWSETELEM with the n keys (each key_len bytes at keys). */
static int nf_add_set(struct nf_batch *b, const char *name, uint32_t set_id,
		      const struct nf_set_type *t, const void *keys, size_t n)
{
	struct nf_obj o = nf_obj_new(NF_KIND_SET, name);
	struct nftnl_set_elem *e;
	size_t i;
	int rc;

	if (o.p == NULL || !nf_set_byteorder(o.s, t->order)) {
		nf_obj_free(o);
		return -ENOMEM;
	}
	nftnl_set_set_u32(o.s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(o.s, NFTNL_SET_KEY_TYPE, t->type);
	nftnl_set_set_u32(o.s, NFTNL_SET_KEY_LEN, t->key_len);
	nftnl_set_set_u32(o.s, NFTNL_SET_ID, set_id);
	for (i = 0; i < n; i++) {
		if ((e = nftnl_set_elem_alloc()) == NULL) {
			nf_obj_free(o);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, (const char *)keys + i * t->key_len,
				   t->key_len);
		nftnl_set_elem_add(o.s, e);
	}
	rc = nf_obj_put(b, NFT_MSG_NEWSET, NF_CREATE, o, false);
	if (rc == 0)
		return nf_obj_put(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, o, true);
	nf_obj_free(o);
	return rc;
}

int nf_add_port_set(struct nf_batch *b, const char *name, uint32_t set_id, const uint32_t *ports,
		    size_t n)
{
	static const struct nf_set_type t = {NF_TYPE_INET_SERVICE, sizeof(uint16_t), NF_BIG_ENDIAN};
	uint16_t keys[PRIVSEP_MAX_PORTS];
	size_t i;

	if (n > ARRAY_SIZE(keys))
		return -E2BIG;
	for (i = 0; i < n; i++)
		keys[i] = htons((uint16_t)ports[i]);
	return nf_add_set(b, name, set_id, &t, keys, n);
}

int nf_add_iface_set(struct nf_batch *b, const char *name, uint32_t set_id, char *const *names,
		     size_t n)
{
	static const struct nf_set_type t = {NF_TYPE_IFNAME, IFNAMSIZ, NF_HOST_ENDIAN};
	char keys[PRIVSEP_MAX_IFACES][IFNAMSIZ];
	size_t i;

	if (n > ARRAY_SIZE(keys))
		return -E2BIG;
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < n; i++)
		strncpy(keys[i], names[i], IFNAMSIZ - 1);
	return nf_add_set(b, name, set_id, &t, keys, n);
}

int nf_del_set(struct nf_batch *b, const char *name)
{
	return nf_obj_put(b, NFT_MSG_DELSET, 0, nf_obj_new(NF_KIND_SET, name), true);
}

int nf_add_chain(struct nf_batch *b, const char *name, uint32_t hook, int32_t prio,
		 const char *type)
{
	struct nf_obj o = nf_obj_new(NF_KIND_CHAIN, name);

	if (o.p != NULL) {
		nftnl_chain_set_u32(o.c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(o.c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(o.c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(o.c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return nf_obj_put(b, NFT_MSG_NEWCHAIN, NF_CREATE, o, true);
}

/* Deleting a chain deletes its rules. */
int nf_del_chain(struct nf_batch *b, const char *name)
{
	return nf_obj_put(b, NFT_MSG_DELCHAIN, 0, nf_obj_new(NF_KIND_CHAIN, name), true);
}

/* ---- expressions: each appends one to r; false when out of memory ------ */

/* One u32 attribute of an expression. */
struct ex_attr {
	uint16_t attr;
	uint32_t val;
};

/* Expression `name` with n u32 attributes (NULL when out of memory). */
static struct nftnl_expr *ex_new(const char *name, const struct ex_attr *a, size_t n)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	size_t i;

	for (i = 0; e != NULL && i < n; i++)
		nftnl_expr_set_u32(e, a[i].attr, a[i].val);
	return e;
}

/* Appends e, with data in attribute data_attr when data is not NULL. */
static bool ex_add(struct nftnl_rule *r, struct nftnl_expr *e, uint16_t data_attr, const void *data,
		   uint32_t len)
{
	if (e == NULL)
		return false;
	if (data != NULL)
		nftnl_expr_set(e, data_attr, data, len);
	nftnl_rule_add_expr(r, e);
	return true;
}

/* meta KEY into register 1 (reg NFTNL_EXPR_META_DREG), or from it (SREG). */
static bool ex_meta(struct nftnl_rule *r, uint32_t key, uint16_t reg)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_META_KEY, key}, {reg, NFT_REG_1}};

	return ex_add(r, ex_new("meta", a, ARRAY_SIZE(a)), 0, NULL, 0);
}

static bool ex_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_CMP_SREG, NFT_REG_1}, {NFTNL_EXPR_CMP_OP, op}};

	return ex_add(r, ex_new("cmp", a, ARRAY_SIZE(a)), NFTNL_EXPR_CMP_DATA, data, len);
}

/* th dport: two bytes at offset 2 of the transport header. */
static bool ex_dport(struct nftnl_rule *r)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1},
				    {NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER},
				    {NFTNL_EXPR_PAYLOAD_OFFSET, 2},
				    {NFTNL_EXPR_PAYLOAD_LEN, 2}};

	return ex_add(r, ex_new("payload", a, ARRAY_SIZE(a)), 0, NULL, 0);
}

static bool ex_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1},
				    {NFTNL_EXPR_LOOKUP_SET_ID, set_id}};
	struct nftnl_expr *e = ex_new("lookup", a, ARRAY_SIZE(a));

	if (e != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	return ex_add(r, e, 0, NULL, 0);
}

static bool ex_immediate(struct nftnl_rule *r, const void *data, uint32_t len)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_IMM_DREG, NFT_REG_1}};

	return ex_add(r, ex_new("immediate", a, ARRAY_SIZE(a)), NFTNL_EXPR_IMM_DATA, data, len);
}

/* The port in register 1, then redir to it. */
static bool ex_redirect(struct nftnl_rule *r, uint16_t to_port)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1},
				    {NFTNL_EXPR_REDIR_REG_PROTO_MAX, NFT_REG_1},
				    {NFTNL_EXPR_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED}};
	uint16_t port = htons(to_port);

	return ex_immediate(r, &port, sizeof(port)) &&
	       ex_add(r, ex_new("redir", a, ARRAY_SIZE(a)), 0, NULL, 0);
}

/* The port in register 1, tproxy to it, then the mark. */
static bool ex_tproxy(struct nftnl_rule *r, uint16_t to_port, uint32_t mark)
{
	const struct ex_attr a[] = {{NFTNL_EXPR_TPROXY_FAMILY, NFPROTO_UNSPEC},
				    {NFTNL_EXPR_TPROXY_REG_PORT, NFT_REG_1}};
	uint16_t port = htons(to_port);

	return ex_immediate(r, &port, sizeof(port)) &&
	       ex_add(r, ex_new("tproxy", a, ARRAY_SIZE(a)), 0, NULL, 0) &&
	       ex_immediate(r, &mark, sizeof(mark)) &&
	       ex_meta(r, NFT_META_MARK, NFTNL_EXPR_META_SREG);
}

/* The match part of both templates. */
static bool nf_rule_match(struct nftnl_rule *nr, const struct nf_rule *r)
{
	if (r->skip_uid && !(ex_meta(nr, NFT_META_SKUID, NFTNL_EXPR_META_DREG) &&
			     ex_cmp(nr, NFT_CMP_NEQ, &r->uid, sizeof(r->uid))))
		return false;
	if (!ex_meta(nr, NFT_META_L4PROTO, NFTNL_EXPR_META_DREG) ||
	    !ex_cmp(nr, NFT_CMP_EQ, &r->l4proto, sizeof(r->l4proto)))
		return false;
	if (!ex_dport(nr) || !ex_lookup(nr, r->port_set, r->port_set_id))
		return false;
	if (r->iface_set != NULL && !(ex_meta(nr, NFT_META_IIFNAME, NFTNL_EXPR_META_DREG) &&
				      ex_lookup(nr, r->iface_set, r->iface_set_id)))
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
