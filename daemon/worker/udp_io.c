/* Runs in a worker: UDP socket plumbing shared by the packet modes,
 * transparent UDP, SOCKS5 UDP, DNS and DTLS: a connected relay socket with
 * its idle timer, and reading a readable socket dry.  Datagrams are
 * whatever the network sent; the callbacks judge them. */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/udp.h"
#include "worker/worker_ctx.h"

int udp_relay_open(const struct sockaddr *dst, struct loop_io *io, loop_io_fn on_reply,
		   struct loop_timer *idle, loop_timer_fn on_idle, void *arg)
{
	int fd = socket(dst->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (connect(fd, dst, addr_len(dst)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	loop_io_init(io, fd, on_reply, arg);
	err = loop_io_set(wk->loop, io, EPOLLIN);
	if (err < 0) {
		close(fd);
		return err;
	}
	loop_timer_init(idle, on_idle, arg);
	loop_timer_arm(wk->loop, idle, UDP_IDLE_MS);
	return fd;
}

void udp_drain(int fd, uint8_t *buf, size_t cap, int max, udp_datagram_fn fn, void *arg)
{
	for (int i = 0; i < max; i++) {
		union sockaddr_any from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, cap, 0, &from.sa, &len);

		if (n < 0)
			return;
		fn(arg, &from, buf, (size_t)n);
	}
}
