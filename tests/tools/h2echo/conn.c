/* h2echo: moving bytes between a socket (maybe TLS) and an h2 session. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2echo.h"

/* An SSL_read or SSL_write result as read(2) and write(2) give theirs. */
static ssize_t ssl_result(struct econn *c, int k)
{
	if (k > 0)
		return k;
	switch (SSL_get_error(c->ssl, k)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		errno = EPROTO;
		return -1;
	}
}

static ssize_t io_read(struct econn *c, uint8_t *buf, size_t n)
{
	if (c->ssl == NULL)
		return read(c->fd, buf, n);
	ERR_clear_error(); /* SSL_get_error reads the thread's queue: another connection's stale
			      error would turn this one's WANT_READ into a fatal error */
	return ssl_result(c, SSL_read(c->ssl, buf, (int)n));
}

static ssize_t io_write(struct econn *c, const uint8_t *p, size_t n)
{
	if (c->ssl == NULL)
		return write(c->fd, p, n);
	ERR_clear_error();
	return ssl_result(c, SSL_write(c->ssl, p, (int)n));
}

int econn_read(struct econn *c)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = io_read(c, buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			c->eof = true;
			return -1;
		}
		if (h2_feed(c->h2, buf, (size_t)n) != 0)
			return 0; /* the GOAWAY still goes out */
	}
}

int econn_flush(struct econn *c, bool *blocked)
{
	const uint8_t *p;
	size_t n;

	*blocked = false;
	for (;;) {
		ssize_t k;

		if (h2_out(c->h2, &p, &n) != 0)
			return -1;
		if (n == 0)
			return 0;
		k = io_write(c, p, n);
		if (k < 0 && errno == EAGAIN) {
			*blocked = true;
			return 0;
		}
		if (k <= 0)
			return -1;
		h2_out_done(c->h2, (size_t)k);
	}
}

void econn_close(struct econn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error(); /* a failed shutdown's error must not outlive it */
	}
	h2_free(c->h2);
	close(c->fd);
}

int fcntl_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* h2 writes a window's worth and waits for the peer's WINDOW_UPDATE: without this the last
 * small frame waits for a delayed ACK (40 ms) every window. */
void tcp_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
