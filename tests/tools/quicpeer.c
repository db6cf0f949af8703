/* Test tool built from snare's QUIC module (daemon/quic): a peer for the integration tests, on
 * plain UDP sockets and poll, on loopback or in a test's namespaces. Trusts its command line.
 *   quicpeer server ADDR:PORT CERT KEY [--retry] [--keylog FILE] [--sandbox] [--no-trailers]
 *       HTTP/3 (ALPN h3: 200 with "hello from quicpeer PATH", followed by " body N bytes fnv
 *       HASH" (FNV-1a 64, hex) when the request had a body; the request's :authority and
 *       authorization in x-quicpeer-authority and -authorization; trailers x-quicpeer: done,
 *       unless --no-trailers: headless Chromium's --dump-dom never ends on a page whose
 *       HTTP/3 response has trailers, from ngtcp2's example server as from this one) and
 *       raw QUIC (ALPN snare-raw: echoes each stream and DATAGRAM frames back) server.
 *   quicpeer get ADDR:PORT URL (--cafile FILE | -k) [--keylog FILE] [--sandbox] [--wait S]
 *                [--linger]
 *       HTTP/3 GET; prints ":status N", the body and trailers; exit 0 on 200. It waits S
 *       seconds (10) for the response, sending nothing meanwhile (no PING: a quiet client);
 *       with --linger it then keeps the connection, quiet, until it closes or the S seconds
 *       are over, and prints how it closed ("ERR_IDLE_CLOSE": its idle timeout).
 *   quicpeer raw ADDR:PORT SNI (--cafile FILE | -k) [--sandbox]
 *       raw QUIC: a bidirectional stream, a unidirectional one and a datagram, each echoed.
 *   quicpeer sni ADDR:PORT
 *       reads client Initials with the Initial reader; prints version, sni and alpn.
 *   quicpeer sandbox-check
 *       loads the worker's seccomp list and calls execve: killed by SIGSYS if it works.
 * --sandbox loads the worker's seccomp list (policy/seccomp_worker.c) once the socket, the
 * certificate and the trust setting are loaded, as a worker would: the handshake, HTTP/3, raw
 * streams and datagrams then run under it (a syscall outside the list kills the process). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox.h"
#include "quic/initial.h"
#include "quic/quic.h"
#include "tool_addr.h"
#include "core/unconst.h"

#define MAX_PEERS 64 /* a server behind snare under an Initial flood sees a few at once */
#define RAW_ALPN "snare-raw"

struct peer {
	struct quic_conn *c;
	struct quic_h3 *h3;
	struct sockaddr_in remote;
	char path[256], authority[256],
	    auth[256];		   /* server: the request's :authority, authorization */
	uint64_t body_n, body_fnv; /* server: the request body's length and FNV-1a hash */
	int done;		   /* client: 1 success, -1 failure */
	int want;		   /* raw client: echoes still expected */
	FILE *keylog;
};

static int sock = -1;
static struct sockaddr_in local;
static struct peer peers[MAX_PEERS];
static bool no_trailers; /* server --no-trailers */

static void send_cb(void *arg, const uint8_t *p, size_t n)
{
	struct peer *pr = arg;

	if (sendto(sock, p, n, 0, (struct sockaddr *)&pr->remote, sizeof(pr->remote)) < 0)
		perror("quicpeer: sendto");
}

static void keylog_cb(void *arg, const char *line)
{
	struct peer *pr = arg;

	if (pr->keylog) {
		fprintf(pr->keylog, "%s\n", line);
		fflush(pr->keylog);
	}
}

static void field(struct quic_h3_field *f, const char *n, const char *v)
{
	f->name = (const uint8_t *)n;
	f->name_len = strlen(n);
	f->value = (const uint8_t *)v;
	f->value_len = strlen(v);
}

/* The whole file, NUL-terminated; NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = xmalloc((size_t)n + 1);
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

/* ---- server ---- */

