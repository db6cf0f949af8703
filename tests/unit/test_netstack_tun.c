/* End-to-end test of the netstack module against Linux's own TCP/UDP/ICMP (test process only,
 * root only, skipped otherwise): in a fresh network namespace a TUN device 10.77.0.1/24 feeds
 * the stack; a child process (kernel sockets) connects to 10.77.0.2:80, streams data that the
 * stack's application echoes, sends a UDP query and a ping, and checks every reply. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "netstack/netstack.h"

#define STREAM_LEN (3 * 1024 * 1024 + 17)
#define TUN_NAME "snt0"

struct echo {
	struct e2e *e;
	struct ns_tcp *c;
	uint8_t pend[32768];
	size_t plen;
	bool eof, shut;
	size_t total;
};

struct e2e {
	struct loop *l;
	struct ns_stack *s;
	int tun;
	struct loop_io io;
	struct loop_timer tick;
	pid_t child;
	int status;
	int ticks;
	bool done;
	size_t total;  /* bytes echoed over all connections */
	unsigned loss; /* per mille of packets dropped each way */
	uint64_t rng;
	uint64_t dropped;
	int accepted, finished, udp;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31 + (i >> 9));
}

/* The child: plain kernel sockets, as any application in the namespace would use. Streams
 * len bytes to host port 80 and checks the echo. */
static int child_tcp(const char *host, size_t len)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	static uint8_t rbuf[65536];
	size_t sent = 0, got = 0;
	int v6 = strchr(host, ':') != NULL, fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	if (v6) {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(80);
		inet_pton(AF_INET6, host, &sa.in6.sin6_addr);
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(80);
		inet_pton(AF_INET, host, &sa.in.sin_addr);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, v6 ? sizeof(sa.in6) : sizeof(sa.in)) < 0)
		return 10;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0)};
		uint8_t wbuf[16384];
		ssize_t n;
		size_t i;

		if (poll(&p, 1, 20000) <= 0)
			return 11;
		if ((p.revents & POLLOUT) && sent < len) {
			size_t want = len - sent < sizeof(wbuf) ? len - sent : sizeof(wbuf);

			for (i = 0; i < want; i++)
				wbuf[i] = pattern(sent + i);
			n = write(fd, wbuf, want);
			if (n > 0)
				sent += (size_t)n;
			if (sent == len)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			n = read(fd, rbuf, sizeof(rbuf));
			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN)
				return 12;
			for (i = 0; n > 0 && i < (size_t)n; i++)
				if (rbuf[i] != pattern(got + i))
					return 13;
			got += n > 0 ? (size_t)n : 0;
		}
	}
	close(fd);
	return got == len ? 0 : 14;
}

static int child_udp(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	char buf[64];
	struct timeval tv = {.tv_sec = 1};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), tries = 0;
	ssize_t n;

	inet_pton(AF_INET, "10.77.0.3", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do { /* the lossy link may eat either datagram */
		if (sendto(fd, "hello", 5, 0, (struct sockaddr *)&sa, sizeof(sa)) != 5)
			return 20;
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n < 0 && ++tries < 8);
	close(fd);
	return n == 5 && memcmp(buf, "HELLO", 5) == 0 ? 0 : 21;
}

/* One echo request on a raw socket; the reply must come from the pinged address. */
static int child_ping(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET}, from;
	uint8_t req[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', '!', '!', '!', '!'};
	uint8_t buf[256];
	struct timeval tv = {.tv_sec = 1};
	socklen_t fl = sizeof(from);
	uint32_t sum = 0;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), tries = 0;
	size_t i;
	ssize_t n;

	inet_pton(AF_INET, "10.77.0.9", &sa.sin_addr);
	for (i = 0; i < sizeof(req); i += 2)
		sum += (uint32_t)(req[i] << 8 | req[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	req[2] = (uint8_t)(~sum >> 8);
	req[3] = (uint8_t)~sum;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do {
		if (fd < 0 ||
		    sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 30;
		do {
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		} while (n >= 28 && buf[20] != 0); /* skip our own request */
	} while (n < 0 && ++tries < 8);
	close(fd);
	if (n != 20 + (ssize_t)sizeof(req) || from.sin_addr.s_addr != sa.sin_addr.s_addr)
		return 31;
	return memcmp(buf + 24, req + 4, sizeof(req) - 4) == 0 ? 0 : 32;
}

static int child_main(void)
{
	int r = child_tcp("10.77.0.2", STREAM_LEN);

	if (r == 0)
		r = child_tcp("fd77::2", 100000) ? 40 : 0;
	if (r == 0)
		r = child_udp();
	if (r == 0)
		r = child_ping();
	return r;
}

/* The stack's side: an echo application with back-pressure both ways. */
static void echo_pump(struct echo *x)
{
	for (;;) {
		ssize_t n;

		if (x->plen > 0) {
			n = ns_tcp_send(x->c, x->pend, x->plen);
			if (n < 0)
				return; /* -EAGAIN: writable follows */
			memmove(x->pend, x->pend + n, x->plen - (size_t)n);
			x->plen -= (size_t)n;
			if (x->plen > 0)
				return;
		}
		if (x->eof) {
			if (!x->shut)
				ns_tcp_shutdown_write(x->c);
			x->shut = true;
			return;
		}
		n = ns_tcp_recv(x->c, x->pend, sizeof(x->pend));
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			x->eof = true;
			continue;
		}
		x->plen = (size_t)n;
		x->e->total += (size_t)n;
	}
}

static void echo_readable(void *arg)
{
	echo_pump(arg);
}

static void echo_closed(void *arg, int err)
{
	struct echo *x = arg;

	if (err == 0)
		x->e->finished++;
	ns_tcp_close(x->c);
	free(x);
}

static const struct ns_tcp_callbacks echo_cb = {echo_readable, echo_readable, echo_closed};

/* A lossy link when asked: deterministic xorshift. */
static bool lose(struct e2e *e)
{
	if (e->loss == 0)
		return false;
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	if (e->rng % 1000 >= e->loss)
		return false;
	e->dropped++;
	return true;
}

static void on_output(void *arg, const uint8_t *pkt, size_t len)
{
	struct e2e *e = arg;

	if (lose(e))
		return;
	if (write(e->tun, pkt, len) != (ssize_t)len)
		print_message("tun write failed: %s\n", strerror(errno));
}

static void on_accept(void *arg, struct ns_tcp *c, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst)
{
	struct e2e *e = arg;
	const struct sockaddr_in *d = (const struct sockaddr_in *)dst;
	struct echo *x;

	e->accepted++;
	if (d->sin_port != htons(80)) {
		ns_tcp_abort(c);
		return;
	}
	x = xcalloc(1, sizeof(*x));
	x->e = e;
	x->c = c;
	ns_tcp_set_callbacks(c, &echo_cb, x);
}

static void on_udp(void *arg, const struct sockaddr_storage *src,
		   const struct sockaddr_storage *dst, const uint8_t *data, size_t len)
{
	struct e2e *e = arg;
	uint8_t up[64];
	size_t i;

	if (len > sizeof(up))
		return;
	for (i = 0; i < len; i++)
		up[i] = (uint8_t)(data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i]);
	e->udp++;
	ns_udp_send(e->s, dst, src, up, len);
}

