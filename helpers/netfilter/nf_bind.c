/* BindPort in snare-netfilter (CAP_NET_BIND_SERVICE): a TCP or UDP socket
 * bound to a validated address literal and a port below 1024, handed to the
 * coordinator over SCM_RIGHTS.  Nothing to undo: the socket is the
 * coordinator's once sent, and the helper keeps no copy. */
#include "nf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The address literal (validated already) into a sockaddr. */
static socklen_t nf_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	return 0;
}

int nf_on_bind_port(struct helper *h, const void *env, struct helper_reply *rep)
{
	const Snare__Helper__CoordToHelper *req = env;
	const Snare__Helper__BindPort *m = req->bind_port;
	bool tcp = m->proto == SNARE__HELPER__PROTO__PROTO_TCP;
	struct sockaddr_storage ss;
	socklen_t len = nf_sockaddr(m->address, (uint16_t)m->port, &ss);
	int fd, one = 1, rc;

	if (len == 0)
		return helper_fail(rep, -EINVAL, "bad address");
	fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return helper_fail_err(rep, -errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = -errno;
		close(fd);
		return helper_fail_err(rep, rc, "bind %s %s port %u", tcp ? "tcp" : "udp",
				       m->address, m->port);
	}
	rep->fd = fd;
	return 0;
}