static void srv_head(void *arg, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct peer *pr = arg;

	pr->body_n = 0;
	pr->body_fnv = 0xcbf29ce484222325ull;
	pr->authority[0] = pr->auth[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char *to = NULL;
		size_t cap = 0;

		if (f[i].name_len == 5 && memcmp(f[i].name, ":path", 5) == 0)
			to = pr->path, cap = sizeof(pr->path);
		else if (f[i].name_len == 10 && memcmp(f[i].name, ":authority", 10) == 0)
			to = pr->authority, cap = sizeof(pr->authority);
		else if (f[i].name_len == 13 && memcmp(f[i].name, "authorization", 13) == 0)
			to = pr->auth, cap = sizeof(pr->auth);
		if (to)
			snprintf(to, cap, "%.*s", (int)f[i].value_len, (const char *)f[i].value);
	}
}

static void srv_data(void *arg, int64_t id, const uint8_t *p, size_t n)
{
	struct peer *pr = arg;

	pr->body_n += n;
	for (size_t i = 0; i < n; i++)
		pr->body_fnv = (pr->body_fnv ^ p[i]) * 0x100000001b3ull;
}

/* "hello from quicpeer PATH", and what body came with the request if one did. */
static void srv_end(void *arg, int64_t id)
{
	struct peer *pr = arg;
	struct quic_h3_field h[5], t[1];
	char body[400];
	int n = pr->body_n == 0
		    ? snprintf(body, sizeof(body), "hello from quicpeer %s\n", pr->path)
		    : snprintf(body, sizeof(body),
			       "hello from quicpeer %s body %llu bytes fnv %016llx\n", pr->path,
			       (unsigned long long)pr->body_n, (unsigned long long)pr->body_fnv);
	char len[16];

	snprintf(len, sizeof(len), "%d", n);
	field(&h[0], ":status", "200");
	field(&h[1], "content-type", "text/plain");
	field(&h[2], "content-length", len);
	field(&h[3], "x-quicpeer-authority", pr->authority);
	field(&h[4], "x-quicpeer-authorization", pr->auth);
	field(&t[0], "x-quicpeer", "done");
	if (quic_h3_response(pr->h3, id, h, 5, false) < 0 ||
	    quic_h3_write(pr->h3, id, (const uint8_t *)body, (size_t)n, no_trailers) != n ||
	    (!no_trailers && quic_h3_trailers(pr->h3, id, t, 1) < 0))
		fprintf(stderr, "quicpeer: response on stream %lld failed\n", (long long)id);
}

static const struct quic_h3_callbacks srv_h3 = {.head = srv_head, .data = srv_data, .end = srv_end};

static void srv_handshake(void *arg)
{
	struct peer *pr = arg;

	printf("server: handshake alpn=%s sni=%s\n", quic_conn_alpn(pr->c), quic_conn_sni(pr->c));
	fflush(stdout);
	if (strcmp(quic_conn_alpn(pr->c), "h3") == 0)
		pr->h3 = quic_h3_attach(pr->c, &srv_h3, pr);
}

/* Raw echo: a bidirectional stream's bytes come back on it; a unidirectional one's on a new
 * unidirectional stream of ours, prefixed "echo:". */
static void srv_stream_data(void *arg, int64_t id, const uint8_t *p, size_t n, bool fin)
{
	struct peer *pr = arg;
	int64_t back;

	if (!(id & 2)) {
		quic_stream_write(pr->c, id, p, n, fin);
		return;
	}
	if (!fin || quic_stream_open(pr->c, false, &back) < 0)
		return;
	quic_stream_write(pr->c, back, (const uint8_t *)"echo:", 5, false);
	quic_stream_write(pr->c, back, p, n, true);
}

static void srv_datagram(void *arg, const uint8_t *p, size_t n)
{
	struct peer *pr = arg;
	int r = quic_datagram_send(pr->c, p, n);

	printf("server: datagram of %zu bytes echoed: %s\n", n, r == 0 ? "yes" : strerror(-r));
}

static const struct quic_callbacks srv_cb = {
    .send = send_cb,
    .handshake_done = srv_handshake,
    .stream_data = srv_stream_data,
    .datagram = srv_datagram,
    .keylog = keylog_cb,
};

