/* Tests (test process only, root only) of the coordinator's helper client
 * against the real snare-netfilter and snare-tun, in a network namespace of
 * their own: launch and Hello, rule requests, privileged binds and TUN
 * devices with working fds, Error replies that keep the helper alive, and
 * violations that end it.  With --driver it is instead a line-driven
 * coordinator for tests/integration/test_helpers.sh and test_tun.sh
 * (commands on stdin, "ok"/"err" lines). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep/privsep.h"

/* The Makefile links privsep tests with core and proto only; the client's
 * frame I/O lives in the ipc module.  Until TEST_LIBS_privsep names
 * libsnare-ipc.a, compile that one file in. */
#include "ipc/ipc_raw.c"

#define C2H(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c

static struct privsep_helper *helper;
static char err[256];

/* Helpers are looked up next to the build's snare: <build>/tests/.. */
static void use_build_helpers(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return;
	self[n] = '\0';
	for (int i = 0; i < 2 && (slash = strrchr(self, '/')) != NULL; i++)
		*slash = '\0';
	privsep_set_helper_dir(self);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Sends a request as raw bytes, bypassing the client's own validation. */
static void send_raw(Snare__Helper__CoordToHelper *env)
{
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int n;

	env->has_seq = true;
	env->seq = 1000;
	n = privsep_pack(&env->base, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ipc_send_raw(privsep_fd(helper), buf, (size_t)n, NULL, 0), 0);
}

/* The helper must close the channel (it exits) within 3 s. */
static bool helper_hung_up(void)
{
	struct pollfd pfd = {.fd = privsep_fd(helper), .events = POLLIN};
	uint8_t buf[PRIVSEP_MAX_FRAME];

	while (poll(&pfd, 1, 3000) == 1) {
		if (recv(pfd.fd, buf, sizeof(buf), 0) <= 0)
			return true;
	}
	return false;
}

static int exit_status(void)
{
	int st = 0;

	if (waitpid(privsep_pid(helper), &st, 0) != privsep_pid(helper))
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int setup(void **state)
{
	if (getuid() != 0)
		return 0;
	err[0] = '\0';
	if (privsep_launch("netfilter", &helper, err, sizeof(err)) < 0)
		fail_msg("launch: %s", err);
	return 0;
}

static int setup_tun(void **state)
{
	if (getuid() != 0)
		return 0;
	err[0] = '\0';
	if (privsep_launch("tun", &helper, err, sizeof(err)) < 0)
		fail_msg("launch tun: %s", err);
	return 0;
}

static int teardown(void **state)
{
	privsep_close(helper);
	helper = NULL;
	return 0;
}

#define NEED_ROOT()                                                                                \
	do {                                                                                       \
		if (getuid() != 0)                                                                 \
			skip();                                                                    \
	} while (0)

static void test_launch_hello(void **state)
{
	NEED_ROOT();
	assert_non_null(helper);
	assert_int_equal(privsep_how(helper), PRIVSEP_HOW_ROOT);
	assert_true(privsep_pid(helper) > 0);
	assert_string_equal(privsep_name(helper), "netfilter");
}

static void test_unknown_helper(void **state)
{
	struct privsep_helper *h = NULL;

	assert_int_equal(privsep_launch("nosuchhelper", &h, err, sizeof(err)), -ENOENT);
	assert_null(h);
	assert_non_null(strstr(err, "snare-nosuchhelper"));
	assert_int_equal(privsep_launch("../sh", &h, err, sizeof(err)), -EINVAL);
}

static void test_rules_and_undo(void **state)
{
	static const uint16_t ports[] = {18555, 18557};
	static const char *const ifaces[] = {"lo", "eth0"};
	struct privsep_redirect r = {.ports = ports, .nports = 2, .to_port = 18556};

	NEED_ROOT();
	assert_int_equal(privsep_netfilter_redirect(helper, &r, err, sizeof(err)), 0);
	r.ifaces = ifaces;
	r.nifaces = 2;
	r.include_local = true;
	assert_int_equal(privsep_netfilter_redirect(helper, &r, err, sizeof(err)), 0);
	r.nports = 1;
	/* With its fwmark rules and local routes; a second mark is refused. */
	assert_int_equal(privsep_netfilter_tproxy_udp(helper, &r, 1, err, sizeof(err)), 0);
	assert_int_equal(privsep_netfilter_tproxy_udp(helper, &r, 1, err, sizeof(err)), 0);
	assert_int_equal(privsep_netfilter_tproxy_udp(helper, &r, 2, err, sizeof(err)), -EREMOTEIO);
	assert_non_null(strstr(err, "already routes mark 1"));
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
	/* Undo removed the routing too: another mark is fine now. */
	assert_int_equal(privsep_netfilter_tproxy_udp(helper, &r, 2, err, sizeof(err)), 0);
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
	/* The table is gone and comes back on the next request. */
	assert_int_equal(privsep_netfilter_redirect(helper, &r, err, sizeof(err)), 0);
}

static int ipv6_disable(int off)
{
	static const char *const paths[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6",
					    "/proc/sys/net/ipv6/conf/lo/disable_ipv6"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		FILE *f = fopen(paths[i], "w");

		if (f == NULL)
			return -1;
		fprintf(f, "%d\n", off);
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}

/* A namespace with IPv6 disabled: UDP TPROXY is routed for IPv4 only. */
static void test_tproxy_without_ipv6(void **state)
{
	static const uint16_t ports[] = {18553};
	struct privsep_redirect r = {.ports = ports, .nports = 1, .to_port = 18556};
	int rc;

	NEED_ROOT();
	if (ipv6_disable(1) < 0)
		skip();
	rc = privsep_netfilter_tproxy_udp(helper, &r, 7, err, sizeof(err));
	if (rc == 0)
		rc = privsep_undo(helper, err, sizeof(err));
	assert_int_equal(ipv6_disable(0), 0);
	assert_int_equal(rc, 0);
}

static void test_local_validation_keeps_helper(void **state)
{
	static const uint16_t zero[] = {0};
	struct privsep_redirect r = {.ports = zero, .nports = 1, .to_port = 18556};
	int fd = -1;

	NEED_ROOT();
	assert_int_equal(privsep_netfilter_redirect(helper, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not sent"));
	assert_int_equal(
	    privsep_bind_port(helper, IPPROTO_TCP, "127.0.0.1", 8080, &fd, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(fd, -1);
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
}

static void check_bound(int fd, int type)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int t = 0;
	socklen_t tlen = sizeof(t);

	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(ntohs(sa.sin_port), 853);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tlen), 0);
	assert_int_equal(t, type);
}

static void test_bind_privileged(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(853)};
	int tfd = -1, ufd = -1, c, fd2 = -1;
	char buf[8];

	NEED_ROOT();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    privsep_bind_port(helper, IPPROTO_TCP, "127.0.0.1", 853, &tfd, err, sizeof(err)), 0);
	check_bound(tfd, SOCK_STREAM);
	assert_int_equal(listen(tfd, 1), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(c);
	/* A second bind on a listening port: an Error reply, the helper lives. */
	assert_int_equal(
	    privsep_bind_port(helper, IPPROTO_TCP, "127.0.0.1", 853, &fd2, err, sizeof(err)),
	    -EREMOTEIO);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(fd2, -1);
	assert_int_equal(
	    privsep_bind_port(helper, IPPROTO_UDP, "127.0.0.1", 853, &ufd, err, sizeof(err)), 0);
	check_bound(ufd, SOCK_DGRAM);
	assert_int_equal(sendto(ufd, "ping", 4, 0, (struct sockaddr *)&sa, sizeof(sa)), 4);
	assert_int_equal(recv(ufd, buf, sizeof(buf), 0), 4);
	close(tfd);
	close(ufd);
}

static void test_violation_bad_port_kills(void **state)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__NetfilterRedirect m = SNARE__HELPER__NETFILTER_REDIRECT__INIT;
	uint32_t port = 70000;
	char *none[] = {NULL};

	NEED_ROOT();
	m.has_proto = m.has_to_port = true;
	m.proto = SNARE__HELPER__PROTO__PROTO_TCP;
	m.n_ports = 1;
	m.ports = &port;
	m.interfaces = none;
	m.to_port = 18556;
	env.body_case = C2H(NETFILTER_REDIRECT);
	env.netfilter_redirect = &m;
	send_raw(&env);
	assert_true(helper_hung_up());
	assert_int_equal(exit_status(), 1);
}

static void test_violation_many_ports_kills(void **state)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__NetfilterTproxyUdp m = SNARE__HELPER__NETFILTER_TPROXY_UDP__INIT;
	uint32_t ports[70];

	NEED_ROOT();
	for (int i = 0; i < 70; i++)
		ports[i] = 2000 + (uint32_t)i;
	m.n_ports = 70;
	m.ports = ports;
	m.has_to_port = m.has_mark = true;
	m.to_port = 18556;
	m.mark = 1;
	env.body_case = C2H(NETFILTER_TPROXY_UDP);
	env.netfilter_tproxy_udp = &m;
	send_raw(&env);
	assert_true(helper_hung_up());
	assert_int_equal(exit_status(), 1);
}

static void test_violation_wrong_state_kills(void **state)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__Hello h = SNARE__HELPER__HELLO__INIT;

	NEED_ROOT();
	h.has_version = true;
	h.version = PRIVSEP_PROTOCOL_VERSION;
	h.helper = "netfilter";
	env.body_case = C2H(HELLO);
	env.hello = &h;
	send_raw(&env);
	assert_true(helper_hung_up());
	assert_int_equal(exit_status(), 1);
}

