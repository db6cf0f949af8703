/* Unit tests for policy/: every sandbox check runs in a fork()ed child that
 * enters a role and tries things; the parent asserts on how the child ended
 * (exit 0, or killed by SIGSYS).  User and capability drops need root and are
 * skipped otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox.h"
#include "seccomp_rules.h"

#define EXEC_CHILD_FLAG "--policy-exec-child"

/* In a child: report the first failed check on stderr and exit non-zero. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "child: check failed: %s (line %d, errno %d)\n", #c,       \
				__LINE__, errno);                                                  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

typedef int (*child_fn)(void);

static int run_child(child_fn fn)
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit_ok(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void expect_signal(int status, int sig)
{
	if (WIFEXITED(status))
		fail_msg("child exited %d, expected signal %d", WEXITSTATUS(status), sig);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

/* ---- tables ------------------------------------------------------------- */

static void test_role_names(void **state)
{
	assert_string_equal(sandbox_role_name(SANDBOX_COORDINATOR), "coordinator");
	assert_string_equal(sandbox_role_name(SANDBOX_CA), "ca");
	assert_string_equal(sandbox_role_name(SANDBOX_WORKER), "worker");
	assert_string_equal(sandbox_role_name(SANDBOX_SPAWNER), "spawner");
	assert_string_equal(sandbox_role_name(SANDBOX_ROLE_COUNT), "unknown");
	assert_int_equal(sandbox_enter(SANDBOX_ROLE_COUNT), -EINVAL);
}

static void test_filters_build(void **state)
{
	scmp_filter_ctx ctx;
	int r, fd;

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (r = 0; r < SANDBOX_ROLE_COUNT; r++) {
		assert_int_equal(sandbox_filter_build((enum sandbox_role)r, &ctx), 0);
		assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
		seccomp_release(ctx);
	}
	assert_int_equal(sandbox_filter_build(SANDBOX_ROLE_COUNT, &ctx), -EINVAL);
	close(fd);
}

/* libseccomp silently merges conflicting rules: a syscall with an
 * unconditional rule must have no other rule in the same role. */
static void check_policy_consistent(const struct sandbox_policy *p)
{
	const struct sandbox_rule *a, *b;
	size_t s, i, t, j;

	for (s = 0; p->sets[s] != NULL; s++) {
		for (i = 0; i < p->sets[s]->n; i++) {
			a = &p->sets[s]->rules[i];
			for (t = 0; p->sets[t] != NULL; t++) {
				for (j = 0; j < p->sets[t]->n; j++) {
					b = &p->sets[t]->rules[j];
					if (a == b || a->nr != b->nr)
						continue;
					if (a->nargs == 0 || b->nargs == 0)
						fail_msg("%s: syscall %d in %s and %s", p->role,
							 a->nr, p->sets[s]->name, p->sets[t]->name);
				}
			}
		}
	}
}

static void test_tables_consistent(void **state)
{
	int r;

	for (r = 0; r < SANDBOX_ROLE_COUNT; r++)
		check_policy_consistent(sandbox_policy_of((enum sandbox_role)r));
}

static char *describe(enum sandbox_role role)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	sandbox_describe(role, f);
	fclose(f);
	return text;
}

/* The line that starts with "  <label>:", with its continuation lines. */
static const char *describe_line(const char *text, const char *label, char *line, size_t n)
{
	char key[32];
	const char *p, *end;

	snprintf(key, sizeof(key), "\n  %s:", label);
	p = strstr(text, key);
	assert_non_null(p);
	for (end = p + 1; *end != '\0'; end++)
		if (end[0] == '\n' && end[1] == ' ' && end[2] == ' ' && end[3] != ' ')
			break;
	assert_true((size_t)(end - p) < n);
	memcpy(line, p, (size_t)(end - p));
	line[end - p] = '\0';
	return line;
}