static struct peer *peer_of(const struct sockaddr_in *from)
{
	for (int i = 0; i < MAX_PEERS; i++)
		if (peers[i].c && peers[i].remote.sin_port == from->sin_port &&
		    peers[i].remote.sin_addr.s_addr == from->sin_addr.s_addr)
			return &peers[i];
	return NULL;
}

static struct peer *peer_free_slot(void)
{
	for (int i = 0; i < MAX_PEERS; i++)
		if (!peers[i].c)
			return &peers[i];
	return NULL;
}

struct server_ctx {
	struct quic_server_opts opts;
	struct quic_retry_secret secret;
	bool retry, sandbox;
	FILE *keylog;
};

static void server_datagram(struct server_ctx *s, const uint8_t *d, size_t n,
			    const struct sockaddr_in *from)
{
	struct quic_path path = {(struct sockaddr *)&local, unconst(from), sizeof(local),
				 sizeof(*from)};
	struct peer *pr = peer_of(from);
	uint8_t out[1500], state[QUIC_CHECK_STATE];
	size_t out_len;
	const char *err = "";
	enum quic_accept a;

	if (pr) {
		quic_conn_recv(pr->c, d, n);
		return;
	}
	a = quic_server_check(d, n, &path, s->retry ? &s->secret : NULL, s->retry, out, sizeof(out),
			      &out_len, state);
	if (a == QUIC_ACCEPT_RETRY || a == QUIC_ACCEPT_VERSION) {
		printf("server: %s sent\n",
		       a == QUIC_ACCEPT_RETRY ? "retry" : "version negotiation");
		fflush(stdout);
		sendto(sock, out, out_len, 0, (const struct sockaddr *)from, sizeof(*from));
		return;
	}
	if (a != QUIC_ACCEPT || !(pr = peer_free_slot()))
		return;
	memset(pr, 0, sizeof(*pr));
	pr->remote = *from;
	pr->keylog = s->keylog;
	pr->c = quic_server_new(&s->opts, d, n, &path, state, &srv_cb, pr, &err);
	if (!pr->c)
		fprintf(stderr, "quicpeer: server connection: %s\n", err);
}

/* ---- client ---- */

static void cli_head(void *arg, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct peer *pr = arg;

	for (size_t i = 0; i < n; i++) {
		printf("%.*s %.*s\n", (int)f[i].name_len, (const char *)f[i].name,
		       (int)f[i].value_len, (const char *)f[i].value);
		if (f[i].name_len == 7 && memcmp(f[i].name, ":status", 7) == 0)
			pr->want = f[i].value_len == 3 && memcmp(f[i].value, "200", 3) == 0;
	}
}

static void cli_data(void *arg, int64_t id, const uint8_t *p, size_t n)
{
	fwrite(p, 1, n, stdout);
}

static void cli_trailers(void *arg, int64_t id, const struct quic_h3_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("trailer %.*s: %.*s\n", (int)f[i].name_len, (const char *)f[i].name,
		       (int)f[i].value_len, (const char *)f[i].value);
}

static void cli_end(void *arg, int64_t id)
{
	struct peer *pr = arg;

	pr->done = pr->want ? 1 : -1;
}

static void cli_reset(void *arg, int64_t id, uint64_t code)
{
	struct peer *pr = arg;

	printf("reset %llu\n", (unsigned long long)code);
	pr->done = -1;
}

static const struct quic_h3_callbacks cli_h3 = {.head = cli_head,
						.data = cli_data,
						.trailers = cli_trailers,
						.end = cli_end,
						.reset = cli_reset};

static const char *url_authority(const char *url, char *host, size_t cap)
{
	const char *p = strstr(url, "://"), *slash;

	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	snprintf(host, cap, "%.*s", (int)(slash ? (size_t)(slash - p) : strlen(p)), p);
	return slash ? slash : "/";
}

static void get_handshake(void *arg)
{
	struct peer *pr = arg;
	struct quic_h3_field f[5];
	char authority[256];
	const char *path = url_authority(pr->path, authority, sizeof(authority));
	int64_t id;

	printf("client: handshake alpn=%s\n", quic_conn_alpn(pr->c));
	field(&f[0], ":method", "GET");
	field(&f[1], ":scheme", "https");
	field(&f[2], ":authority", authority);
	field(&f[3], ":path", path);
	field(&f[4], "user-agent", "quicpeer");
	if (quic_h3_request(pr->h3, f, 5, true, &id) < 0)
		pr->done = -1;
}

