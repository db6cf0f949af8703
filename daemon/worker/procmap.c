/* Runs in a worker: local mode names the process behind each connection.
 * The redirector's eBPF programs record {pid, leader comm} per local port in
 * a map; the coordinator passes us a read-only fd for it (fd 8), and the
 * sandbox allows only BPF_MAP_LOOKUP_ELEM. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/types.h>

#include "redirect_abi.h"
#include "worker/conn.h"
#include "worker/procmap.h"
#include "worker/worker_ctx.h"

static int procmap_fd(void)
{
	static int fd = -2;

	if (fd == -2)
		fd = fcntl(WORKER_PROCMAP_FD, F_GETFD) >= 0 ? WORKER_PROCMAP_FD : -1;
	return fd;
}

static int procmap_get(uint16_t port, uint8_t proto, uint8_t family, struct redir_proc *val)
{
	struct redir_conn_key key = {0};
	union bpf_attr attr;
	int fd = procmap_fd();

	if (fd < 0)
		return -ENOENT;
	key.port = port;
	key.proto = proto;
	key.family = family;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)val;
	if (syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0)
		return -errno;
	val->comm[sizeof(val->comm) - 1] = '\0';
	return 0;
}

void procmap_lookup(struct conn *c)
{
	struct redir_proc val;
	uint8_t family = c->client.peer.sa.sa_family == AF_INET6 ? 6 : 4;

	if (procmap_get(addr_port(&c->client.peer.sa), IPPROTO_TCP, family, &val) < 0)
		return;
	c->proc_pid = val.pid;
	memcpy(c->proc_name, val.comm, sizeof(c->proc_name));
}

int procmap_lookup_udp(const struct sockaddr_storage *src, uint32_t *pid, char name[16])
{
	const struct sockaddr *sa = (const struct sockaddr *)src;
	uint8_t family = sa->sa_family == AF_INET6 ? 6 : 4;
	uint16_t port = addr_port(sa);
	struct redir_proc val;
	int err;

	/* A dual-stack AF_INET6 socket sends IPv4 too: ports are shared. */
	err = procmap_get(port, IPPROTO_UDP, family, &val);
	if (err < 0 && family == 4)
		err = procmap_get(port, IPPROTO_UDP, 6, &val);
	if (err < 0)
		return err;
	*pid = val.pid;
	memcpy(name, val.comm, REDIR_COMM_LEN);
	return 0;
}