static void test_describe(void **state)
{
	static char line[4096];
	char *w = describe(SANDBOX_WORKER), *ca = describe(SANDBOX_CA);
	char *co = describe(SANDBOX_COORDINATOR), *sp = describe(SANDBOX_SPAWNER);

	assert_non_null(strstr(describe_line(w, "allow", line, sizeof(line)), " socket*"));
	assert_non_null(strstr(line, " accept4 "));
	assert_null(strstr(line, " execve"));
	assert_non_null(strstr(describe_line(w, "EACCES", line, sizeof(line)), " openat "));
	assert_null(strstr(ca, "socket"));
	assert_null(strstr(ca, "connect"));
	assert_non_null(strstr(describe_line(ca, "allow", line, sizeof(line)), " recvmsg "));
	/* the coordinator: no processes, no paths, no executable memory */
	assert_non_null(strstr(co, "seccomp list of the coordinator"));
	assert_null(strstr(co, "execve"));
	assert_null(strstr(co, "clone"));
	assert_null(strstr(co, "fork"));
	assert_null(strstr(co, "waitid"));
	assert_null(strstr(co, "ptrace"));
	assert_non_null(strstr(describe_line(co, "allow", line, sizeof(line)), " mmap* "));
	assert_non_null(strstr(line, " kill* "));
	assert_null(strstr(line, " socket*"));
	assert_null(strstr(line, " connect"));
	assert_null(strstr(line, "open"));
	assert_non_null(strstr(describe_line(co, "EACCES", line, sizeof(line)), " openat "));
	/* the spawner: processes and read-only files */
	assert_non_null(strstr(describe_line(sp, "allow", line, sizeof(line)), " execve "));
	assert_non_null(strstr(line, " clone* "));
	assert_non_null(strstr(line, " openat* "));
	assert_non_null(strstr(line, " wait4 "));
	assert_null(strstr(sp, "ptrace"));
	assert_null(strstr(sp, "unshare"));
	free(w);
	free(ca);
	free(co);
	free(sp);
}

/* ---- worker ------------------------------------------------------------- */

static int worker_ptrace(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return 0;
}

static int worker_packet_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	return 0;
}

static int worker_unix_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	socket(AF_UNIX, SOCK_STREAM, 0);
	return 0;
}

static int worker_raw_inet_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	return 0;
}

static int worker_exec_mmap(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int worker_tiocsti(void)
{
	char c = 'x';

	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	ioctl(0, TIOCSTI, &c);
	return 0;
}

static int worker_signal_parent(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	kill(getppid(), 0);
	return 0;
}

static int worker_execve(void)
{
	char *argv[] = {"true", NULL};

	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	execve("/bin/true", argv, argv + 1);
	return 0;
}

static void test_worker_kills_forbidden(void **state)
{
	static const child_fn fns[] = {
	    worker_ptrace,    worker_packet_socket, worker_unix_socket,	  worker_raw_inet_socket,
	    worker_exec_mmap, worker_tiocsti,	    worker_signal_parent, worker_execve};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fns); i++)
		expect_signal(run_child(fns[i]), SIGSYS);
}

static int worker_probes(void)
{
	struct stat st;
	cpu_set_t cpus;
	int fd = open("/dev/null", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	errno = 0;
	CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
	CHECK(openat(AT_FDCWD, "/etc/hosts", O_RDONLY) == -1 && errno == EACCES);
	CHECK(stat("/etc/passwd", &st) == -1 && errno == EACCES);
	CHECK(access("/etc/passwd", R_OK) == -1 && errno == EACCES);
	CHECK(fopen("/etc/resolv.conf", "r") == NULL && errno == EACCES);
	CHECK(sched_getaffinity(0, sizeof(cpus), &cpus) == -1 && errno == ENOSYS);
	CHECK(isatty(fd) == 0);
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(close(fd) == 0);
	return 0;
}

static void test_worker_probes_get_errno(void **state)
{
	expect_exit_ok(run_child(worker_probes));
}

static int tcp_listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*sin =
	    (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) < 0)
		return -1;
	return fd;
}