static void raw_handshake(void *arg)
{
	struct peer *pr = arg;
	int64_t bidi, uni;

	printf("client: handshake alpn=%s\n", quic_conn_alpn(pr->c));
	if (quic_stream_open(pr->c, true, &bidi) < 0 || quic_stream_open(pr->c, false, &uni) < 0 ||
	    quic_stream_write(pr->c, bidi, (const uint8_t *)"ping-bidi", 9, true) != 9 ||
	    quic_stream_write(pr->c, uni, (const uint8_t *)"ping-uni", 8, true) != 8) {
		pr->done = -1;
		return;
	}
	pr->want = 2;
	int r = quic_datagram_send(pr->c, (const uint8_t *)"ping-dgram", 10);

	if (r == 0)
		pr->want++;
	else
		printf("client: no DATAGRAM frame: %s\n", strerror(-r));
}

static void raw_data(void *arg, int64_t id, const uint8_t *p, size_t n, bool fin)
{
	struct peer *pr = arg;

	printf("stream %lld%s: %.*s\n", (long long)id, fin ? " fin" : "", (int)n, (const char *)p);
	if (fin && --pr->want == 0)
		pr->done = 1;
}

static void raw_datagram(void *arg, const uint8_t *p, size_t n)
{
	struct peer *pr = arg;

	printf("datagram: %.*s\n", (int)n, (const char *)p);
	if (--pr->want == 0)
		pr->done = 1;
}

/* --sandbox: the worker's seccomp list from here on, as a worker would run this code (the
 * socket, the certificate and the trust setting were loaded before). A syscall outside the list
 * kills the process. */
static int enter_worker_sandbox(void)
{
	int r = sandbox_enter(SANDBOX_WORKER);

	if (r < 0)
		fprintf(stderr, "quicpeer: sandbox: %s\n", strerror(-r));
	else
		printf("sandbox: worker seccomp list loaded\n");
	return r;
}

/* ---- the loop ---- */

static int open_socket(const struct sockaddr_in *bind_to)
{
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0) {
		perror("quicpeer: socket");
		return -1;
	}
	socklen_t len = sizeof(local);
	return getsockname(sock, (struct sockaddr *)&local, &len);
}

static int next_timeout(void)
{
	uint64_t next = UINT64_MAX, now = clock_ms();

	for (int i = 0; i < MAX_PEERS; i++)
		if (peers[i].c) {
			uint64_t e = quic_conn_expiry(peers[i].c);

			next = e < next ? e : next;
		}
	if (next == UINT64_MAX)
		return 1000;
	return next <= now ? 0 : (int)(next - now < 1000 ? next - now : 1000);
}

static void run_timers(void)
{
	uint64_t now = clock_ms();

	for (int i = 0; i < MAX_PEERS; i++)
		if (peers[i].c && quic_conn_expiry(peers[i].c) <= now)
			quic_conn_timeout(peers[i].c);
}

/* Reaps closed server connections. */
static void reap(void)
{
	for (int i = 0; i < MAX_PEERS; i++)
		if (peers[i].c && quic_conn_closed(peers[i].c)) {
			const struct quic_close_info *ci = quic_conn_close_info(peers[i].c);

			printf("server: closed %s code 0x%llx %s\n", ci->app ? "app" : "transport",
			       (unsigned long long)ci->code, ci->reason);
			fflush(stdout);
			quic_conn_free(peers[i].c);
			peers[i].c = NULL;
		}
}

