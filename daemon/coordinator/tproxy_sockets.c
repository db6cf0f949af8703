/* Runs in the coordinator while it is still root: the sockets of
 * transparent UDP (transparent_udp_ports).  The tproxy rule delivers a
 * datagram unchanged (its destination is the server the client addressed)
 * to a local socket with IP_TRANSPARENT; IP_RECVORIGDSTADDR tells the worker
 * that destination.  The answer must come from that address and port, which
 * an unprivileged worker cannot bind; so the worker also gets send-only raw
 * sockets (IPPROTO_RAW: they receive nothing) to write the answer's IP and
 * UDP headers itself.  Trade-off, stated in snare-modes(7): a worker taken
 * over could send forged IP packets through them.  Trusts the options. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/tproxy.h"
#include "core/log.h"

#ifndef IP_RECVORIGDSTADDR
#define IP_RECVORIGDSTADDR 20
#endif
#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif

struct tp_opt {
	int level, name;
	bool v6_only; /* only on an IPv6 socket */
};

/* IPv4 options work on a dual-stack socket too (for its IPv4 packets). */
static const struct tp_opt tp_listener_opts[] = {
    {SOL_SOCKET, SO_REUSEADDR, false},	    {SOL_IP, IP_TRANSPARENT, false},
    {SOL_IP, IP_RECVORIGDSTADDR, false},    {SOL_IPV6, IPV6_TRANSPARENT, true},
    {SOL_IPV6, IPV6_RECVORIGDSTADDR, true},
};

static int tp_listener(const union sockaddr_any *a, int *out)
{
	int fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0, err;
	size_t i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < ARRAY_SIZE(tp_listener_opts); i++) {
		const struct tp_opt *o = &tp_listener_opts[i];

		if (o->v6_only && a->sa.sa_family != AF_INET6)
			continue;
		if (setsockopt(fd, o->level, o->name, &one, sizeof(one)) < 0)
			goto fail;
	}
	if (a->sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		goto fail;
	if (bind(fd, &a->sa, addr_len(&a->sa)) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* Send-only: IPPROTO_RAW sockets get no packets; the IPv6 one needs
 * IPV6_HDRINCL said explicitly on older kernels. */
static int tp_raw(int family, int *out)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW), one = 1, err;

	if (fd < 0)
		return -errno;
	if (family == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

static void tp_add(struct coord *co, unsigned mode_index, const union sockaddr_any *a, int fd)
{
	struct coord_listener *l = coord_listener_add(co, fd, mode_index);

	l->udp = true;
	l->addr = *a; /* raw sockets too: the listening line shows the address once */
}

static int tp_fail(const char *what, int err)
{
	log_error("transparent_udp_ports: cannot create the %s: %s%s", what, strerror(-err),
		  err == -EPERM ? " (start snare as root; it drops to `user` afterwards)" : "");
	return err;
}

int coord_tproxy_sockets(struct coord *co, unsigned mode_index, const union sockaddr_any *a)
{
	int fd = -1, err; /* gcc -O2 cannot see that tp_listener and tp_raw set it on success */

	if ((err = tp_listener(a, &fd)) < 0)
		return tp_fail("transparent UDP socket", err);
	tp_add(co, mode_index, a, fd);
	if ((err = tp_raw(AF_INET, &fd)) < 0)
		return tp_fail("raw socket for answers", err);
	tp_add(co, mode_index, a, fd);
	if (a->sa.sa_family != AF_INET6)
		return 0;
	if ((err = tp_raw(AF_INET6, &fd)) < 0) {
		log_warn("transparent_udp_ports: no IPv6 raw socket (%s): IPv4 only",
			 strerror(-err));
		return 0;
	}
	tp_add(co, mode_index, a, fd);
	return 0;
}