/* TCP through an epoll loop set up before the filter, as a worker does. */
static int worker_tcp_roundtrip(int lfd, int ep, const struct sockaddr_in *sin)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int c, a, err = -1, avail = 0;
	socklen_t len = sizeof(err);
	char buf[8];

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(c >= 0);
	CHECK(connect(c, (const struct sockaddr *)sin, sizeof(*sin)) == 0 || errno == EINPROGRESS);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == 0);
	CHECK(epoll_wait(ep, &ev, 1, 5000) == 1);
	a = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(a >= 0);
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
	CHECK(write(a, "ping", 4) == 4);
	CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) & ~O_NONBLOCK) == 0);
	CHECK(read(c, buf, 4) == 4 && memcmp(buf, "ping", 4) == 0);
	CHECK(send(c, "pong", 4, 0) == 4 && recv(a, buf, 4, MSG_WAITALL) == 4);
	CHECK(write(c, "x", 1) == 1 && ioctl(a, FIONREAD, &avail) == 0);
	CHECK(shutdown(c, SHUT_WR) == 0 && close(a) == 0 && close(c) == 0);
	return 0;
}

static int worker_udp_roundtrip(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	char buf[8];
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);

	CHECK(u >= 0);
	CHECK(bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(u, (struct sockaddr *)&sin, &len) == 0);
	CHECK(sendto(u, "dns?", 4, 0, (struct sockaddr *)&sin, sizeof(sin)) == 4);
	CHECK(recvfrom(u, buf, sizeof(buf), MSG_WAITALL, NULL, NULL) == 4);
	CHECK(close(u) == 0);
	u = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(u >= 0 || errno == EAFNOSUPPORT);
	if (u >= 0)
		CHECK(close(u) == 0);
	return 0;
}

static int worker_memory(void)
{
	unsigned char rnd[32];
	void *small[256];
	unsigned char *big;
	size_t i;

	CHECK(getrandom(rnd, sizeof(rnd), 0) == sizeof(rnd));
	big = malloc(64u << 20);
	CHECK(big != NULL);
	memset(big, 0xa5, 64u << 20);
	big = realloc(big, 96u << 20);
	CHECK(big != NULL && big[(64u << 20) - 1] == 0xa5);
	free(big);
	for (i = 0; i < ARRAY_SIZE(small); i++)
		CHECK((small[i] = malloc(i * 97 + 1)) != NULL);
	for (i = 0; i < ARRAY_SIZE(small); i++)
		free(small[i]);
	return 0;
}

static int worker_allowed(void)
{
	struct sockaddr_in sin;
	int lfd = tcp_listener(&sin), ep = epoll_create1(EPOLL_CLOEXEC);

	CHECK(lfd >= 0 && ep >= 0);
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
	if (worker_tcp_roundtrip(lfd, ep, &sin) || worker_udp_roundtrip() || worker_memory())
		return 1;
	return 0;
}

static void test_worker_allowed(void **state)
{
	expect_exit_ok(run_child(worker_allowed));
}

static int worker_abort(void)
{
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	abort();
}

static void test_worker_can_abort(void **state)
{
	/* Signals to itself are allowed, so abort() ends in SIGABRT, not SIGSYS. */
	expect_signal(run_child(worker_abort), SIGABRT);
}

/* Socket options: the few a worker sets work; the ones that reach rarely
 * used kernel code (upper-layer protocols, repair mode, filters, eBPF,
 * transparent proxying, encapsulation, IPsec, device binding) kill it. */
/* The filter looks at the arguments only, so an IPv4 socket serves for
 * every level. */
struct sockopt_case {
	int type, level, name;
};