static void on_tun(struct loop_io *io, uint32_t events)
{
	struct e2e *e = io->arg;
	static uint8_t buf[65536];
	ssize_t n;
	int i;

	for (i = 0; i < 256 && (n = read(e->tun, buf, sizeof(buf))) > 0; i++)
		if (!lose(e))
			ns_input(e->s, buf, (size_t)n);
}

/* Polls the child; once it exited, waits (bounded) for both connections to finish closing,
 * since on a lossy link our FIN may still be retransmitted. */
static void on_tick(struct loop_timer *t)
{
	struct e2e *e = t->arg;

	if (!e->done && waitpid(e->child, &e->status, WNOHANG) == e->child)
		e->done = true;
	if ((e->done && e->finished >= 2) || ++e->ticks > 3000) {
		loop_stop(e->l);
		return;
	}
	loop_timer_arm(e->l, t, 10);
}

static int tun_open(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void run_e2e(unsigned loss)
{
	static const struct ns_callbacks cb = {on_output, on_accept, on_udp, NULL};
	struct e2e *e;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0 ||
	    unshare(CLONE_NEWNET) != 0) {
		print_message("skipped: needs root, /dev/net/tun and network namespaces\n");
		skip();
	}
	e = xcalloc(1, sizeof(*e));
	e->loss = loss;
	e->rng = 0x9e3779b97f4a7c15ull;
	e->tun = tun_open();
	if (e->tun < 0 || system("ip link set lo up && ip addr add 10.77.0.1/24 dev " TUN_NAME
				 " && ip addr add fd77::1/64 dev " TUN_NAME
				 " nodad && ip link set " TUN_NAME " mtu 1420 up") != 0) {
		print_message("skipped: cannot set up the TUN device\n");
		free(e);
		skip();
	}
	e->l = loop_new();
	assert_int_equal(ns_new(e->l, &cb, e, &e->s), 0);
	loop_io_init(&e->io, e->tun, on_tun, e);
	assert_int_equal(loop_io_set(e->l, &e->io, EPOLLIN), 0);
	e->child = fork();
	assert_true(e->child >= 0);
	if (e->child == 0)
		_exit(child_main());
	loop_timer_init(&e->tick, on_tick, e);
	loop_timer_arm(e->l, &e->tick, 10);
	assert_int_equal(loop_run(e->l), 0);
	if (!e->done) {
		kill(e->child, SIGKILL);
		waitpid(e->child, NULL, 0);
	}
	print_message("echoed %zu bytes; dropped %llu; retransmits %llu, fast %llu\n", e->total,
		      (unsigned long long)e->dropped,
		      (unsigned long long)ns_counters(e->s)->retransmits,
		      (unsigned long long)ns_counters(e->s)->fast_retransmits);
	assert_true(e->done);
	assert_true(WIFEXITED(e->status));
	assert_int_equal(WEXITSTATUS(e->status), 0);
	assert_int_equal(e->total, STREAM_LEN + 100000);
	assert_int_equal(e->accepted, 2);
	assert_int_equal(e->finished, 2);
	assert_true(ns_counters(e->s)->icmp_echo >= 1);
	assert_true(e->udp >= 1);
	assert_int_equal(ns_counters(e->s)->bad_checksum, 0);
	loop_io_del(e->l, &e->io);
	ns_free(e->s);
	loop_free(e->l);
	close(e->tun);
	free(e);
}

static void test_linux_tcp_through_tun(void **state)
{
	run_e2e(0);
}

/* 2% of packets lost each way: retransmission, fast retransmit and out-of-order reassembly
 * against Linux's TCP. */
static void test_linux_tcp_lossy_link(void **state)
{
	run_e2e(20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_linux_tcp_through_tun),
	    cmocka_unit_test(test_linux_tcp_lossy_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
