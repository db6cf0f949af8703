/*
 * hsclient: HTTPS load client of bench/run.sh, run on the load-generator core.
 * Trusts nothing it reads (bounded header parsing; peer verification off unless -C is given).
 * Keeps N connections busy, optionally through an HTTP proxy (CONNECT), doing keep-alive GETs
 * (requests/s) or one full TLS handshake + one GET per connection (connections/s), or opens N
 * connections, completes one GET on each and holds them idle (the proxy's memory per connection).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HS_HEAD_MAX 16384
#define HS_CONNS_MAX 20000 /* the idle case holds 10,000 (docs/performance.md) */
#define HS_EVENTS 256
#define HS_OK (-1)
#define HS_IDLE_BURST 64    /* idle mode: connections being set up at once */
#define HS_IDLE_SETUP 120.0 /* idle mode: seconds allowed for setting them all up */

enum hs_state {
	ST_TCP,
	ST_PROXY_SEND,
	ST_PROXY_RECV,
	ST_TLS,
	ST_REQ_SEND,
	ST_HEAD,
	ST_BODY,
	ST_IDLE
};

struct hs_conn {
	int fd;
	SSL *ssl;
	enum hs_state st;
	size_t off;	     /* bytes of the current request already sent */
	size_t len;	     /* bytes in head */
	long long body_left; /* body bytes still expected */
	char head[HS_HEAD_MAX];
};

struct hs_opts {
	const char *proxy;  /* host:port or NULL */
	const char *target; /* host:port */
	const char *path;
	const char *cafile;
	const char *need_header;
	int conns;
	double seconds;
	int handshake; /* 1: new connection + full handshake per request */
	int idle;      /* 1: one request per connection, then hold it open */
};

struct hs_stats {
	unsigned long long requests, conns, errors, bytes;
	unsigned long long idle, dropped; /* idle mode: parked, then closed by the peer */
	unsigned long long answered;	  /* idle mode: answered a second GET after the hold */
	unsigned long long err_kind[8];
};

enum { E_TCP, E_PROXY, E_TLS, E_IO, E_STATUS, E_FRAMING, E_HEADER, E_EOF };
static const char *hs_err_names[] = {"tcp",	"proxy",	  "tls", "io", "status",
				     "framing", "missing-header", "eof"};

static struct hs_opts opt;
static struct hs_stats st;
static int rechecking; /* idle mode: the second GET on every idle connection is under way */
static SSL_CTX *ctx;
static int epfd;
static struct sockaddr_in dial_addr;
static char req_buf[1024], connect_buf[512];
static size_t req_len, connect_len;
static char scratch[1 << 16];

static double hs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hs_usage(void)
{
	fprintf(stderr,
		"usage: hsclient [-x PROXY_HOST:PORT] [-c CONNS] [-d SECONDS] [-m "
		"keepalive|handshake|idle]\n"
		"                [-C CAFILE] [-r HEADER] HOST:PORT PATH\n"
		"  prints: requests N conns N errors N seconds S rps R cps C mbps M\n"
		"  idle mode: 'ready idle N errors E' once all are set up, then holds\n"
		"  them SECONDS and prints 'idle N errors E dropped D', then sends one more\n"
		"  GET on each and prints 'answered N of M errors E'\n");
	exit(2);
}

static int hs_parse_addr(const char *hp, struct sockaddr_in *sa)
{
	char host[256];
	const char *colon = strrchr(hp, ':');

	if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static void hs_conn_close(struct hs_conn *c)
{
	if (c->ssl != NULL) {
		if (c->st > ST_TLS)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int hs_conn_open(struct hs_conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP};
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = ST_TCP;
	c->off = c->len = 0;
	c->body_left = 0;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&dial_addr, sizeof(dial_addr)) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	return 0;
}

/* >0 bytes moved, 0 would block, <0 error or EOF (-EPIPE) */
static ssize_t hs_tls_io(struct hs_conn *c, void *buf, size_t n, int writing)
{
	int r = writing ? SSL_write(c->ssl, buf, (int)n) : SSL_read(c->ssl, buf, (int)n);

	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return -EPIPE;
	default:
		ERR_clear_error();
		return -EIO;
	}
}

static ssize_t hs_raw_io(struct hs_conn *c, void *buf, size_t n, int writing)
{
	ssize_t r = writing ? send(c->fd, buf, n, MSG_NOSIGNAL) : recv(c->fd, buf, n, 0);

	if (r > 0)
		return r;
	if (r == 0)
		return -EPIPE;
	return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
}