static const struct sockopt_case sockopt_denied[] = {
    {SOCK_STREAM, IPPROTO_TCP, 31 /* TCP_ULP */},
    {SOCK_STREAM, IPPROTO_TCP, 19 /* TCP_REPAIR */},
    {SOCK_STREAM, IPPROTO_TCP, 13 /* TCP_CONGESTION */},
    {SOCK_STREAM, IPPROTO_TCP, 14 /* TCP_MD5SIG */},
    {SOCK_DGRAM, SOL_SOCKET, 26 /* SO_ATTACH_FILTER */},
    {SOCK_DGRAM, SOL_SOCKET, 50 /* SO_ATTACH_BPF */},
    {SOCK_DGRAM, SOL_SOCKET, 51 /* SO_ATTACH_REUSEPORT_CBPF */},
    {SOCK_DGRAM, SOL_SOCKET, 52 /* SO_ATTACH_REUSEPORT_EBPF */},
    {SOCK_DGRAM, SOL_SOCKET, 25 /* SO_BINDTODEVICE */},
    {SOCK_DGRAM, SOL_SOCKET, 36 /* SO_MARK */},
    {SOCK_DGRAM, IPPROTO_IP, 19 /* IP_TRANSPARENT */},
    {SOCK_DGRAM, IPPROTO_IP, 17 /* IP_XFRM_POLICY */},
    {SOCK_DGRAM, IPPROTO_IPV6, 35 /* IPV6_XFRM_POLICY */},
    {SOCK_DGRAM, IPPROTO_IPV6, 75 /* IPV6_TRANSPARENT */},
    {SOCK_DGRAM, IPPROTO_UDP, 100 /* UDP_ENCAP */},
};

static size_t sockopt_which; /* the case a child tries (set before fork) */

static int worker_sockopt_denied(void)
{
	const struct sockopt_case *c = &sockopt_denied[sockopt_which];
	char buf[64] = "tls";
	int fd = socket(AF_INET, c->type, 0);

	CHECK(fd >= 0);
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	setsockopt(fd, c->level, c->name, buf, c->name == 31 ? 4 : sizeof(int));
	return 0;
}

static void test_worker_sockopt_denied(void **state)
{
	for (sockopt_which = 0; sockopt_which < ARRAY_SIZE(sockopt_denied); sockopt_which++)
		expect_signal(run_child(worker_sockopt_denied), SIGSYS);
}

static int worker_sockopt_allowed(void)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct timeval tv = {.tv_sec = 1};
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1, buf = 65536, pmtu = IP_PMTUDISC_DO;

	CHECK(t >= 0 && u >= 0);
	CHECK(sandbox_enter(SANDBOX_WORKER) == 0);
	CHECK(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
	CHECK(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	CHECK(setsockopt(t, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)) == 0);
	CHECK(setsockopt(u, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) == 0);
	CHECK(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	CHECK(setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) == 0);
	return 0;
}

static void test_worker_sockopt_allowed(void **state)
{
	expect_exit_ok(run_child(worker_sockopt_allowed));
}

/* ---- ca ----------------------------------------------------------------- */

static int ca_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_CA) == 0);
	socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

static int ca_connect(void)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	CHECK(sandbox_enter(SANDBOX_CA) == 0);
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	return 0;
}

static int ca_socketpair(void)
{
	int sv[2];

	CHECK(sandbox_enter(SANDBOX_CA) == 0);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	return 0;
}

static void test_ca_kills_network(void **state)
{
	expect_signal(run_child(ca_socket), SIGSYS);
	expect_signal(run_child(ca_connect), SIGSYS);
	expect_signal(run_child(ca_socketpair), SIGSYS);
}

/* The ca's channel: one SEQPACKET message each way, as ipc does it. */
static int ca_channel(int fd, int peer)
{
	char buf[16];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	CHECK(write(peer, "sign me", 7) == 7);
	CHECK(recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) == 7 && memcmp(buf, "sign me", 7) == 0);
	iov.iov_len = 6;
	memcpy(buf, "signed", 6);
	CHECK(sendmsg(fd, &mh, MSG_NOSIGNAL) == 6);
	CHECK(read(peer, buf, sizeof(buf)) == 6);
	return 0;
}

static int ca_state(void)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(sandbox_enter(SANDBOX_CA) == 0);
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
	CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
	return ca_channel(sv[0], sv[1]);
}

static void test_ca_state_and_channel(void **state)
{
	expect_exit_ok(run_child(ca_state));
}

/* ---- coordinator -------------------------------------------------------- */

static int coord_ptrace(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	syscall(SYS_ptrace, 0, 0, 0, 0);
	return 0;
}