static int server_main(int argc, char **argv)
{
	static struct server_ctx s;
	struct sockaddr_in a;
	size_t cl, kl;

	if (argc < 5 || tool_parse_addr(argv[2], &a) < 0)
		return 2;
	s.opts.cert = (const uint8_t *)slurp(argv[3], &cl);
	s.opts.key = (const uint8_t *)slurp(argv[4], &kl);
	if (!s.opts.cert || !s.opts.key)
		return 2;
	s.opts.cert_len = cl;
	s.opts.key_len = kl;
	s.opts.alpn[0] = "h3";
	s.opts.alpn[1] = RAW_ALPN;
	s.opts.datagrams = true;
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--retry") == 0)
			s.retry = true;
		else if (strcmp(argv[i], "--no-trailers") == 0)
			no_trailers = true;
		else if (strcmp(argv[i], "--keylog") == 0 && i + 1 < argc)
			s.keylog = fopen(argv[++i], "a");
		else if (strcmp(argv[i], "--sandbox") == 0)
			s.sandbox = true;
	}
	quic_retry_secret_init(&s.secret);
	if (open_socket(&a) < 0 || (s.sandbox && enter_worker_sandbox() < 0))
		return 1;
	printf("server: listening\n");
	fflush(stdout);
	for (;;) {
		struct pollfd pfd = {sock, POLLIN, 0};
		uint8_t buf[65536];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		poll(&pfd, 1, next_timeout());
		while ((n = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) >
		       0) {
			server_datagram(&s, buf, (size_t)n, &from);
			fl = sizeof(from);
		}
		run_timers();
		reap();
	}
}

struct client_args {
	enum quic_verify verify;
	const char *ca_file;
	FILE *keylog;
	bool sandbox, linger;
	unsigned wait_s;
};

static int client_opts(int argc, char **argv, int from, struct client_args *a)
{
	a->verify = QUIC_VERIFY_SYSTEM;
	a->wait_s = 10;
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "-k") == 0) {
			a->verify = QUIC_VERIFY_INSECURE;
		} else if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) {
			a->verify = QUIC_VERIFY_CA_FILE;
			a->ca_file = argv[++i];
		} else if (strcmp(argv[i], "--keylog") == 0 && i + 1 < argc) {
			a->keylog = fopen(argv[++i], "a");
		} else if (strcmp(argv[i], "--sandbox") == 0) {
			a->sandbox = true;
		} else if (strcmp(argv[i], "--linger") == 0) {
			a->linger = true;
		} else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			a->wait_s = (unsigned)atoi(argv[++i]);
		} else {
			return -1;
		}
	}
	return 0;
}

/* The client's ALPN, SNI and callbacks for `get` (HTTP/3) or `raw`. */
static void client_kind(bool h3, const char *arg, struct peer *pr, char *host, size_t cap,
			struct quic_client_opts *o, struct quic_callbacks *cb)
{
	if (h3) {
		snprintf(pr->path, sizeof(pr->path), "%s", arg);
		url_authority(arg, host, cap);
		*strchrnul(host, ':') = '\0';
		o->alpn[0] = "h3";
		cb->handshake_done = get_handshake;
	} else {
		snprintf(host, cap, "%s", arg);
		o->alpn[0] = RAW_ALPN;
		cb->handshake_done = raw_handshake;
		cb->stream_data = raw_data;
		cb->datagram = raw_datagram;
	}
	o->sni = host;
}

/* Runs the connection until the exchange is done (lingering: and after, until the connection
 * closes), it closes or the wait is over; then closes it. */
static void client_run(struct peer *pr, bool h3, const struct client_args *a)
{
	uint64_t deadline = clock_ms() + (uint64_t)a->wait_s * 1000;

	while ((!pr->done || a->linger) && !quic_conn_closed(pr->c) && clock_ms() < deadline) {
		struct pollfd pfd = {sock, POLLIN, 0};
		uint8_t buf[65536];
		ssize_t n;

		poll(&pfd, 1, next_timeout());
		while ((n = recv(sock, buf, sizeof(buf), 0)) > 0)
			quic_conn_recv(pr->c, buf, (size_t)n);
		run_timers();
	}
	if (quic_conn_closed(pr->c)) {
		const struct quic_close_info *ci = quic_conn_close_info(pr->c);

		printf("client: closed %s code 0x%llx %s\n", ci->app ? "app" : "transport",
		       (unsigned long long)ci->code, ci->reason);
	} else {
		quic_conn_close(pr->c, true, h3 ? 0x100 : 0, "done");
	}
	printf("client: %s\n", pr->done == 1 ? "ok" : "failed");
}