static ssize_t hs_io(struct hs_conn *c, void *buf, size_t n, int writing)
{
	return c->ssl != NULL ? hs_tls_io(c, buf, n, writing) : hs_raw_io(c, buf, n, writing);
}

/* Sends the rest of buf; 1 done, 0 would block, <0 error. */
static int hs_send_all(struct hs_conn *c, const char *buf, size_t len)
{
	while (c->off < len) {
		ssize_t r = hs_io(c, (char *)buf + c->off, len - c->off, 1);

		if (r <= 0)
			return (int)r;
		c->off += (size_t)r;
	}
	c->off = 0;
	return 1;
}

/*
 * Reads until the head holds "\r\n\r\n"; 1 done, 0 would block, <0 error. Safe for the proxy's
 * CONNECT answer too: nothing follows it before our ClientHello.
 */
static int hs_recv_head(struct hs_conn *c)
{
	for (;;) {
		char *end;
		ssize_t r;

		c->head[c->len] = '\0';
		end = strstr(c->head, "\r\n\r\n");
		if (end != NULL)
			return 1;
		if (c->len >= HS_HEAD_MAX - 1)
			return -E2BIG;
		r = hs_io(c, c->head + c->len, HS_HEAD_MAX - 1 - c->len, 0);
		if (r <= 0)
			return (int)r;
		c->len += (size_t)r;
	}
}

static int hs_status(const char *head)
{
	if (strncmp(head, "HTTP/1.", 7) != 0 || strlen(head) < 12)
		return -1;
	return atoi(head + 9);
}

static int hs_fail(struct hs_conn *c, int kind)
{
	st.errors++;
	st.err_kind[kind]++;
	hs_conn_close(c);
	return -1;
}

static int hs_start_tls(struct hs_conn *c)
{
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -ENOMEM;
	SSL_set_connect_state(c->ssl);
	c->st = ST_TLS;
	c->len = 0;
	return 0;
}

/* Parses the response head and sets body_left; HS_OK or the error kind. */
static int hs_on_head(struct hs_conn *c)
{
	char *end = strstr(c->head, "\r\n\r\n") + 4;
	size_t head_len = (size_t)(end - c->head), extra = c->len - head_len;
	char *cl;

	*(end - 2) = '\0';
	if (hs_status(c->head) != 200)
		return E_STATUS;
	if (opt.need_header != NULL && strcasestr(c->head, opt.need_header) == NULL)
		return E_HEADER;
	cl = strcasestr(c->head, "\r\ncontent-length:");
	if (cl == NULL)
		return E_FRAMING;
	c->body_left = atoll(cl + 17) - (long long)extra;
	if (c->body_left < 0)
		return E_FRAMING;
	c->len = 0;
	c->st = ST_BODY;
	return HS_OK;
}

static int hs_on_response(struct hs_conn *c)
{
	st.requests++;
	if (opt.idle) {
		c->st = ST_IDLE;
		if (rechecking)
			st.answered++;
		else
			st.idle++;
		return 1;
	}
	if (!opt.handshake) {
		c->st = ST_REQ_SEND;
		return 0;
	}
	st.conns++;
	hs_conn_close(c);
	return hs_conn_open(c) < 0 ? hs_fail(c, E_TCP) : 1;
}

/* An idle connection saw an event: anything but more nothing means the peer dropped it. */
static int hs_idle_event(struct hs_conn *c)
{
	ssize_t r = hs_io(c, scratch, sizeof(scratch), 0);

	if (r == 0)
		return 0;
	st.dropped++;
	hs_conn_close(c);
	return -1;
}