static void test_garbage_kills(void **state)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};

	NEED_ROOT();
	assert_int_equal(ipc_send_raw(privsep_fd(helper), junk, sizeof(junk), NULL, 0), 0);
	assert_true(helper_hung_up());
	assert_int_equal(exit_status(), 1);
}

static void test_request_after_death(void **state)
{
	NEED_ROOT();
	assert_int_equal(kill(privsep_pid(helper), SIGKILL), 0);
	assert_int_not_equal(privsep_undo(helper, err, sizeof(err)), 0);
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), -EPIPE);
}

/* ---- snare-tun ---------------------------------------------------------------- */

static int if_mtu(const char *name)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

static void test_tun_create_and_undo(void **state)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ];
	struct ifreq ifr = {0};
	int fd = -1, fd2 = -1;

	NEED_ROOT();
	assert_int_equal(
	    privsep_tun_create(helper, "snaret%d", 1400, name, sizeof(name), &fd, err, sizeof(err)),
	    0);
	assert_true(fd >= 0);
	assert_int_equal(strncmp(name, "snaret", 6), 0);
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_string_equal(ifr.ifr_name, name);
	assert_true((ifr.ifr_flags & IFF_NO_PI) != 0);
	assert_int_equal(if_mtu(name), 1400);
	assert_int_equal(
	    privsep_tun_create(helper, NULL, 0, name2, sizeof(name2), &fd2, err, sizeof(err)), 0);
	assert_int_equal(if_mtu(name2), PRIVSEP_TUN_MTU_DEFAULT);
	/* Undo deletes both although we still hold their fds. */
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
	assert_int_equal(if_nametoindex(name), 0);
	assert_int_equal(if_nametoindex(name2), 0);
	close(fd);
	close(fd2);
}