static int client_main(int argc, char **argv, bool h3)
{
	struct quic_client_opts o = {.datagrams = true};
	struct client_args ca = {0};
	struct sockaddr_in a, any = {.sin_family = AF_INET};
	struct quic_callbacks cb = {.send = send_cb, .keylog = keylog_cb};
	struct quic_path path = {(struct sockaddr *)&local, (struct sockaddr *)&a, sizeof(local),
				 sizeof(a)};
	struct peer *pr = &peers[0];
	char host[256];
	const char *err = "";

	if (argc < 4 || tool_parse_addr(argv[2], &a) < 0 || client_opts(argc, argv, 4, &ca) < 0)
		return 2;
	pr->keylog = ca.keylog;
	pr->remote = a;
	client_kind(h3, argv[3], pr, host, sizeof(host), &o, &cb);
	/* Loopback for a loopback server; any address for one in a test's namespace. */
	any.sin_addr.s_addr =
	    (ntohl(a.sin_addr.s_addr) >> 24) == 127 ? htonl(INADDR_LOOPBACK) : htonl(INADDR_ANY);
	if (!(o.trust = quic_trust_new(ca.verify, ca.ca_file, &err)) || open_socket(&any) < 0 ||
	    !(pr->c = quic_client_new(&o, &path, &cb, pr, &err))) {
		fprintf(stderr, "quicpeer: %s\n", err);
		return 1;
	}
	if (h3)
		pr->h3 = quic_h3_attach(pr->c, &cli_h3, pr);
	if (ca.sandbox && enter_worker_sandbox() < 0)
		return 1;
	client_run(pr, h3, &ca);
	quic_conn_free(pr->c);
	quic_trust_free(unconst(o.trust));
	return pr->done == 1 ? 0 : 1;
}

static int sni_main(int argc, char **argv)
{
	struct sockaddr_in a;
	struct quic_initial *qi = quic_initial_new();
	enum quic_initial_result r = QUIC_INITIAL_NEED_MORE;
	unsigned datagrams = 0;

	if (argc < 3 || tool_parse_addr(argv[2], &a) < 0 || open_socket(&a) < 0)
		return 2;
	printf("sni: listening\n");
	fflush(stdout);
	while (r == QUIC_INITIAL_NEED_MORE) {
		struct pollfd pfd = {sock, POLLIN, 0};
		uint8_t buf[65536];
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		while (r == QUIC_INITIAL_NEED_MORE && (n = recv(sock, buf, sizeof(buf), 0)) > 0) {
			r = quic_initial_feed(qi, buf, (size_t)n);
			datagrams++;
		}
	}
	printf("result=%s", quic_initial_result_name(r));
	if (r == QUIC_INITIAL_DONE) {
		const struct quic_initial_info *in = quic_initial_info(qi);

		printf(" version=0x%08x sni=%s alpn=", in->version, in->hello.sni);
		for (size_t i = 0; i < in->hello.nalpn; i++)
			printf("%s%s", i ? "," : "", in->hello.alpn[i]);
	} else if (r == QUIC_INITIAL_ERROR) {
		printf(" error=%s", quic_initial_error(qi));
	}
	printf(" datagrams=%u\n", datagrams);
	quic_initial_free(qi);
	return r == QUIC_INITIAL_DONE ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return server_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "get") == 0)
		return client_main(argc, argv, true);
	if (argc >= 2 && strcmp(argv[1], "raw") == 0)
		return client_main(argc, argv, false);
	if (argc >= 2 && strcmp(argv[1], "sni") == 0)
		return sni_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "sandbox-check") == 0) {
		/* the filter is enforced: exec under it kills the process */
		if (enter_worker_sandbox() < 0)
			return 1;
		execl("/bin/true", "true", (char *)NULL);
		printf("exec returned: %s\n", strerror(errno));
		return 0;
	}
	fprintf(stderr,
		"usage: quicpeer server|get|raw|sni ... (see the comment atop quicpeer.c)\n");
	return 2;
}
