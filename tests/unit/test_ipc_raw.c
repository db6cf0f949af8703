/* Unit tests (test process only) for ipc_send_raw / ipc_recv_raw over real
 * socketpair(AF_UNIX, SOCK_SEQPACKET): fd passing, truncated data or control
 * data, foreign control messages, EOF, and that no received fd leaks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"

static int sp[2];

static int setup(void **state)
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp);
}

static int teardown(void **state)
{
	close(sp[0]);
	close(sp[1]);
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static void make_pipes(int *rd, int *wr, size_t n)
{
	size_t i;
	int p[2];

	for (i = 0; i < n; i++) {
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		rd[i] = p[0];
		wr[i] = p[1];
	}
}

static void close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

static void test_fd_passing(void **state)
{
	int rd[IPC_MAX_FDS], wr[IPC_MAX_FDS], got[IPC_MAX_FDS];
	uint8_t buf[64];
	size_t nfds, i;
	char c;

	make_pipes(rd, wr, IPC_MAX_FDS);
	assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"frame", 5, wr, IPC_MAX_FDS), 0);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds), 5);
	assert_memory_equal(buf, "frame", 5);
	assert_int_equal(nfds, IPC_MAX_FDS);
	for (i = 0; i < nfds; i++) {
		assert_int_not_equal(got[i], wr[i]);
		assert_int_equal(fcntl(got[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		c = (char)('a' + i);
		assert_int_equal(write(got[i], &c, 1), 1); /* same pipe as wr[i] */
		assert_int_equal(read(rd[i], &c, 1), 1);
		assert_int_equal(c, 'a' + i);
	}
	close_all(got, nfds);
	close_all(rd, IPC_MAX_FDS);
	close_all(wr, IPC_MAX_FDS);
}

/* More fds than the receiver accepts: MSG_CTRUNC or overflow, nothing kept. */
static void expect_ctrunc(size_t sent, size_t accept)
{
	int rd[IPC_MAX_FDS], wr[IPC_MAX_FDS], got[IPC_MAX_FDS];
	uint8_t buf[64];
	size_t nfds = 99;
	int before;

	make_pipes(rd, wr, sent);
	before = count_fds();
	assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"x", 1, wr, sent), 0);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), got, accept, &nfds), -EBADMSG);
	assert_int_equal(nfds, 0);
	assert_int_equal(count_fds(), before);
	close_all(rd, sent);
	close_all(wr, sent);
}

static void test_ctrunc(void **state)
{
	expect_ctrunc(1, 0);
	expect_ctrunc(2, 1); /* fits in CMSG_SPACE(1 * sizeof(int)): caught by the count */
	expect_ctrunc(4, 2);
	expect_ctrunc(IPC_MAX_FDS, IPC_MAX_FDS - 1);
	/* the channel still works afterwards */
	{
		uint8_t buf[8];
		size_t nfds;

		assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"ok", 2, NULL, 0), 0);
		assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), NULL, 0, &nfds), 2);
	}
}

static void test_trunc(void **state)
{
	uint8_t big[100] = {1}, buf[10];
	int rd[2], wr[2], got[IPC_MAX_FDS], before;
	size_t nfds;

	make_pipes(rd, wr, 2);
	before = count_fds();
	assert_int_equal(ipc_send_raw(sp[0], big, sizeof(big), wr, 2), 0);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds), -EMSGSIZE);
	assert_int_equal(nfds, 0);
	assert_int_equal(count_fds(), before);
	close_all(rd, 2);
	close_all(wr, 2);
}

/* SO_PASSCRED makes the kernel add SCM_CREDENTIALS: not ours to accept. */
static void test_foreign_cmsg(void **state)
{
	int on = 1, rd[1], wr[1], got[IPC_MAX_FDS], before;
	uint8_t buf[16];
	size_t nfds;

	assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	make_pipes(rd, wr, 1);
	before = count_fds();
	assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"x", 1, wr, 1), 0);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds), -EBADMSG);
	assert_int_equal(count_fds(), before);
	assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"x", 1, NULL, 0), 0);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds), -EBADMSG);
	close_all(rd, 1);
	close_all(wr, 1);
}

static void test_eof_again(void **state)
{
	uint8_t buf[16];
	size_t nfds;
	int fd[1], rd[1], before;

	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), fd, 1, &nfds), -EAGAIN);
	make_pipes(rd, fd, 1);
	assert_int_equal(ipc_send_raw(sp[0], (const uint8_t *)"last", 4, fd, 1), 0);
	close(sp[0]);
	sp[0] = -1;
	before = count_fds();
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), fd, 0, &nfds), -EBADMSG);
	assert_int_equal(count_fds(), before);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), NULL, 0, &nfds), 0);
	assert_int_equal(ipc_send_raw(sp[1], (const uint8_t *)"x", 1, NULL, 0), -EPIPE);
	close(rd[0]);
	close(fd[0]);
}

static void test_send_limits(void **state)
{
	static uint8_t big[IPC_MAX_FRAME + 1];
	int fds[IPC_MAX_FDS + 1];
	uint8_t buf[16];
	size_t nfds;

	memset(fds, 0, sizeof(fds));
	assert_int_equal(ipc_send_raw(sp[0], big, sizeof(big), NULL, 0), -EMSGSIZE);
	assert_int_equal(ipc_send_raw(sp[0], big, 1, fds, IPC_MAX_FDS + 1), -EINVAL);
	assert_int_equal(ipc_send_raw(sp[0], big, 0, NULL, 0), -EINVAL);
	assert_int_equal(ipc_recv_raw(sp[1], buf, sizeof(buf), NULL, 0, &nfds), -EAGAIN);
}

/* Raw transport plus ipc_decode: the frame's fd count is checked. */
static void test_decode_after_recv(void **state)
{
	static const uint8_t attach[] = "\x08\x02\x1a\x02\x08\x03";
	int rd[2], wr[2], got[IPC_MAX_FDS], n, before;
	uint8_t buf[64];
	struct ipc_frame f;
	size_t nfds;

	make_pipes(rd, wr, 2);
	before = count_fds();
	assert_int_equal(ipc_send_raw(sp[0], attach, sizeof(attach) - 1, wr, 1), 0);
	n = ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds);
	assert_int_equal(n, sizeof(attach) - 1);
	assert_int_equal(
	    ipc_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, buf, (size_t)n, got, nfds, &f), 0);
	ipc_frame_free(&f);
	assert_int_equal(ipc_send_raw(sp[0], attach, sizeof(attach) - 1, wr, 2), 0);
	n = ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds);
	assert_int_equal(nfds, 2);
	assert_int_equal(
	    ipc_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, buf, (size_t)n, got, nfds, &f), -EINVAL);
	assert_int_equal(ipc_send_raw(sp[0], attach, sizeof(attach) - 1, NULL, 0), 0);
	n = ipc_recv_raw(sp[1], buf, sizeof(buf), got, IPC_MAX_FDS, &nfds);
	assert_int_equal(
	    ipc_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, buf, (size_t)n, got, nfds, &f), -EINVAL);
	assert_int_equal(count_fds(), before);
	close_all(rd, 2);
	close_all(wr, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ctrunc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trunc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_cmsg, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eof_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decode_after_recv, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