static void test_tun_existing_name_refused(void **state)
{
	char name[IFNAMSIZ] = "x";
	int fd = -1;

	NEED_ROOT();
	assert_int_equal(
	    privsep_tun_create(helper, "lo", 0, name, sizeof(name), &fd, err, sizeof(err)),
	    -EREMOTEIO);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(fd, -1);
	assert_string_equal(name, "");
	/* Still alive, and lo is untouched. */
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
	assert_int_equal(if_mtu("lo"), 65536);
}

static void test_tun_local_validation(void **state)
{
	char name[IFNAMSIZ];
	int fd = -1;

	NEED_ROOT();
	assert_int_equal(
	    privsep_tun_create(helper, "a/b", 0, name, sizeof(name), &fd, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "not sent"));
	assert_int_equal(
	    privsep_tun_create(helper, "tun%d", 575, name, sizeof(name), &fd, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(fd, -1);
	assert_int_equal(privsep_undo(helper, err, sizeof(err)), 0);
}

static void test_tun_violation_kills(void **state)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__CreateTun m = SNARE__HELPER__CREATE_TUN__INIT;

	NEED_ROOT();
	m.name = "tun%s";
	env.body_case = C2H(CREATE_TUN);
	env.create_tun = &m;
	send_raw(&env);
	assert_true(helper_hung_up());
	assert_int_equal(exit_status(), 1);
}

/* ---- the driver ------------------------------------------------------------ */

static int drv_ports(char *list, uint16_t *ports, size_t max)
{
	size_t n = 0;

	for (char *p = strtok(list, ","); p != NULL && n < max; p = strtok(NULL, ","))
		ports[n++] = (uint16_t)atoi(p);
	return (int)n;
}

static void drv_result(int rc)
{
	if (rc == 0)
		printf("ok\n");
	else
		printf("err %d %s\n", rc, err);
}

static void drv_bind(const char *proto, const char *addr, int port)
{
	int fd = -1, rc, type = 0;
	socklen_t len = sizeof(type);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	rc = privsep_bind_port(helper, strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP, addr,
			       (uint16_t)port, &fd, err, sizeof(err));
	if (rc < 0) {
		drv_result(rc);
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	printf("ok fd type=%s port=%u\n", type == SOCK_STREAM ? "tcp" : "udp",
	       ntohs(((struct sockaddr_in *)&ss)->sin_port));
	close(fd);
}

static int drv_tun_fds[PRIVSEP_TUN_MAX + 1];
static size_t drv_ntun;

static void drv_tun(const char *name, const char *mtu)
{
	char ifname[IFNAMSIZ];
	int fd = -1, rc;

	if (drv_ntun == ARRAY_SIZE(drv_tun_fds)) {
		printf("err too many\n");
		return;
	}
	rc = privsep_tun_create(helper, strcmp(name, "-") == 0 ? NULL : name, (unsigned)atoi(mtu),
				ifname, sizeof(ifname), &fd, err, sizeof(err));
	if (rc < 0) {
		drv_result(rc);
		return;
	}
	drv_tun_fds[drv_ntun++] = fd;
	printf("ok tun %s\n", ifname);
}

/* Reads the newest TUN fd for up to 3 s until an IPv4 packet to dst. */
static void drv_tun_read(const char *dst)
{
	struct pollfd pfd = {.events = POLLIN};
	uint8_t pkt[65536];
	struct iphdr ip;
	char addr[INET_ADDRSTRLEN];
	ssize_t n;

	if (drv_ntun == 0) {
		printf("err no tun\n");
		return;
	}
	pfd.fd = drv_tun_fds[drv_ntun - 1];
	while (poll(&pfd, 1, 3000) == 1 && (n = read(pfd.fd, pkt, sizeof(pkt))) > 0) {
		if ((size_t)n < sizeof(ip) || (pkt[0] >> 4) != 4)
			continue;
		memcpy(&ip, pkt, sizeof(ip));
		inet_ntop(AF_INET, &ip.daddr, addr, sizeof(addr));
		if (strcmp(addr, dst) != 0)
			continue;
		inet_ntop(AF_INET, &ip.saddr, addr, sizeof(addr));
		printf("ok ipv4 proto=%u src=%s dst=%s\n", ip.protocol, addr, dst);
		return;
	}
	printf("err no packet to %s\n", dst);
}

static void drv_tun_close(void)
{
	while (drv_ntun > 0)
		close(drv_tun_fds[--drv_ntun]);
	printf("ok\n");
}

static void drv_raw_ports(uint32_t first, size_t n)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__NetfilterRedirect m = SNARE__HELPER__NETFILTER_REDIRECT__INIT;
	uint32_t ports[80];
	char *none[] = {NULL};
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int len;

	for (size_t i = 0; i < n; i++)
		ports[i] = first + (uint32_t)i;
	m.has_proto = m.has_to_port = true;
	m.proto = SNARE__HELPER__PROTO__PROTO_TCP;
	m.n_ports = n;
	m.ports = ports;
	m.interfaces = none;
	m.to_port = 18556;
	env.has_seq = true;
	env.seq = 1000;
	env.body_case = C2H(NETFILTER_REDIRECT);
	env.netfilter_redirect = &m;
	len = privsep_pack(&env.base, buf, sizeof(buf));
	if (len < 0 || ipc_send_raw(privsep_fd(helper), buf, (size_t)len, NULL, 0) < 0) {
		printf("err send\n");
		return;
	}
	printf(helper_hung_up() ? "ok hung up status=%d\n" : "err still running %d\n",
	       exit_status());
}

/* One command per line; answers one line each. */
static void drv_command(char *line)
{
	char a[64] = "", b[512] = "", c[64] = "", d[64] = "";
	uint16_t ports[80];
	int n = sscanf(line, "%63s %511s %63s %63s", a, b, c, d);

	if (n >= 1 && strcmp(a, "launch") == 0) {
		drv_result(privsep_launch(n >= 2 ? b : "netfilter", &helper, err, sizeof(err)));
		if (helper != NULL)
			printf("pid %d\n", (int)privsep_pid(helper));
	} else if (n >= 3 && (strcmp(a, "redirect") == 0 || strcmp(a, "redirect-local") == 0)) {
		const char *ifs[1] = {d};
		struct privsep_redirect r = {.ports = ports, .to_port = (uint16_t)atoi(c)};

		r.nports = (size_t)drv_ports(b, ports, 64);
		r.include_local = strcmp(a, "redirect-local") == 0;
		r.ifaces = ifs;
		r.nifaces = n >= 4 ? 1 : 0;
		drv_result(privsep_netfilter_redirect(helper, &r, err, sizeof(err)));
	} else if (n == 4 && strcmp(a, "tproxy") == 0) {
		struct privsep_redirect r = {.ports = ports, .to_port = (uint16_t)atoi(c)};

		r.nports = (size_t)drv_ports(b, ports, 64);
		drv_result(
		    privsep_netfilter_tproxy_udp(helper, &r, (uint32_t)atoi(d), err, sizeof(err)));
	} else if (n == 4 && strcmp(a, "bind") == 0) {
		drv_bind(b, c, atoi(d));
	} else if (n == 3 && strcmp(a, "raw-ports") == 0) {
		drv_raw_ports((uint32_t)atoi(b), (size_t)atoi(c));
	} else if (n == 3 && strcmp(a, "tun") == 0) {
		drv_tun(b, c);
	} else if (n == 2 && strcmp(a, "tun-read") == 0) {
		drv_tun_read(b);
	} else if (n >= 1 && strcmp(a, "tun-close") == 0) {
		drv_tun_close();
	} else if (n >= 1 && strcmp(a, "undo") == 0) {
		drv_result(privsep_undo(helper, err, sizeof(err)));
	} else if (n >= 1 && strcmp(a, "close") == 0) {
		privsep_close(helper);
		helper = NULL;
		printf("ok closed\n");
	} else {
		printf("err unknown command\n");
	}
	fflush(stdout);
}

static int driver(void)
{
	char line[1024];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) != NULL)
		drv_command(line);
	privsep_close(helper);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_launch_hello, setup, teardown),
	    cmocka_unit_test(test_unknown_helper),
	    cmocka_unit_test_setup_teardown(test_rules_and_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tproxy_without_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_local_validation_keeps_helper, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_privileged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_violation_bad_port_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_violation_many_ports_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_violation_wrong_state_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_after_death, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tun_create_and_undo, setup_tun, teardown),
	    cmocka_unit_test_setup_teardown(test_tun_existing_name_refused, setup_tun, teardown),
	    cmocka_unit_test_setup_teardown(test_tun_local_validation, setup_tun, teardown),
	    cmocka_unit_test_setup_teardown(test_tun_violation_kills, setup_tun, teardown),
	};

	use_build_helpers();
	if (argc == 2 && strcmp(argv[1], "--driver") == 0)
		return driver();
	/* Our own network namespace: no host table is ever touched. */
	if (getuid() == 0 && (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)) {
		fprintf(stderr, "cannot make a network namespace: %s\n", strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