/* Runs one connection's state machine until it would block. */
static int hs_step(struct hs_conn *c, uint32_t events)
{
	int r = 0, kind;

	for (;;) {
		switch (c->st) {
		case ST_TCP: {
			int err = 0;
			socklen_t sl = sizeof(err);

			if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				return 0;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			if (err != 0)
				return hs_fail(c, E_TCP);
			if (opt.proxy != NULL)
				c->st = ST_PROXY_SEND;
			else if (hs_start_tls(c) < 0)
				return hs_fail(c, E_TLS);
			break;
		}
		case ST_PROXY_SEND:
			r = hs_send_all(c, connect_buf, connect_len);
			if (r <= 0)
				goto wait;
			c->st = ST_PROXY_RECV;
			break;
		case ST_PROXY_RECV:
			r = hs_recv_head(c);
			if (r <= 0)
				goto wait;
			if (hs_status(c->head) != 200)
				return hs_fail(c, E_PROXY);
			if (hs_start_tls(c) < 0)
				return hs_fail(c, E_TLS);
			break;
		case ST_TLS:
			r = SSL_do_handshake(c->ssl);
			if (r != 1) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return 0;
				ERR_clear_error();
				return hs_fail(c, E_TLS);
			}
			c->st = ST_REQ_SEND;
			break;
		case ST_REQ_SEND:
			r = hs_send_all(c, req_buf, req_len);
			if (r <= 0)
				goto wait;
			c->st = ST_HEAD;
			c->len = 0;
			break;
		case ST_HEAD:
			r = hs_recv_head(c);
			if (r <= 0)
				goto wait;
			st.bytes += c->len;
			kind = hs_on_head(c);
			if (kind != HS_OK)
				return hs_fail(c, kind);
			break;
		case ST_BODY:
			while (c->body_left > 0) {
				size_t want = c->body_left < (long long)sizeof(scratch)
						  ? (size_t)c->body_left
						  : sizeof(scratch);
				ssize_t n = hs_io(c, scratch, want, 0);

				if (n <= 0) {
					r = (int)n;
					goto wait;
				}
				c->body_left -= n;
				st.bytes += (unsigned long long)n;
			}
			r = hs_on_response(c);
			if (r != 0)
				return r;
			break;
		case ST_IDLE:
			return hs_idle_event(c);
		}
	}
wait:
	if (r == 0)
		return 0;
	return hs_fail(c, r == -EPIPE ? E_EOF : (c->st < ST_TLS ? E_PROXY : E_IO));
}

static void hs_build_requests(void)
{
	req_len =
	    (size_t)snprintf(req_buf, sizeof(req_buf),
			     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: snare-hsclient\r\n"
			     "Accept: */*\r\n%s\r\n",
			     opt.path, opt.target, opt.handshake ? "Connection: close\r\n" : "");
	connect_len =
	    (size_t)snprintf(connect_buf, sizeof(connect_buf),
			     "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", opt.target, opt.target);
	if (req_len >= sizeof(req_buf) || connect_len >= sizeof(connect_buf)) {
		fprintf(stderr, "hsclient: path or target too long\n");
		exit(2);
	}
}

static SSL_CTX *hs_make_ctx(void)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (c == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* every handshake is a full one: no session cache, no tickets */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_alpn_protos(c, alpn, sizeof(alpn) - 1);
	if (opt.cafile != NULL) {
		if (SSL_CTX_load_verify_locations(c, opt.cafile, NULL) != 1) {
			SSL_CTX_free(c);
			return NULL;
		}
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	}
	return c;
}

static void hs_parse_opts(int argc, char **argv)
{
	int ch;

	opt.conns = 50;
	opt.seconds = 10;
	while ((ch = getopt(argc, argv, "x:c:d:m:C:r:")) != -1) {
		switch (ch) {
		case 'x':
			opt.proxy = optarg;
			break;
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'd':
			opt.seconds = atof(optarg);
			break;
		case 'C':
			opt.cafile = optarg;
			break;
		case 'r':
			opt.need_header = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "handshake") == 0)
				opt.handshake = 1;
			else if (strcmp(optarg, "idle") == 0)
				opt.idle = 1;
			else if (strcmp(optarg, "keepalive") != 0)
				hs_usage();
			break;
		default:
			hs_usage();
		}
	}
	if (argc - optind != 2 || opt.conns < 1 || opt.conns > HS_CONNS_MAX || opt.seconds <= 0)
		hs_usage();
	opt.target = argv[optind];
	opt.path = argv[optind + 1];
}

static void hs_report(double elapsed)
{
	printf("requests %llu conns %llu errors %llu seconds %.3f rps %.1f cps %.1f mbps %.1f\n",
	       st.requests, st.conns, st.errors, elapsed, st.requests / elapsed, st.conns / elapsed,
	       st.bytes * 8.0 / 1e6 / elapsed);
	for (size_t i = 0; i < sizeof(st.err_kind) / sizeof(st.err_kind[0]); i++)
		if (st.err_kind[i] != 0)
			fprintf(stderr, "hsclient: %llu %s errors\n", st.err_kind[i],
				hs_err_names[i]);
}

