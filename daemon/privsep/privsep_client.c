/* The coordinator's side of a helper channel once the helper runs: Hello,
 * then one synchronous request at a time (they are rare control requests at
 * start-up and shutdown).  Trusts replies only after privsep_decode; any bad
 * reply, timeout or EOF ends the channel, and closing the channel is what
 * makes the helper undo its work and exit. */
#include "privsep/privsep_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "core/errf.h"
#include "core/unconst.h"

#define C2H_CASE(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c
#define H2C_CASE(c) SNARE__HELPER__HELPER_TO_COORD__BODY_##c

static void privsep_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* True once pid is reaped (or was reaped by someone else). */
static bool privsep_wait_ms(pid_t pid, int ms)
{
	int waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (waited >= ms)
			return false;
		privsep_sleep_ms(10);
		waited += 10;
	}
}

void privsep_reap(pid_t pid, int ms)
{
	if (pid <= 0 || privsep_wait_ms(pid, ms))
		return;
	kill(pid, SIGTERM); /* sudo relays it to the helper */
	if (privsep_wait_ms(pid, 2000))
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Ends the channel after a failure: the helper sees EOF and undoes. */
static void privsep_fail(struct privsep_helper *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static int privsep_send(struct privsep_helper *h, const Snare__Helper__CoordToHelper *env)
{
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int n = privsep_pack(&env->base, buf, sizeof(buf));

	if (n < 0)
		return n;
	return ipc_send_raw(h->fd, buf, (size_t)n, NULL, 0);
}

static int privsep_poll_in(int fd, int timeout_ms)
{
	uint64_t deadline = clock_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int left, r;

	for (;;) {
		left = (int)(deadline > clock_ms() ? deadline - clock_ms() : 0);
		r = poll(&pfd, 1, left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Receives and decodes one reply; the Ok's fd (ok_fds == 1) goes to *fd. */
static int privsep_recv(struct privsep_helper *h, int timeout_ms, size_t ok_fds,
			struct privsep_msg *m, int *fd)
{
	struct privsep_ctx ctx = {.helper_name = h->name, .ok_fds = ok_fds};
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int fds[2], n, rc;
	size_t nfds = 0, i;

	rc = privsep_poll_in(h->fd, timeout_ms);
	if (rc < 0)
		return rc;
	n = ipc_recv_raw(h->fd, buf, sizeof(buf), fds, ARRAY_SIZE(fds), &nfds);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return n == -EMSGSIZE || n == -EBADMSG ? -EPROTO : n;
	rc = privsep_decode(PRIVSEP_HELPER_TO_COORD, h->state, &ctx, buf, (size_t)n, nfds, m);
	for (i = 0; i < nfds; i++) {
		if (rc == 0 && i == 0 && fd != NULL && m->body_case == H2C_CASE(OK))
			*fd = fds[i];
		else
			close(fds[i]);
	}
	return rc < 0 ? -EPROTO : 0;
}

static const char *privsep_why(int rc)
{
	switch (rc) {
	case -EPIPE:
		return "it exited";
	case -EPROTO:
		return "protocol violation";
	case -ETIMEDOUT:
		return "no answer in time";
	default:
		return strerror(-rc);
	}
}

int privsep_hello(struct privsep_helper *h, char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__Hello hello = SNARE__HELPER__HELLO__INIT;
	struct privsep_msg m = {0};
	int rc;

	h->state = PRIVSEP_ST_HELLO;
	rc = privsep_recv(h, PRIVSEP_HELLO_TIMEOUT_MS, 0, &m, NULL);
	if (rc < 0) {
		errf(err, errlen, 0, "cannot start snare-%s: no hello (%s)", h->name,
		     privsep_why(rc));
		return rc;
	}
	privsep_msg_free(&m);
	hello.has_version = true;
	hello.version = PRIVSEP_PROTOCOL_VERSION;
	hello.helper = h->name;
	env.has_seq = true;
	env.seq = ++h->seq;
	env.body_case = C2H_CASE(HELLO);
	env.hello = &hello;
	rc = privsep_send(h, &env);
	if (rc < 0) {
		errf(err, errlen, rc, "cannot start snare-%s", h->name);
		return rc;
	}
	h->state = PRIVSEP_ST_READY;
	return 0;
}

/* Refuses locally what the helper would treat as a violation. */
static int privsep_check_request(struct privsep_helper *h, Snare__Helper__CoordToHelper *req,
				 char *err, size_t errlen)
{
	struct privsep_ctx ctx = {.peer_uid = h->creator_uid, .helper_name = h->name};

	if (req->body_case == C2H_CASE(HELLO) ||
	    !privsep_authorized(PRIVSEP_COORD_TO_HELPER, (int)req->body_case, PRIVSEP_ST_READY) ||
	    privsep_validate(PRIVSEP_COORD_TO_HELPER, &req->base, (int)req->body_case, &ctx, 0) <
		0) {
		errf(err, errlen, 0, "snare-%s: invalid %s request (not sent)", h->name,
		     privsep_case_name(PRIVSEP_COORD_TO_HELPER, (int)req->body_case));
		return -EINVAL;
	}
	return 0;
}

static int privsep_reply(struct privsep_helper *h, const struct privsep_msg *m, uint64_t seq,
			 char *err, size_t errlen)
{
	const Snare__Helper__HelperToCoord *r = (const Snare__Helper__HelperToCoord *)m->msg;

	if (m->body_case == H2C_CASE(OK) && m->seq == seq && r->ok->seq == seq)
		return 0;
	if (m->body_case == H2C_CASE(ERROR) && m->seq == seq && r->error->seq == seq) {
		errf(err, errlen, 0, "snare-%s: %s", h->name, r->error->message);
		return -EREMOTEIO;
	}
	return -EPROTO;
}

int privsep_request(struct privsep_helper *h, Snare__Helper__CoordToHelper *req, int *fd_out,
		    char *err, size_t errlen)
{
	size_t ok_fds =
	    req->body_case == C2H_CASE(BIND_PORT) || req->body_case == C2H_CASE(CREATE_TUN) ? 1 : 0;
	struct privsep_msg m = {0};
	int rc, fd = -1;

	if (h->fd < 0) {
		errf(err, errlen, 0, "snare-%s is not running", h->name);
		return -EPIPE;
	}
	rc = privsep_check_request(h, req, err, errlen);
	if (rc < 0)
		return rc;
	req->has_seq = true;
	req->seq = ++h->seq;
	rc = privsep_send(h, req);
	h->state = PRIVSEP_ST_WAITING;
	if (rc == 0)
		rc = privsep_recv(h, PRIVSEP_REPLY_TIMEOUT_MS, ok_fds, &m, &fd);
	if (rc == 0) {
		rc = privsep_reply(h, &m, req->seq, err, errlen);
		privsep_msg_free(&m);
	}
	h->state = PRIVSEP_ST_READY;
	if (rc < 0 && rc != -EREMOTEIO) {
		errf(err, errlen, 0, "snare-%s: %s", h->name, privsep_why(rc));
		privsep_fail(h);
	}
	if (rc == 0 && fd_out != NULL)
		*fd_out = fd;
	else if (fd >= 0)
		close(fd);
	return rc;
}

/* The ports of a rule-set request as the message's uint32s, after the
 * counts are checked against the caps (the helper checks them again). */
static int privsep_rule_ports(const struct privsep_helper *h, const struct privsep_redirect *r,
			      uint32_t *ports, char *err, size_t errlen)
{
	size_t i;

	if (r->nports > PRIVSEP_MAX_PORTS || r->nifaces > PRIVSEP_MAX_IFACES) {
		errf(err, errlen, 0, "snare-%s: too many ports or interfaces", h->name);
		return -EINVAL;
	}
	for (i = 0; i < r->nports; i++)
		ports[i] = r->ports[i];
	return 0;
}

int privsep_netfilter_redirect(struct privsep_helper *h, const struct privsep_redirect *r,
			       char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__NetfilterRedirect m = SNARE__HELPER__NETFILTER_REDIRECT__INIT;
	uint32_t ports[PRIVSEP_MAX_PORTS];

	if (privsep_rule_ports(h, r, ports, err, errlen) < 0)
		return -EINVAL;
	m.has_proto = true;
	m.proto = SNARE__HELPER__PROTO__PROTO_TCP;
	m.n_ports = r->nports;
	m.ports = ports;
	m.n_interfaces = r->nifaces;
	m.interfaces = unconst(r->ifaces);
	m.has_include_local = true;
	m.include_local = r->include_local;
	m.has_to_port = true;
	m.to_port = r->to_port;
	m.has_exclude_uid = r->has_exclude_uid;
	m.exclude_uid = (uint32_t)r->exclude_uid;
	env.body_case = C2H_CASE(NETFILTER_REDIRECT);
	env.netfilter_redirect = &m;
	return privsep_request(h, &env, NULL, err, errlen);
}

int privsep_netfilter_tproxy_udp(struct privsep_helper *h, const struct privsep_redirect *r,
				 uint32_t mark, char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__NetfilterTproxyUdp m = SNARE__HELPER__NETFILTER_TPROXY_UDP__INIT;
	uint32_t ports[PRIVSEP_MAX_PORTS];

	if (privsep_rule_ports(h, r, ports, err, errlen) < 0)
		return -EINVAL;
	m.n_ports = r->nports;
	m.ports = ports;
	m.n_interfaces = r->nifaces;
	m.interfaces = unconst(r->ifaces);
	m.has_to_port = true;
	m.to_port = r->to_port;
	m.has_mark = true;
	m.mark = mark;
	env.body_case = C2H_CASE(NETFILTER_TPROXY_UDP);
	env.netfilter_tproxy_udp = &m;
	return privsep_request(h, &env, NULL, err, errlen);
}

int privsep_bind_port(struct privsep_helper *h, int ipproto, const char *address, uint16_t port,
		      int *fd, char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__BindPort m = SNARE__HELPER__BIND_PORT__INIT;

	*fd = -1;
	m.has_proto = true;
	m.proto = ipproto == IPPROTO_UDP   ? SNARE__HELPER__PROTO__PROTO_UDP
		  : ipproto == IPPROTO_TCP ? SNARE__HELPER__PROTO__PROTO_TCP
					   : SNARE__HELPER__PROTO__PROTO_UNSPEC;
	m.address = unconst(address);
	m.has_port = true;
	m.port = port;
	env.body_case = C2H_CASE(BIND_PORT);
	env.bind_port = &m;
	return privsep_request(h, &env, fd, err, errlen);
}

/* What the kernel says the fd is: a TUN device without PI header, and its name. */
static int privsep_tun_check(int fd, char *ifname_out, size_t iflen)
{
	struct ifreq ifr = {0};

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP | IFF_NO_PI)) != (IFF_TUN | IFF_NO_PI))
		return -EPROTO;
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if (!privsep_valid_ifname(ifr.ifr_name) || strlen(ifr.ifr_name) >= iflen)
		return -EPROTO;
	memcpy(ifname_out, ifr.ifr_name, strlen(ifr.ifr_name) + 1);
	return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -errno : 0;
}

int privsep_tun_create(struct privsep_helper *h, const char *name, unsigned mtu, char *ifname_out,
		       size_t iflen, int *fd_out, char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__CreateTun m = SNARE__HELPER__CREATE_TUN__INIT;
	int rc, fd = -1;

	*fd_out = -1;
	if (iflen > 0)
		ifname_out[0] = '\0';
	m.name = unconst(name);
	m.has_mtu = mtu != 0;
	m.mtu = mtu;
	env.body_case = C2H_CASE(CREATE_TUN);
	env.create_tun = &m;
	rc = privsep_request(h, &env, &fd, err, errlen);
	if (rc < 0)
		return rc;
	rc = privsep_tun_check(fd, ifname_out, iflen);
	if (rc < 0) {
		errf(err, errlen, rc, "snare-%s: the reply's fd is not a TUN device", h->name);
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

int privsep_undo(struct privsep_helper *h, char *err, size_t errlen)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__Undo m = SNARE__HELPER__UNDO__INIT;

	env.body_case = C2H_CASE(UNDO);
	env.undo = &m;
	return privsep_request(h, &env, NULL, err, errlen);
}

pid_t privsep_pid(const struct privsep_helper *h)
{
	return h->pid;
}

int privsep_fd(const struct privsep_helper *h)
{
	return h->fd;
}

enum privsep_how privsep_how(const struct privsep_helper *h)
{
	return h->how;
}

const char *privsep_name(const struct privsep_helper *h)
{
	return h->name;
}

void privsep_close(struct privsep_helper *h)
{
	if (h == NULL)
		return;
	privsep_fail(h);
	privsep_reap(h->pid, 3000);
	free(h);
}
