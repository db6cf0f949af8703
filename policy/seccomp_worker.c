/* The worker's seccomp list.  A worker parses hostile traffic, so after
 * start-up it may only move bytes on sockets it holds or creates (TCP and UDP
 * over IPv4/IPv6, as the proxy and c-ares need), run its epoll loop and use
 * memory.  Files, other socket families and new processes are out, and so
 * are socket options beyond the few it sets: TCP_ULP (kernel TLS and other
 * upper-layer protocols), TCP_REPAIR, socket filters and eBPF programs,
 * IP_TRANSPARENT, UDP_ENCAP, IPsec policies, SO_BINDTODEVICE and the rest of
 * the options that reach rarely used kernel code kill it. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "seccomp_rules.h"

/* socket type without SOCK_NONBLOCK/SOCK_CLOEXEC, low 32 bits only */
#define SOCK_TYPE_MASK (0xffffffffu & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC))

/* clang-format off */
#define SB_SOCKET(family, type) \
	{.nr = SCMP_SYS(socket), .nargs = 2, \
	 .args = {{0, SCMP_CMP_EQ, (family), 0}, {1, SCMP_CMP_MASKED_EQ, SOCK_TYPE_MASK, (type)}}}
/* clang-format on */

/* Network I/O on TCP and UDP sockets; shared with the spawner, whose
 * filter every re-executed worker inherits. */
/* clang-format off */
static const struct sandbox_rule net_rules[] = {
	SB_SOCKET(AF_INET, SOCK_STREAM),
	SB_SOCKET(AF_INET, SOCK_DGRAM),
	SB_SOCKET(AF_INET6, SOCK_STREAM),
	SB_SOCKET(AF_INET6, SOCK_DGRAM),
	SB_ALLOW(connect),
	SB_ALLOW(accept),
	SB_ALLOW(accept4),
	SB_ALLOW(bind),
	SB_ALLOW(shutdown),
	SB_ALLOW(getsockopt),
	/* local mode: which process opened a connection (a read-only map lookup) */
	SB_ARG_EQ(bpf, 0, 1 /* BPF_MAP_LOOKUP_ELEM */),
	SB_ALLOW(getsockname),
	SB_ALLOW(getpeername),
	SB_ALLOW(recvfrom),
	SB_ALLOW(sendto),
	SB_ALLOW(recvmmsg),
	SB_ALLOW(sendmmsg),
	SB_ARG_EQ(ioctl, 1, FIONREAD),
	SB_ARG_EQ(ioctl, 1, FIONBIO),
};
/* clang-format on */
SB_SET(sandbox_set_net, net_rules);

/* clang-format off */
#define SB_SOCKOPT(level, name) \
	{.nr = SCMP_SYS(setsockopt), .nargs = 2, \
	 .args = {{1, SCMP_CMP_EQ, (level), 0}, {2, SCMP_CMP_EQ, (name), 0}}}
/* clang-format on */

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

/* The socket options a worker sets, and no other: its own (TCP_NODELAY
 * upstream, SO_LINGER on a reset, SO_SNDBUF on a channel), c-ares's
 * (SO_RCVBUF, TCP_NODELAY) and OpenSSL's datagram BIO for DTLS upstreams
 * (receive timeouts, path MTU discovery).  The spawner's list allows any
 * setsockopt during start-up; stacked, this one decides. */
/* clang-format off */
static const struct sandbox_rule sockopt_rules[] = {
	SB_SOCKOPT(SOL_SOCKET, SO_LINGER),
	SB_SOCKOPT(SOL_SOCKET, SO_SNDBUF),
	SB_SOCKOPT(SOL_SOCKET, SO_RCVBUF),
	SB_SOCKOPT(SOL_SOCKET, SO_KEEPALIVE),
	SB_SOCKOPT(SOL_SOCKET, SO_RCVTIMEO),
	SB_SOCKOPT(SOL_SOCKET, SO_SNDTIMEO),
	SB_SOCKOPT(SOL_SOCKET, SO_RCVTIMEO_NEW),
	SB_SOCKOPT(SOL_SOCKET, SO_SNDTIMEO_NEW),
	SB_SOCKOPT(IPPROTO_TCP, TCP_NODELAY),
	SB_SOCKOPT(IPPROTO_IP, IP_MTU_DISCOVER),
	SB_SOCKOPT(IPPROTO_IPV6, IPV6_MTU_DISCOVER),
	SB_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY),
};
/* clang-format on */
static SB_SET(worker_sockopts, sockopt_rules);

const struct sandbox_policy sandbox_policy_worker = {
    .role = "worker",
    .sets = {&sandbox_set_base, &sandbox_set_noexec, &sandbox_set_self_signals, &sandbox_set_probes,
	     &sandbox_set_net, &worker_sockopts, NULL},
};