static void hs_run(struct hs_conn *conns)
{
	struct epoll_event evs[HS_EVENTS];
	double t0 = hs_now(), deadline = t0 + opt.seconds, now = t0;

	for (int i = 0; i < opt.conns; i++)
		if (hs_conn_open(&conns[i]) < 0)
			hs_fail(&conns[i], E_TCP);
	while (now < deadline) {
		int n = epoll_wait(epfd, evs, HS_EVENTS, 50);

		for (int i = 0; i < n; i++) {
			struct hs_conn *c = evs[i].data.ptr;

			if (c->fd >= 0 && hs_step(c, evs[i].events) < 0 && hs_now() < deadline &&
			    hs_conn_open(c) < 0)
				hs_fail(c, E_TCP);
		}
		now = hs_now();
		for (int i = 0; i < opt.conns; i++) /* reopen slots lost to errors */
			if (conns[i].fd < 0 && now < deadline && hs_conn_open(&conns[i]) < 0)
				hs_fail(&conns[i], E_TCP);
	}
	hs_report(now - t0);
}

/* Idle mode, after the hold: one more GET on every connection still open; prints
 * 'answered N of M errors E' (are they all still served?). */
static void hs_recheck(struct hs_conn *conns)
{
	struct epoll_event evs[HS_EVENTS];
	unsigned long long asked = 0, errors0 = st.errors;
	double deadline = hs_now() + HS_IDLE_SETUP;

	rechecking = 1;
	for (int i = 0; i < opt.conns; i++)
		if (conns[i].fd >= 0 && conns[i].st == ST_IDLE) {
			conns[i].st = ST_REQ_SEND;
			asked++;
			hs_step(&conns[i], EPOLLOUT);
		}
	while (st.answered + st.errors - errors0 < asked && hs_now() < deadline) {
		int n = epoll_wait(epfd, evs, HS_EVENTS, 50);

		for (int i = 0; i < n; i++) {
			struct hs_conn *c = evs[i].data.ptr;

			if (c->fd >= 0 && c->st != ST_IDLE)
				hs_step(c, evs[i].events);
		}
	}
	printf("answered %llu of %llu errors %llu\n", st.answered, asked, st.errors - errors0);
}

/* Idle mode: sets up every connection (HS_IDLE_BURST at a time), says so, holds them. */
static void hs_run_idle(struct hs_conn *conns)
{
	struct epoll_event evs[HS_EVENTS];
	double t0 = hs_now(), ready_at = 0, now = t0;
	int next = 0;

	while (ready_at == 0 || now < ready_at + opt.seconds) {
		int n;

		while (next < opt.conns &&
		       (unsigned long long)next - st.idle - st.errors < HS_IDLE_BURST) {
			if (hs_conn_open(&conns[next]) < 0)
				hs_fail(&conns[next], E_TCP);
			next++;
		}
		if (ready_at == 0 && (st.idle + st.errors == (unsigned long long)opt.conns ||
				      now - t0 > HS_IDLE_SETUP)) {
			printf("ready idle %llu errors %llu setup_seconds %.1f\n", st.idle,
			       st.errors, now - t0);
			fflush(stdout);
			ready_at = now;
		}
		n = epoll_wait(epfd, evs, HS_EVENTS, 50);
		for (int i = 0; i < n; i++) {
			struct hs_conn *c = evs[i].data.ptr;

			if (c->fd >= 0)
				hs_step(c, evs[i].events);
		}
		now = hs_now();
	}
	printf("idle %llu errors %llu dropped %llu\n", st.idle, st.errors, st.dropped);
	hs_recheck(conns);
	hs_report(now - t0);
}

int main(int argc, char **argv)
{
	struct hs_conn *conns;

	hs_parse_opts(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (hs_parse_addr(opt.proxy != NULL ? opt.proxy : opt.target, &dial_addr) < 0)
		hs_usage();
	hs_build_requests();
	ctx = hs_make_ctx();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	conns = calloc((size_t)opt.conns, sizeof(*conns));
	if (ctx == NULL || epfd < 0 || conns == NULL) {
		fprintf(stderr, "hsclient: setup failed\n");
		return 1;
	}
	for (int i = 0; i < opt.conns; i++)
		conns[i].fd = -1;
	if (opt.idle)
		hs_run_idle(conns);
	else
		hs_run(conns);
	return 0;
}
