// SPDX-License-Identifier: GPL-2.0
/* The eBPF side of local capture, loaded by snare-redirector (root) and run
 * by the kernel at every AF_INET/AF_INET6 socket creation: binds the sockets
 * of the processes the intercept spec selects to snare's TUN, and names the
 * process behind each captured TCP connection and UDP port.  Matches the
 * process (tgid, the thread-group leader's comm), never the thread, and never
 * snare's own processes.  Trusts only the maps the helper fills. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "redirect_abi.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define AF_INET6_ 10

/* Set by the helper before load: the TUN's ifindex. */
const volatile __u32 redir_ifindex = 0;

/* Two generations of the spec; the helper writes the inactive one whole,
 * then switches redir_gen, so a program never sees a half-written spec. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct redir_spec);
} redir_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} redir_gen SEC(".maps");

/* snare's processes (tgids): never captured. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, REDIR_MAX_SELF);
	__type(key, __u32);
	__type(value, __u8);
} redir_self SEC(".maps");

/* Captured sockets by cookie, until their connect gives them a port (TCP),
 * or for as long as the LRU keeps them (UDP, which can change ports). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, REDIR_MAX_PROCS);
	__type(key, __u64);
	__type(value, struct redir_proc);
} redir_socks SEC(".maps");

/* Captured connections by local port: who opened them, for flows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, REDIR_MAX_PROCS);
	__type(key, struct redir_conn_key);
	__type(value, struct redir_proc);
} redir_conns SEC(".maps");

static __always_inline bool redir_match(const struct redir_entry *e, __u32 tgid, const __u64 *c)
{
	if (e->kind == REDIR_PID)
		return e->pid == tgid;
	return e->comm[0] == c[0] && e->comm[1] == c[1];
}

/* mitmproxy's rule: start from dflt; include ORs, exclude AND-NOTs. */
static __always_inline bool redir_decide(const struct redir_spec *s, __u32 tgid, const __u64 *c)
{
	bool intercept = s->dflt != 0;

	for (__u32 i = 0; i < REDIR_MAX_ENTRIES; i++) {
		const struct redir_entry *e = &s->e[i];
		bool m;

		if (i >= s->n)
			break;
		m = redir_match(e, tgid, c);
		if (e->action == REDIR_INCLUDE)
			intercept = intercept || m;
		else
			intercept = intercept && !m;
	}
	return intercept;
}

static __always_inline const struct redir_spec *redir_current(void)
{
	__u32 zero = 0, *gen = bpf_map_lookup_elem(&redir_gen, &zero);
	__u32 slot;

	if (gen == NULL)
		return NULL;
	slot = *gen & 1;
	return bpf_map_lookup_elem(&redir_specs, &slot);
}

SEC("cgroup/sock_create")
int redir_sock_create(struct bpf_sock *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	const struct redir_spec *spec;
	struct redir_proc p = {};
	__u64 cookie;

	if (redir_ifindex == 0 || bpf_map_lookup_elem(&redir_self, &tgid) != NULL)
		return 1;
	spec = redir_current();
	if (spec == NULL || spec->n == 0)
		return 1;
	BPF_CORE_READ_STR_INTO(&p.comm, task, group_leader, comm);
	if (!redir_decide(spec, tgid, (const __u64 *)p.comm))
		return 1;
	ctx->bound_dev_if = redir_ifindex;
	p.pid = tgid;
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&redir_socks, &cookie, &p, BPF_ANY);
	return 1;
}

/* A captured TCP socket got its local port: file its process under it. */
SEC("sockops")
int redir_sockops(struct bpf_sock_ops *ops)
{
	struct redir_conn_key k = {};
	struct redir_proc *p;
	__u64 cookie;

	if (ops->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	cookie = bpf_get_socket_cookie(ops);
	p = bpf_map_lookup_elem(&redir_socks, &cookie);
	if (p == NULL)
		return 1;
	k.port = (__u16)ops->local_port;
	k.proto = IPPROTO_TCP_;
	k.family = ops->family == AF_INET6_ ? 6 : 4;
	bpf_map_update_elem(&redir_conns, &k, p, BPF_ANY);
	bpf_map_delete_elem(&redir_socks, &cookie);
	return 1;
}

/* A captured UDP datagram on its way to the TUN: file its socket's process
 * under its local port.  The cgroup connect and sendmsg hooks can run before
 * the autobind gives a socket its port, this runs after; and the worker reads
 * the map only when the datagram arrives.  Other packets leave at once. */
SEC("cgroup_skb/egress")
int redir_udp_egress(struct __sk_buff *skb)
{
	struct redir_conn_key k = {};
	struct bpf_sock *sk;
	struct redir_proc *p;
	__u64 cookie;

	if (redir_ifindex == 0 || skb->ifindex != redir_ifindex)
		return 1;
	sk = skb->sk;
	if (sk != NULL)
		sk = bpf_sk_fullsock(sk);
	if (sk == NULL || sk->protocol != IPPROTO_UDP_ || sk->src_port == 0)
		return 1;
	cookie = bpf_get_socket_cookie(skb);
	p = bpf_map_lookup_elem(&redir_socks, &cookie);
	if (p == NULL)
		return 1;
	k.port = (__u16)sk->src_port;
	k.proto = IPPROTO_UDP_;
	k.family = sk->family == AF_INET6_ ? 6 : 4;
	bpf_map_update_elem(&redir_conns, &k, p, BPF_ANY);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
