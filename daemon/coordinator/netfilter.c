/* Runs in the coordinator before privileges are dropped: asks the
 * snare-netfilter helper (started once, directly when root, through sudo
 * otherwise) to bind ports below 1024 we may not bind ourselves, and to
 * redirect transparent_ports (TCP) and transparent_udp_ports (UDP TPROXY,
 * tproxy_sockets.c) to the transparent mode.  The helper stays connected;
 * when snare exits or dies it removes its nftables table and routing. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/coord.h"
#include "coordinator/tproxy.h"
#include "core/log.h"

static int netfilter_helper(struct coord *co)
{
	char err[512];

	if (co->nf_helper)
		return 0;
	if (privsep_launch("netfilter", &co->nf_helper, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -EPERM;
	}
	return 0;
}

/* A port below 1024 when we are not root: the helper binds it for us. */
int coord_bind_privileged(struct coord *co, const union sockaddr_any *a, bool udp, int *fd)
{
	char host[INET6_ADDRSTRLEN], err[512];
	int r;

	if (netfilter_helper(co) < 0) {
		log_error(
		    "Ports below 1024 need privileges: run snare as root, allow the helper "
		    "through sudo (snare-helpers(8)), or use a higher port, e.g. 5353 for DNS.");
		return -EPERM;
	}
	addr_format_host(&a->sa, host, sizeof(host));
	if (a->sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr))
		snprintf(host, sizeof(host), "::");
	r = privsep_bind_port(co->nf_helper, udp ? IPPROTO_UDP : IPPROTO_TCP, host,
			      addr_port(&a->sa), fd, err, sizeof(err));
	if (r < 0) {
		log_error("snare-netfilter could not bind %s port %u: %s", udp ? "UDP" : "TCP",
			  addr_port(&a->sa), err);
		return r;
	}
	if (fd_set_nonblock(*fd) < 0 || (!udp && listen(*fd, 1024) < 0)) {
		close(*fd);
		return -errno;
	}
	return 0;
}

static int parse_ports(const struct strlist *l, uint16_t *ports, size_t max, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < l->n; i++) {
		char *s = l->v[i], *end;

		while (*s) {
			long p = strtol(s, &end, 10);

			if (end == s || p < 1 || p > 65535 || *n >= max)
				return -EINVAL;
			ports[(*n)++] = (uint16_t)p;
			s = *end == ',' ? end + 1 : end;
			if (*end && *end != ',')
				return -EINVAL;
		}
	}
	return 0;
}

static void log_ports(const char *what, const uint16_t *ports, size_t n, uint16_t to)
{
	char list[512] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "", ports[i]);
	}
	log_info("%s %s to port %u (nftables table inet snare)", what, list, to);
}

/* TCP: REDIRECT to the mode's TCP listener. */
static int redirect_tcp(struct coord *co, struct privsep_redirect *r)
{
	const struct options *o = &co->cli->opts;
	uint16_t ports[64];
	char err[512];

	if (parse_ports(&o->transparent_ports, ports, ARRAY_SIZE(ports), &r->nports) < 0) {
		log_error(
		    "Invalid value for transparent_ports (expected ports 1..65535, at most 64)");
		return -EINVAL;
	}
	r->ports = ports;
	r->include_local = o->transparent_local;
	/* exclude_uid only qualifies the output chain of include_local (what
	 * snare's own connections go through); on a router the prerouting
	 * chain sees other machines' packets, which have no uid.  Sent only
	 * with include_local, which is also all the helper accepts. */
	if (r->include_local && geteuid() == 0 && o->user) { /* we drop to it */
		struct passwd *pw = getpwnam(o->user);

		if (pw) {
			r->has_exclude_uid = true;
			r->exclude_uid = pw->pw_uid;
		}
	}
	if (privsep_netfilter_redirect(co->nf_helper, r, err, sizeof(err)) < 0) {
		log_error("snare-netfilter refused the redirect: %s", err);
		return -EPERM;
	}
	log_ports("Redirecting TCP ports", ports, r->nports, r->to_port);
	return 0;
}

/* UDP: TPROXY to a transparent socket on the same port (made here, while
 * root), with the policy routing the helper adds. */
static int redirect_udp(struct coord *co, unsigned mode_index, const union sockaddr_any *a,
			struct privsep_redirect *r)
{
	const struct options *o = &co->cli->opts;
	uint16_t ports[64];
	char err[512];
	int rc;

	if (parse_ports(&o->transparent_udp_ports, ports, ARRAY_SIZE(ports), &r->nports) < 0) {
		log_error("Invalid value for transparent_udp_ports (expected ports 1..65535, at "
			  "most 64)");
		return -EINVAL;
	}
	if ((rc = coord_tproxy_sockets(co, mode_index, a)) < 0)
		return rc;
	r->ports = ports;
	r->include_local = false;
	r->has_exclude_uid = false;
	if (privsep_netfilter_tproxy_udp(co->nf_helper, r, COORD_TPROXY_MARK, err, sizeof(err)) <
	    0) {
		log_error("snare-netfilter refused the UDP redirect: %s", err);
		return -EPERM;
	}
	log_ports("TPROXY (fwmark 0x534e, routing table 21326) of UDP ports", ports, r->nports,
		  r->to_port);
	return 0;
}

static int redirect_to(struct coord *co, unsigned mode_index)
{
	const struct options *o = &co->cli->opts;
	const union sockaddr_any *a = NULL;
	struct privsep_redirect r = {0};
	size_t i;
	int rc;

	for (i = 0; i < co->nlisteners; i++)
		if (co->listeners[i].mode_index == mode_index && !co->listeners[i].udp)
			a = &co->listeners[i].addr;
	if (a == NULL)
		return -EINVAL;
	r.to_port = addr_port(&a->sa);
	r.ifaces = (const char *const *)o->transparent_interfaces.v;
	r.nifaces = o->transparent_interfaces.n;
	if (netfilter_helper(co) < 0)
		return -EPERM;
	if (o->transparent_ports.n > 0 && (rc = redirect_tcp(co, &r)) < 0)
		return rc;
	if (o->transparent_udp_ports.n > 0) {
		union sockaddr_any at = *a; /* co->listeners moves as it grows */

		return redirect_udp(co, mode_index, &at, &r);
	}
	return 0;
}

int coord_netfilter_rules(struct coord *co)
{
	const struct options *o = &co->cli->opts;
	size_t i;

	if (o->transparent_ports.n == 0 && o->transparent_udp_ports.n == 0)
		return 0;
	for (i = 0; i < co->cli->nmodes; i++)
		if (co->cli->modes[i].kind == MODE_TRANSPARENT)
			return redirect_to(co, (unsigned)i);
	log_error("transparent_ports and transparent_udp_ports need a transparent mode (--mode "
		  "transparent)");
	return -EINVAL;
}
