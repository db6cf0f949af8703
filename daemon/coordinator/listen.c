/* Runs in the coordinator before privileges are dropped: creates the
 * listening sockets of every mode instance (after raising the descriptor
 * limit, which the workers inherit) and prints mitmdump's start-up
 * and stop lines.  Trusts the already validated mode specs. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "core/fdlimit.h"
#include "core/log.h"

static int listen_one(const union sockaddr_any *a, bool udp, int *out)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(a->sa.sa_family,
		    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, &a->sa, addr_len(&a->sa)) < 0 || (!udp && listen(fd, 1024) < 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* Resolves the listen host ("" = every address, dual-stack). */
static int listen_addr(const char *host, int port, union sockaddr_any *out)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
	char portstr[8];

	if (host == NULL || *host == '\0') {
		memset(out, 0, sizeof(*out));
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (addr_parse_ip(host, (uint16_t)port, out) == 0)
		return 0;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL)
		return -EADDRNOTAVAIL;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static void listen_fail(struct coord *co, const struct mode_spec *m, const char *host, int port,
			int err, bool custom)
{
	char desc[512];

	modespec_description(m, desc, sizeof(desc));
	log_error("%s failed to listen on %s:%d with [Errno %d] %s", desc,
		  host && *host ? host : "*", port, -err, strerror(-err));
	if (err == -EADDRINUSE && !custom)
		log_error("Try specifying a different port by using `--mode %s@%d`.", m->full,
			  port + 2);
	else if (err == -EACCES && port < 1024)
		log_error("Ports below 1024 need privileges: run snare as root, or use a higher "
			  "port, e.g. `--mode %s@%d`.",
			  modespec_kind_name(m->kind), port == 53 ? 5353 : 8000 + port);
}

static int listen_mode(struct coord *co, unsigned idx)
{
	const struct mode_spec *m = &co->cli->modes[idx];
	const struct options *o = &co->cli->opts;
	const char *host = modespec_listen_host(m, o->listen_host);
	int port = modespec_listen_port(m, o->listen_port), err;
	unsigned tr = modespec_served_transports(m); /* no UDP where none is served (QUIC) */
	union sockaddr_any a;
	int t;

	if ((err = listen_addr(host, port, &a)) < 0) {
		listen_fail(co, m, host, port, err, true);
		return err;
	}
	for (t = 0; t < 2; t++) {
		bool udp = t == 1;
		struct coord_listener *l;
		socklen_t len = sizeof(a);

		if (!(tr & (udp ? MODE_TRANSPORT_UDP : MODE_TRANSPORT_TCP)))
			continue;
		co->listeners = xrealloc(co->listeners, (co->nlisteners + 1) * sizeof(*l));
		l = &co->listeners[co->nlisteners];
		memset(l, 0, sizeof(*l));
		err = listen_one(&a, udp, &l->fd);
		if (err == -EACCES && port > 0 && port < 1024 && geteuid() != 0)
			err = coord_bind_privileged(co, &a, udp, &l->fd);
		if (err < 0) {
			listen_fail(co, m, host, port, err,
				    m->listen_port >= 0 || o->listen_port >= 0);
			return err;
		}
		getsockname(l->fd, &a.sa, &len); /* port 0: keep the real one for UDP too */
		l->addr = a;
		l->mode_index = idx;
		l->udp = udp;
		co->nlisteners++;
	}
	return 0;
}

int coord_listen_all(struct coord *co)
{
	size_t i;
	int err;

	/* Before the spawner starts: it and the workers inherit the limit. */
	if (fdlimit_raise() < 0)
		log_err(LOG_LVL_WARN, -errno, "cannot read the file descriptor limit");
	for (i = 0; i < co->cli->nmodes; i++)
		if ((err = listen_mode(co, (unsigned)i)) < 0)
			return err;
	return 0;
}

void coord_listen_close(struct coord *co)
{
	size_t i;

	for (i = 0; i < co->nlisteners; i++) {
		if (co->listeners[i].fd >= 0)
			close(co->listeners[i].fd);
		co->listeners[i].fd = -1;
	}
}

/* "<description> listening at <addrs>." with distinct addresses joined by
 * " and ", or "... at <addrs> stopped." */
void coord_print_listening(struct coord *co, bool stopped)
{
	size_t i, j;

	for (i = 0; i < co->cli->nmodes; i++) {
		char desc[512], addrs[512] = "", a[ADDR_STRLEN];

		modespec_description(&co->cli->modes[i], desc, sizeof(desc));
		for (j = 0; j < co->nlisteners; j++) {
			if (co->listeners[j].mode_index != i || co->listeners[j].packet)
				continue;
			addr_format(&co->listeners[j].addr.sa, a, sizeof(a));
			if (strstr(addrs, a))
				continue;
			if (*addrs)
				strncat(addrs, " and ", sizeof(addrs) - strlen(addrs) - 1);
			strncat(addrs, a, sizeof(addrs) - strlen(addrs) - 1);
		}
		if (*addrs == '\0')
			log_info(stopped ? "%s stopped." : "%s started.", desc);
		else if (stopped)
			log_info("%s at %s stopped.", desc, addrs);
		else
			log_info("%s listening at %s.", desc, addrs);
	}
}

struct coord_listener *coord_listener_add(struct coord *co, int fd, unsigned mode_index)
{
	struct coord_listener *l;

	co->listeners = xrealloc(co->listeners, (co->nlisteners + 1) * sizeof(*l));
	l = &co->listeners[co->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->mode_index = mode_index;
	return l;
}
