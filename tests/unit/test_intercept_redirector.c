/* Tests (test process only, root only) of snare-redirector through its real
 * channel: fork+exec with a socketpair on fd 3, the helper.proto Hello, then
 * SetIntercept, GetTun and OpenProcMap with intercept_client_*.  With
 * --driver it is instead a line-driven coordinator for
 * tests/integration/test_redirector.sh (commands on stdin, "ok"/"err" lines). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.pb-c.h"
#include "intercept/intercept_proto.h"

static struct intercept_client cl;
static pid_t child = -1;
static char err[256];

/* <build>/snare-redirector, next to <build>/tests/this-binary. */
static int helper_path(char *buf, size_t len)
{
	char self[PATH_MAX - 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	for (int i = 0; i < 2 && (slash = strrchr(self, '/')) != NULL; i++)
		*slash = '\0';
	snprintf(buf, len, "%s/snare-redirector", self);
	return access(buf, X_OK);
}

/* A helper built without bpf/build.sh's skeleton only says so and exits. */
static bool helper_has_programs(void)
{
	static const char stub[] = "built without its eBPF programs";
	char path[PATH_MAX];
	static char bin[8 << 20];
	ssize_t n;
	int fd;

	if (helper_path(path, sizeof(path)) < 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, bin, sizeof(bin));
	close(fd);
	return n > 0 && memmem(bin, (size_t)n, stub, sizeof(stub) - 1) == NULL;
}

/* The helper.proto Hello both ways; 0 or -1 (the helper's stderr says why). */
static int hello(int fd)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__Hello h = SNARE__HELPER__HELLO__INIT;
	Snare__Helper__HelperToCoord *in;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t buf[4096];
	ssize_t n;

	if (poll(&pfd, 1, 15000) != 1 || (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		return -1;
	in = snare__helper__helper_to_coord__unpack(NULL, (size_t)n, buf);
	if (in == NULL || in->body_case != SNARE__HELPER__HELPER_TO_COORD__BODY_HELLO)
		return -1;
	snare__helper__helper_to_coord__free_unpacked(in, NULL);
	h.has_version = true;
	h.version = 1;
	h.helper = "redirector";
	env.has_seq = true;
	env.seq = 1;
	env.body_case = SNARE__HELPER__COORD_TO_HELPER__BODY_HELLO;
	env.hello = &h;
	n = (ssize_t)snare__helper__coord_to_helper__pack(&env, buf);
	return send(fd, buf, (size_t)n, 0) == n ? 0 : -1;
}

static int start(void)
{
	char path[PATH_MAX];
	int sv[2];

	if (helper_path(path, sizeof(path)) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		dup2(sv[1], 3);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	intercept_client_init(&cl, sv[0]);
	return child > 0 && hello(sv[0]) == 0 ? 0 : -1;
}

static void stop(void)
{
	if (cl.fd >= 0)
		close(cl.fd);
	cl.fd = -1;
	if (child > 0)
		waitpid(child, NULL, 0);
	child = -1;
}

/* The device a new socket of ours is bound to ("" for none). */
static void bound_dev(char *name)
{
	socklen_t len = IFNAMSIZ;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	name[0] = '\0';
	if (getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len) < 0)
		name[0] = '\0';
	close(s);
}

/* ---- cmocka -------------------------------------------------------------- */

static int setup(void **state)
{
	if (geteuid() != 0 || start() < 0) {
		stop();
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	stop();
	return 0;
}

static void test_requests(void **state)
{
	char name[IFNAMSIZ], dev[IFNAMSIZ], desc[256];
	uint32_t pids[1] = {12345};
	int tun = -1, map = -1;

	assert_int_equal(intercept_client_get_tun(&cl, &tun, name, err, sizeof(err)), 0);
	assert_true(tun >= 0);
	assert_non_null(strstr(name, "snare"));
	assert_int_equal(
	    intercept_client_set(&cl, "curl, !42", pids, 1, desc, sizeof(desc), err, sizeof(err)),
	    0);
	assert_string_equal(desc, "Include processes matching \"curl\". Exclude PID 42.");
	/* We are the coordinator: never captured, even by "everything". */
	assert_int_equal(intercept_client_set(&cl, "!1", NULL, 0, NULL, 0, err, sizeof(err)), 0);
	bound_dev(dev);
	assert_string_equal(dev, "");
	assert_int_equal(intercept_client_proc_map(&cl, &map, err, sizeof(err)), 0);
	assert_true(map >= 0);
	close(map);
	close(tun);
}

/* A bad spec is refused before it is sent; the channel stays usable. */
static void test_bad_spec(void **state)
{
	char desc[64];
	int rc = intercept_client_set(&cl, "curl,,", NULL, 0, NULL, 0, err, sizeof(err));

	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "invalid intercept spec"));
	assert_int_equal(
	    intercept_client_set(&cl, "", NULL, 0, desc, sizeof(desc), err, sizeof(err)), 0);
	assert_string_equal(desc, "Intercept nothing.");
}

/* ---- --driver -------------------------------------------------------------- */

static int tun_fd = -1;

/* "read": one packet from the TUN: "ok 4 6 10.1.2.3 80" (version, proto,
 * destination, port) within 5 s. */
static void drv_read(void)
{
	struct pollfd pfd = {.fd = tun_fd, .events = POLLIN};
	uint8_t p[2048];
	char a[INET6_ADDRSTRLEN];
	ssize_t n;

	while (poll(&pfd, 1, 5000) == 1 && (n = read(tun_fd, p, sizeof(p))) > 0) {
		if ((p[0] >> 4) == 4 && n >= 24 && (p[9] == 6 || p[9] == 17)) {
			size_t ihl = (size_t)(p[0] & 15) * 4;

			inet_ntop(AF_INET, p + 16, a, sizeof(a));
			printf("ok 4 %u %s %u\n", p[9], a, p[ihl + 2] << 8 | p[ihl + 3]);
			return;
		}
		if ((p[0] >> 4) == 6 && n >= 44 && (p[6] == 6 || p[6] == 17)) {
			inet_ntop(AF_INET6, p + 24, a, sizeof(a));
			printf("ok 6 %u %s %u\n", p[6], a, p[42] << 8 | p[43]);
			return;
		}
	}
	printf("err no packet\n");
}

static void drv_line(char *line)
{
	char name[IFNAMSIZ], desc[512];

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "set ", 4) == 0) {
		if (intercept_client_set(&cl, line + 4, NULL, 0, desc, sizeof(desc), err,
					 sizeof(err)) == 0)
			printf("ok %s\n", desc);
		else
			printf("err %s\n", err);
	} else if (strcmp(line, "tun") == 0) {
		if (intercept_client_get_tun(&cl, &tun_fd, name, err, sizeof(err)) == 0)
			printf("ok %s\n", name);
		else
			printf("err %s\n", err);
	} else if (strcmp(line, "read") == 0) {
		drv_read();
	} else if (strcmp(line, "pid") == 0) {
		printf("ok %d\n", (int)child);
	} else {
		printf("err unknown command\n");
	}
	fflush(stdout);
}

static int driver(void)
{
	char line[1024];

	if (start() < 0) {
		printf("err cannot start snare-redirector\n");
		stop();
		return 1;
	}
	printf("ok started\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL && strcmp(line, "quit\n") != 0)
		drv_line(line);
	if (tun_fd >= 0)
		close(tun_fd);
	stop();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_bad_spec),
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "--driver") == 0)
		return driver();
	if (geteuid() != 0 || !helper_has_programs()) {
		printf("skipped: needs root and a snare-redirector built with bpf/build.sh\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