static int coord_unshare(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	syscall(SYS_unshare, CLONE_NEWUSER);
	return 0;
}

static int coord_kill_all(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	kill(-1, 0);
	return 0;
}

static int coord_execve(void)
{
	char *argv[] = {"true", NULL};

	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	execve("/bin/true", argv, environ);
	return 0;
}

static int coord_fork(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	return 0;
}

static int coord_exec_memory(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int coord_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

static void test_coordinator_kills_forbidden(void **state)
{
	expect_signal(run_child(coord_ptrace), SIGSYS);
	expect_signal(run_child(coord_unshare), SIGSYS);
	expect_signal(run_child(coord_kill_all), SIGSYS);
	expect_signal(run_child(coord_execve), SIGSYS);
	expect_signal(run_child(coord_fork), SIGSYS);
	expect_signal(run_child(coord_exec_memory), SIGSYS);
	expect_signal(run_child(coord_socket), SIGSYS);
}

/* The spawner re-executes this test binary as a "worker" and expects the
 * worker's own filter to be in force on top of the inherited one. */
static int spawner_respawn(void)
{
	char *argv[] = {"test_policy_sandbox", EXEC_CHILD_FLAG, NULL};
	int status, sv[2];
	char buf[8];
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		else
			dup2(sv[1], 3);
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	CHECK(close(sv[1]) == 0);
	CHECK(read(sv[0], buf, sizeof(buf)) == 2 && memcmp(buf, "up", 2) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fprintf(stderr, "child: re-executed worker ended with status %#x\n", status);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	CHECK(kill(pid, 0) == -1 && errno == ESRCH);
	return 0;
}

/* main() of the re-executed worker: allowed calls must work, then a Unix
 * socket must kill it. */
static int exec_child_main(void)
{
	int fd;

	if (sandbox_enter(SANDBOX_WORKER) < 0)
		return 10;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || close(fd) < 0)
		return 11;
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return 12;
	if (write(3, "up", 2) != 2)
		return 13;
	socket(AF_UNIX, SOCK_STREAM, 0);
	return 14;
}

static void test_spawner_respawns_worker(void **state)
{
	expect_exit_ok(run_child(spawner_respawn));
}

/* The coordinator writes files it holds (the flow file); paths get EACCES. */
static int coord_files(void)
{
	char path[] = "/tmp/snare-policy-XXXXXX";
	struct stat st;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(sandbox_enter(SANDBOX_COORDINATOR) == 0);
	CHECK(write(fd, "flow", 4) == 4 && fsync(fd) == 0 && ftruncate(fd, 2) == 0);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 2);
	CHECK(close(fd) == 0);
	CHECK(open("/etc/hostname", O_RDONLY | O_CLOEXEC) == -1 && errno == EACCES);
	CHECK(open(path, O_WRONLY | O_CLOEXEC) == -1 && errno == EACCES);
	CHECK(stat("/etc", &st) == -1 && errno == EACCES);
	return 0;
}

static void test_coordinator_files(void **state)
{
	char path[] = "/tmp/snare-policy-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	expect_exit_ok(run_child(coord_files));
}

/* ---- spawner ------------------------------------------------------------ */

static int spawner_reads(void)
{
	char buf[4];
	int fd;

	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0 && close(fd) == 0);
	fd = openat(AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 && close(fd) == 0);
	return 0;
}

