/* Test tool built from snare's QUIC module (daemon/quic): plays a flood of QUIC clients that
 * never finish their handshake, as from spoofed addresses, and bad input, against a QUIC server
 * on loopback or in a test's namespace. Trusts its command line.
 *   quicflood ADDR:PORT N SNI
 *       N clients, each from a socket (a source port) of its own, send their first Initial
 *       (ALPN h3) and never answer; then one socket sends a datagram that is not QUIC, an
 *       Initial cut short and an Initial whose Length field is larger than the datagram. Waits
 *       two seconds and prints "sent N retry R other O": R the clients answered with a Retry
 *       packet, O those answered with anything else. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "quic/quic.h"
#include "tool_addr.h"

#define MAX_CLIENTS 512
#define DGRAM_MAX 1500

struct client {
	int fd;
	bool retry, other;
};

static uint8_t first[DGRAM_MAX]; /* the first client's first datagram: bad input is made of it */
static size_t first_len;

static void send_cb(void *arg, const uint8_t *p, size_t n)
{
	struct client *c = arg;

	if (first_len == 0 && n <= sizeof(first)) {
		memcpy(first, p, n);
		first_len = n;
	}
	(void)send(c->fd, p, n, 0);
}

static int connected_socket(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One client's first flight; the connection is dropped at once, its socket kept to count
 * answers. */
static int client_start(struct client *c, const struct sockaddr_in *to, const char *sni,
			const struct quic_trust *trust)
{
	struct quic_client_opts o = {.sni = sni, .alpn = {"h3", NULL}, .trust = trust};
	struct quic_callbacks cb = {.send = send_cb};
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	struct quic_path path = {.local = (struct sockaddr *)&local,
				 .local_len = sizeof(local),
				 .remote = (const struct sockaddr *)to,
				 .remote_len = sizeof(*to)};
	const char *err = "";
	struct quic_conn *qc;

	if ((c->fd = connected_socket(to)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&local, &len) < 0)
		return -1;
	qc = quic_client_new(&o, &path, &cb, c, &err);
	if (qc == NULL) {
		fprintf(stderr, "quicflood: %s\n", err);
		return -1;
	}
	quic_conn_free(qc);
	return 0;
}

/* The Length field of the Initial in first[]: its offset and size, or 0 when it cannot be
 * found. */
static size_t length_field(size_t *size)
{
	size_t off = 5, tl;

	if (first_len < 7)
		return 0;
	off += 1 + first[off]; /* DCID */
	if (off >= first_len)
		return 0;
	off += 1 + first[off]; /* SCID */
	if (off >= first_len)
		return 0;
	tl = (size_t)1 << (first[off] >> 6); /* the token length's varint (0 without a token) */
	off += tl;
	*size = off < first_len ? (size_t)1 << (first[off] >> 6) : 0;
	return off + *size <= first_len ? off : 0;
}

static void send_bad(const struct sockaddr_in *to)
{
	static const char junk[] = "this is not QUIC at all";
	uint8_t bogus[DGRAM_MAX];
	size_t size = 0, off = length_field(&size);
	int fd = connected_socket(to);

	if (fd < 0)
		return;
	(void)send(fd, junk, sizeof(junk) - 1, 0);
	(void)send(fd, first, first_len / 2, 0); /* an Initial cut short */
	memcpy(bogus, first, first_len);
	if (off && size == 2) { /* Length 16383: far beyond the datagram's end */
		bogus[off] = 0x7f;
		bogus[off + 1] = 0xff;
		(void)send(fd, bogus, first_len, 0);
	}
	close(fd);
}

static void count_answers(struct client *cl, size_t n)
{
	struct pollfd *pfd = xcalloc(n, sizeof(*pfd));
	uint64_t end = clock_ms() + 2000;
	uint8_t buf[DGRAM_MAX];

	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){cl[i].fd, POLLIN, 0};
	while (clock_ms() < end) {
		if (poll(pfd, n, 200) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			ssize_t r;

			while ((r = recv(cl[i].fd, buf, sizeof(buf), 0)) > 0) {
				/* a long header of type Retry (v1: type bits 3) */
				if ((buf[0] & 0xf0) == 0xf0)
					cl[i].retry = true;
				else
					cl[i].other = true;
			}
		}
	}
	free(pfd);
}

int main(int argc, char **argv)
{
	struct sockaddr_in to;
	struct client *cl;
	struct quic_trust *trust;
	const char *err = "";
	size_t n, sent = 0, retry = 0, other = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4 || tool_parse_addr(argv[1], &to) < 0 || (n = (size_t)atoi(argv[2])) == 0 ||
	    n > MAX_CLIENTS) {
		fprintf(stderr, "usage: quicflood ADDR:PORT N SNI (N up to %d)\n", MAX_CLIENTS);
		return 2;
	}
	if ((trust = quic_trust_new(QUIC_VERIFY_INSECURE, NULL, &err)) == NULL) {
		fprintf(stderr, "quicflood: %s\n", err);
		return 1;
	}
	cl = xcalloc(n, sizeof(*cl));
	for (size_t i = 0; i < n; i++)
		if (client_start(&cl[i], &to, argv[3], trust) == 0)
			sent++;
	send_bad(&to);
	count_answers(cl, n);
	for (size_t i = 0; i < n; i++) {
		retry += cl[i].retry;
		other += cl[i].other && !cl[i].retry;
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	}
	printf("sent %zu retry %zu other %zu\n", sent, retry, other);
	free(cl);
	quic_trust_free(trust);
	return sent == n ? 0 : 1;
}
