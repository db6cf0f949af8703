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
#include "worker/wk.h"

static int procmap_fd(void)
{
	static int fd = -2;

	if (fd == -2)
		fd = fcntl(WORKER_PROCMAP_FD, F_GETFD) >= 0 ? WORKER_PROCMAP_FD : -1;
	return fd;
}

void procmap_lookup(struct conn *c)
{
	struct redir_conn_key key = {0};
	struct redir_proc val;
	union bpf_attr attr;
	int fd = procmap_fd();

	if (fd < 0)
		return;
	key.port = addr_port(&c->client.peer.sa);
	key.proto = IPPROTO_TCP;
	key.family = c->client.peer.sa.sa_family == AF_INET6 ? 6 : 4;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&val;
	if (syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0)
		return;
	c->proc_pid = val.pid;
	memcpy(c->proc_name, val.comm, sizeof(c->proc_name));
	c->proc_name[sizeof(c->proc_name) - 1] = '\0';
}