static int spawner_write_open(void)
{
	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	open("/tmp/snare-policy-spawner", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	return 0;
}

static int spawner_unix_socket(void)
{
	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	socket(AF_UNIX, SOCK_STREAM, 0);
	return 0;
}

static int spawner_new_namespace(void)
{
	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	return 0;
}

static int spawner_ptrace(void)
{
	CHECK(sandbox_enter(SANDBOX_SPAWNER) == 0);
	syscall(SYS_ptrace, 0, 0, 0, 0);
	return 0;
}

static void test_spawner_list(void **state)
{
	expect_exit_ok(run_child(spawner_reads));
	expect_signal(run_child(spawner_write_open), SIGSYS);
	expect_signal(run_child(spawner_unix_socket), SIGSYS);
	expect_signal(run_child(spawner_new_namespace), SIGSYS);
	expect_signal(run_child(spawner_ptrace), SIGSYS);
	assert_int_equal(access("/tmp/snare-policy-spawner", F_OK), -1);
}

/* ---- ids and capabilities ----------------------------------------------- */

static int drop_to_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	uid_t r, e, s;
	char err[256] = "";
	int rc;

	CHECK(pw != NULL);
	rc = sandbox_drop_user("nobody", err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "child: %s\n", err);
	CHECK(rc == 0);
	CHECK(getresuid(&r, &e, &s) == 0 && r == pw->pw_uid && e == r && s == r);
	CHECK(getgid() == pw->pw_gid);
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(seteuid(0) == -1);
	return 0;
}

static void test_drop_user(void **state)
{
	if (geteuid() != 0)
		skip();
	expect_exit_ok(run_child(drop_to_nobody));
}

static void test_drop_user_errors(void **state)
{
	char err[256] = "";
	int rc = sandbox_drop_user("snare-no-such-user", err, sizeof(err));

	if (geteuid() != 0) {
		assert_int_equal(rc, 0); /* a no-op without root */
		return;
	}
	assert_true(rc < 0);
	assert_non_null(strstr(err, "cannot drop to user 'snare-no-such-user': "));
	assert_int_equal(geteuid(), 0);
}

static int drop_caps(void)
{
	cap_t now, none = cap_init();

	CHECK(sandbox_drop_caps() == 0);
	now = cap_get_proc();
	CHECK(now != NULL && none != NULL && cap_compare(now, none) == 0);
	cap_free(now);
	cap_free(none);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0) == 0);
	if (getuid() == 0) {
		/* still uid 0, but without CAP_SETUID and with an empty bounding set */
		CHECK(cap_get_bound(CAP_NET_ADMIN) == 0);
		CHECK(cap_get_bound(CAP_SYS_ADMIN) == 0);
		CHECK(setuid(65534) == -1 && errno == EPERM);
	}
	return 0;
}

static void test_drop_caps(void **state)
{
	expect_exit_ok(run_child(drop_caps));
}

static int startup_worker(void)
{
	struct passwd *pw = getpwnam("nobody");
	bool was_root = geteuid() == 0;
	char err[256] = "";
	int rc;

	CHECK(pw != NULL);
	rc = sandbox_startup(&(struct sandbox_plan){.role = SANDBOX_WORKER, .user = "nobody"}, err,
			     sizeof(err));
	if (rc < 0)
		fprintf(stderr, "child: %s\n", err);
	CHECK(rc == 0);
	if (was_root)
		CHECK(getuid() == pw->pw_uid && geteuid() == pw->pw_uid);
	CHECK(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2);
	CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
	return 0;
}

static void test_startup_order(void **state)
{
	expect_exit_ok(run_child(startup_worker));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_role_names),
	    cmocka_unit_test(test_filters_build),
	    cmocka_unit_test(test_tables_consistent),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_worker_kills_forbidden),
	    cmocka_unit_test(test_worker_probes_get_errno),
	    cmocka_unit_test(test_worker_allowed),
	    cmocka_unit_test(test_worker_can_abort),
	    cmocka_unit_test(test_worker_sockopt_denied),
	    cmocka_unit_test(test_worker_sockopt_allowed),
	    cmocka_unit_test(test_ca_kills_network),
	    cmocka_unit_test(test_ca_state_and_channel),
	    cmocka_unit_test(test_coordinator_kills_forbidden),
	    cmocka_unit_test(test_spawner_respawns_worker),
	    cmocka_unit_test(test_coordinator_files),
	    cmocka_unit_test(test_spawner_list),
	    cmocka_unit_test(test_drop_user),
	    cmocka_unit_test(test_drop_user_errors),
	    cmocka_unit_test(test_drop_caps),
	    cmocka_unit_test(test_startup_order),
	};

	if (argc == 2 && strcmp(argv[1], EXEC_CHILD_FLAG) == 0)
		return exec_child_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
