/* Unit tests for the QUIC module's connections (daemon/quic/quic.h) with no sockets at all: a
 * client and a server exchange datagrams through in-memory queues. HTTP/3 with a request body
 * larger than a stream's buffer and trailers; raw streams with back-pressure (short writes, then
 * stream_writable); DATAGRAM frames; Retry; close codes both ways; stream resets; certificate
 * verification by CA file and by name; keylog lines; bad certificates and trust files.
 * The certificates are made here with OpenSSL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "quic/quic.h"

#define QMAX 512

struct wire {
	uint8_t *d[QMAX];
	size_t n[QMAX], count;
};

struct end {
	struct quic_conn *c;
	struct quic_h3 *h3;
	struct wire *out; /* what this end sends */
	bool handshake;
	int64_t opened;
	uint8_t got[3 * QUIC_STREAM_WINDOW];
	size_t got_len;
	bool fin, end, trailers, writable;
	char head[512];
	uint64_t reset_code;
	bool reset;
	size_t keylog_lines, datagrams, closed_streams;
	int64_t last_id;
};

static struct wire c2s, s2c;
static bool echo_fin; /* the server ends each bidirectional stream the client ended */
static struct end cli, srv;
static char ca_path[64], cert_pem[4096], key_pem[1024];
static struct sockaddr_in caddr, saddr;

static void push(struct wire *w, const uint8_t *p, size_t n)
{
	assert_true(w->count < QMAX);
	w->d[w->count] = malloc(n);
	memcpy(w->d[w->count], p, n);
	w->n[w->count++] = n;
}

static void send_cb(void *arg, const uint8_t *p, size_t n)
{
	push(((struct end *)arg)->out, p, n);
}

static void hs_cb(void *arg)
{
	((struct end *)arg)->handshake = true;
}

static void data_cb(void *arg, int64_t id, const uint8_t *p, size_t n, bool fin)
{
	struct end *e = arg;

	assert_true(e->got_len + n <= sizeof(e->got));
	if (n)
		memcpy(e->got + e->got_len, p, n);
	e->got_len += n;
	e->fin |= fin;
	e->last_id = id;
	if (fin && e == &srv && echo_fin && !(id & 2))
		quic_stream_write(srv.c, id, NULL, 0, true);
}

static void reset_cb(void *arg, int64_t id, uint64_t code)
{
	struct end *e = arg;

	e->reset = true;
	e->reset_code = code;
}

static void close_cb(void *arg, int64_t id, uint64_t code)
{
	((struct end *)arg)->closed_streams++;
}

static void writable_cb(void *arg, int64_t id)
{
	((struct end *)arg)->writable = true;
}

static void dgram_cb(void *arg, const uint8_t *p, size_t n)
{
	((struct end *)arg)->datagrams++;
}

static void keylog_cb(void *arg, const char *line)
{
	if (strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0)
		((struct end *)arg)->keylog_lines++;
}

static const struct quic_callbacks cbs = {
    .send = send_cb,
    .handshake_done = hs_cb,
    .stream_data = data_cb,
    .stream_reset = reset_cb,
    .stream_writable = writable_cb,
    .stream_close = close_cb,
    .datagram = dgram_cb,
    .keylog = keylog_cb,
};

static struct quic_path path_of(bool server)
{
	struct quic_path p = {(struct sockaddr *)&caddr, (struct sockaddr *)&saddr, sizeof(caddr),
			      sizeof(saddr)};

	if (server) {
		p.local = (struct sockaddr *)&saddr;
		p.remote = (struct sockaddr *)&caddr;
	}
	return p;
}

static const struct quic_server_opts *server_opts(void)
{
	static struct quic_server_opts o;

	o.cert = (const uint8_t *)cert_pem;
	o.cert_len = strlen(cert_pem);
	o.key = (const uint8_t *)key_pem;
	o.key_len = strlen(key_pem);
	o.alpn[0] = "h3";
	o.alpn[1] = "raw";
	o.datagrams = true;
	return &o;
}

/* Runs the timers of both ends that are due within 100 ms (pacing, ACK delay); false when
 * none is. */
static bool run_timers(void)
{
	uint64_t next = UINT64_MAX, now = clock_ms();
	struct quic_conn *cs[2] = {cli.c, srv.c};

	for (int i = 0; i < 2; i++)
		if (cs[i] && quic_conn_expiry(cs[i]) < next)
			next = quic_conn_expiry(cs[i]);
	if (next == UINT64_MAX || next > now + 100)
		return false;
	if (next > now)
		usleep((useconds_t)(next - now) * 1000);
	now = clock_ms();
	for (int i = 0; i < 2; i++)
		if (cs[i] && quic_conn_expiry(cs[i]) <= now)
			quic_conn_timeout(cs[i]);
	return true;
}

/* Delivers queued datagrams both ways (and runs due timers) until both ends are quiet; the
 * first client datagram creates the server (through a Retry when `retry` is given). */
static void pump(const struct quic_retry_secret *retry)
{
	for (int round = 0; round < 400; round++) {
		struct wire w;

		if (!c2s.count && !s2c.count && !run_timers())
			break;
		w = c2s;
		c2s.count = 0;
		for (size_t i = 0; i < w.count; i++) {
			if (!srv.c) {
				uint8_t out[1500], st[QUIC_CHECK_STATE];
				size_t ol;
				struct quic_path p = path_of(true);
				enum quic_accept a =
				    quic_server_check(w.d[i], w.n[i], &p, retry, retry != NULL, out,
						      sizeof(out), &ol, st);
				const char *err = NULL;

				if (a == QUIC_ACCEPT_RETRY)
					push(&s2c, out, ol);
				else if (a == QUIC_ACCEPT)
					srv.c = quic_server_new(server_opts(), w.d[i], w.n[i], &p,
								st, &cbs, &srv, &err);
			} else {
				quic_conn_recv(srv.c, w.d[i], w.n[i]);
			}
			free(w.d[i]);
		}
		w = s2c;
		s2c.count = 0;
		for (size_t i = 0; i < w.count; i++) {
			quic_conn_recv(cli.c, w.d[i], w.n[i]);
			free(w.d[i]);
		}
	}
}

static struct quic_trust *trust; /* the client's; freed with the pair */
static enum quic_verify verify = QUIC_VERIFY_CA_FILE;
static unsigned cli_idle_s; /* the client's idle timeout (0: the default) */

static void connect_pair(const char *sni, const char *alpn, const struct quic_retry_secret *r)
{
	struct quic_client_opts o = {.sni = sni, .datagrams = true, .idle_timeout_s = cli_idle_s};
	struct quic_path p = path_of(false);
	const char *err = NULL;

	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	cli.out = &c2s;
	srv.out = &s2c;
	o.alpn[0] = alpn;
	o.trust = trust = quic_trust_new(verify, ca_path, &err);
	assert_non_null(o.trust);
	cli.c = quic_client_new(&o, &p, &cbs, &cli, &err);
	assert_non_null(cli.c);
	pump(r);
}

static void free_pair(void)
{
	quic_conn_free(cli.c);
	quic_conn_free(srv.c);
	cli.c = srv.c = NULL;
	quic_trust_free(trust);
	trust = NULL;
}

/* Delivers datagrams and runs timers for ms milliseconds of real time. */
static void run_for(uint64_t ms)
{
	uint64_t end = clock_ms() + ms;

	while (clock_ms() < end) {
		pump(NULL);
		usleep(10000);
	}
}

/* The idle timeout that applies is the smaller offer (the client's 1 s); with keep-alive on at
 * one end (the server, as snare's DOWN side while a request is held) neither end closes while
 * the client sends nothing of its own; turned off, both close idle. */
static void test_keep_alive_then_idle(void **state)
{
	cli_idle_s = 1;
	connect_pair("quic.test", "raw", NULL);
	cli_idle_s = 0;
	assert_true(cli.handshake);
	quic_conn_keep_alive(srv.c, true);
	run_for(2500);
	assert_false(quic_conn_closed(cli.c));
	assert_false(quic_conn_closed(srv.c));
	quic_conn_keep_alive(srv.c, false);
	run_for(2500);
	assert_true(quic_conn_closed(srv.c));
	assert_true(quic_conn_closed(cli.c));
	assert_true(quic_conn_close_info(srv.c)->idle);
	assert_true(quic_conn_close_info(srv.c)->local);
	assert_true(quic_conn_close_info(cli.c)->idle);
	free_pair();
}

/* A CA and a leaf for quic.test signed by it; the CA goes to ca_path. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn, bool ca)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, ca ? NID_basic_constraints : NID_subject_alt_name,
				  ca ? "critical,CA:TRUE" : "DNS:quic.test");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

static int setup(void **state)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256");
	X509 *ca = make_cert(cak, cak, NULL, "test CA", true);
	X509 *leaf = make_cert(lk, cak, ca, "quic.test", false);
	BIO *b = BIO_new(BIO_s_mem());
	FILE *f;
	int fd, n;

	PEM_write_bio_X509(b, leaf);
	n = BIO_read(b, cert_pem, sizeof(cert_pem) - 1);
	cert_pem[n > 0 ? n : 0] = '\0';
	PEM_write_bio_PrivateKey(b, lk, NULL, NULL, 0, NULL, NULL);
	n = BIO_read(b, key_pem, sizeof(key_pem) - 1);
	key_pem[n > 0 ? n : 0] = '\0';
	snprintf(ca_path, sizeof(ca_path), "/tmp/test_quic_conn.XXXXXX");
	fd = mkstemp(ca_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, ca);
	fclose(f);
	BIO_free(b);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(lk);
	inet_pton(AF_INET, "127.0.0.1", &caddr.sin_addr);
	caddr.sin_family = saddr.sin_family = AF_INET;
	saddr.sin_addr = caddr.sin_addr;
	caddr.sin_port = htons(40000);
	saddr.sin_port = htons(443);
	return 0;
}

static int teardown(void **state)
{
	unlink(ca_path);
	return 0;
}

static void test_handshake_and_keylog(void **state)
{
	connect_pair("quic.test", "raw", NULL);
	assert_true(cli.handshake && srv.handshake);
	assert_string_equal(quic_conn_alpn(cli.c), "raw");
	assert_string_equal(quic_conn_alpn(srv.c), "raw");
	assert_string_equal(quic_conn_sni(srv.c), "quic.test");
	assert_int_equal(quic_conn_version(cli.c), 1);
	assert_true(cli.keylog_lines == 1 && srv.keylog_lines == 1);
	free_pair();
}

/* 3 x QUIC_STREAM_BUF on a raw stream: the writes stop at QUIC_STREAM_BUF and go on at
 * stream_writable. */
static void test_raw_backpressure(void **state)
{
	static uint8_t big[3 * QUIC_STREAM_BUF];
	size_t off = 0;
	int64_t id;
	int shorts = 0;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	connect_pair("quic.test", "raw", NULL);
	assert_int_equal(quic_stream_open(cli.c, true, &id), 0);
	for (int round = 0; off < sizeof(big) && round < 1000; round++) {
		long n = quic_stream_write(cli.c, id, big + off, sizeof(big) - off, true);

		assert_true(n >= 0);
		off += (size_t)n;
		if (off < sizeof(big)) {
			assert_true(n == 0 || (size_t)n < sizeof(big));
			shorts++;
			cli.writable = false;
			pump(NULL);
			assert_true(cli.writable);
		}
	}
	pump(NULL);
	assert_true(shorts > 0);
	assert_int_equal(srv.got_len, sizeof(big));
	assert_memory_equal(srv.got, big, sizeof(big));
	assert_true(srv.fin);
	assert_int_equal(quic_stream_write(cli.c, id, big, 1, false), -EPIPE);
	free_pair();
}

static void test_datagram_reset_close(void **state)
{
	int64_t id;

	connect_pair("quic.test", "raw", NULL);
	assert_int_equal(quic_datagram_send(cli.c, (const uint8_t *)"d", 1), 0);
	assert_int_equal(quic_stream_open(cli.c, true, &id), 0);
	assert_int_equal(quic_stream_write(cli.c, id, (const uint8_t *)"x", 1, false), 1);
	pump(NULL);
	assert_int_equal(srv.datagrams, 1);
	assert_int_equal(srv.got_len, 1);
	assert_int_equal(quic_stream_reset(srv.c, srv.last_id, 7), 0);
	pump(NULL);
	assert_true(cli.reset);
	assert_int_equal(cli.reset_code, 7);
	quic_conn_close(srv.c, true, 0x1234, "bye");
	assert_true(quic_conn_closed(srv.c));
	pump(NULL);
	assert_true(quic_conn_closed(cli.c));
	assert_true(quic_conn_close_info(cli.c)->app);
	assert_int_equal(quic_conn_close_info(cli.c)->code, 0x1234);
	assert_string_equal(quic_conn_close_info(cli.c)->reason, "bye");
	assert_false(quic_conn_close_info(cli.c)->local);
	assert_true(quic_conn_close_info(srv.c)->local);
	assert_int_equal(quic_stream_write(cli.c, id, (const uint8_t *)"x", 1, false), -ECONNRESET);
	free_pair();
}

/* More streams than the peer's initial limit (100), one after another: each closed one lets the
 * peer open another. */
static void test_stream_limit_renewed(void **state)
{
	int64_t id;

	connect_pair("quic.test", "raw", NULL);
	echo_fin = true;
	for (int i = 0; i < 150; i++) {
		if (quic_stream_open(cli.c, false, &id) != 0)
			fail_msg("stream %d not opened (the server got %zu)", i, srv.got_len);
		assert_int_equal(quic_stream_write(cli.c, id, (const uint8_t *)"u", 1, true), 1);
		pump(NULL);
	}
	assert_int_equal(srv.got_len, 150);
	assert_int_equal(cli.closed_streams, 150); /* each ended and acknowledged */
	assert_int_equal(quic_stream_write(srv.c, id, (const uint8_t *)"x", 1, false), -EPIPE);
	free_pair();
}

/* With manual credit the receiver's window bounds what the sender gets through until the
 * receiver says it passed the bytes on. */
/* Six streams of QUIC_STREAM_BUF each: the connection takes QUIC_CONN_BUF in all, the rest
 * waits for stream_writable, and every byte arrives. */
static void test_conn_buffer_cap(void **state)
{
	static uint8_t big[QUIC_STREAM_BUF];
	int64_t id[6];
	size_t off[6] = {0}, total = 0, want = 6 * sizeof(big);
	bool short_write = false;

	connect_pair("quic.test", "raw", NULL);
	for (int i = 0; i < 6; i++)
		assert_int_equal(quic_stream_open(cli.c, true, &id[i]), 0);
	for (int i = 0; i < 6; i++) {
		long n = quic_stream_write(cli.c, id[i], big, sizeof(big), true);

		assert_true(n >= 0);
		off[i] = (size_t)n;
		total += (size_t)n;
		short_write |= (size_t)n < sizeof(big);
	}
	assert_true(short_write);
	assert_true(total <= QUIC_CONN_BUF);
	for (int round = 0; round < 2000 && srv.got_len < want; round++) {
		cli.writable = false;
		pump(NULL);
		for (int i = 0; i < 6; i++) {
			long n = off[i] < sizeof(big)
				     ? quic_stream_write(cli.c, id[i], big + off[i],
							 sizeof(big) - off[i], true)
				     : 0;

			assert_true(n >= 0);
			off[i] += (size_t)n;
		}
	}
	assert_int_equal(srv.got_len, want);
	free_pair();
}

static void test_manual_credit(void **state)
{
	static uint8_t big[3 * QUIC_STREAM_WINDOW];
	size_t off = 0, consumed_so_far = 0;
	int64_t id;

	connect_pair("quic.test", "raw", NULL);
	quic_conn_manual_credit(srv.c);
	assert_int_equal(quic_stream_open(cli.c, true, &id), 0);
	for (int round = 0; round < 20; round++) {
		long n = quic_stream_write(cli.c, id, big + off, sizeof(big) - off, true);

		assert_true(n >= 0);
		off += (size_t)n;
		pump(NULL);
	}
	assert_true(srv.got_len > 0 && srv.got_len <= QUIC_STREAM_WINDOW);
	assert_true(off < sizeof(big));
	for (int round = 0; round < 800 && srv.got_len < sizeof(big); round++) {
		size_t before = srv.got_len;
		long n = quic_stream_write(cli.c, id, big + off, sizeof(big) - off, true);

		assert_true(n >= 0);
		off += (size_t)n;
		assert_int_equal(quic_stream_consumed(srv.c, srv.last_id, before - consumed_so_far),
				 0);
		consumed_so_far = before;
		pump(NULL);
	}
	assert_int_equal(srv.got_len, sizeof(big));
	assert_true(srv.fin);
	free_pair();
}

static void test_retry(void **state)
{
	struct quic_retry_secret secret;

	quic_retry_secret_init(&secret);
	connect_pair("quic.test", "raw", &secret);
	assert_non_null(srv.c);
	assert_true(cli.handshake && srv.handshake);
	free_pair();
}

/* The system store does not know the test CA: the handshake fails as for a wrong name. */
static void test_system_store(void **state)
{
	verify = QUIC_VERIFY_SYSTEM;
	connect_pair("quic.test", "raw", NULL);
	verify = QUIC_VERIFY_CA_FILE;
	assert_false(cli.handshake);
	assert_true(quic_conn_closed(cli.c));
	assert_true(quic_conn_close_info(cli.c)->code > 0x100); /* a TLS alert */
	free_pair();
}

static void test_wrong_name(void **state)
{
	connect_pair("other.test", "raw", NULL);
	assert_false(cli.handshake);
	assert_true(quic_conn_closed(cli.c));
	assert_false(quic_conn_close_info(cli.c)->app);
	assert_int_equal(quic_conn_close_info(cli.c)->code, 0x100 + 42); /* bad_certificate */
	free_pair();
}

/* ---- HTTP/3 ---- */

static void h3_head(void *arg, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct end *e = arg;
	size_t len = strlen(e->head);

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(e->head + len, sizeof(e->head) - len, "%.*s=%.*s;",
					(int)f[i].name_len, (const char *)f[i].name,
					(int)f[i].value_len, (const char *)f[i].value);
	e->last_id = id;
}

static void h3_data(void *arg, int64_t id, const uint8_t *p, size_t n)
{
	data_cb(arg, id, p, n, false);
}

static void h3_trailers(void *arg, int64_t id, const struct quic_h3_field *f, size_t n)
{
	struct end *e = arg;

	e->trailers = n == 1 && f[0].value_len == 2 && memcmp(f[0].value, "ok", 2) == 0;
}

static void h3_end(void *arg, int64_t id)
{
	((struct end *)arg)->end = true;
}

static const struct quic_h3_callbacks h3cbs = {
    .head = h3_head, .data = h3_data, .trailers = h3_trailers, .end = h3_end};

static void field(struct quic_h3_field *f, const char *n, const char *v)
{
	f->name = (const uint8_t *)n;
	f->name_len = strlen(n);
	f->value = (const uint8_t *)v;
	f->value_len = strlen(v);
}

static void test_h3_post_with_trailers(void **state)
{
	static uint8_t body[600000];
	struct quic_h3_field req[4], resp[1], tr[1];
	size_t off = 0;
	int64_t id;

	memset(body, 'b', sizeof(body));
	connect_pair("quic.test", "h3", NULL);
	srv.h3 = quic_h3_attach(srv.c, &h3cbs, &srv);
	cli.h3 = quic_h3_attach(cli.c, &h3cbs, &cli);
	field(&req[0], ":method", "POST");
	field(&req[1], ":scheme", "https");
	field(&req[2], ":authority", "quic.test");
	field(&req[3], ":path", "/upload");
	assert_int_equal(quic_h3_request(cli.h3, req, 4, false, &id), 0);
	for (int round = 0; off < sizeof(body) && round < 1000; round++) {
		long n = quic_h3_write(cli.h3, id, body + off, sizeof(body) - off, false);

		assert_true(n >= 0);
		off += (size_t)n;
		pump(NULL);
	}
	field(&tr[0], "x-check", "ok");
	assert_int_equal(quic_h3_trailers(cli.h3, id, tr, 1), 0);
	pump(NULL);
	assert_true(srv.end && srv.trailers);
	assert_int_equal(srv.got_len, sizeof(body));
	assert_non_null(strstr(srv.head, ":method=POST;"));
	assert_non_null(strstr(srv.head, ":path=/upload;"));
	field(&resp[0], ":status", "201");
	assert_int_equal(quic_h3_response(srv.h3, srv.last_id, resp, 1, false), 0);
	assert_int_equal(quic_h3_write(srv.h3, srv.last_id, (const uint8_t *)"done", 4, true), 4);
	pump(NULL);
	assert_true(cli.end);
	assert_false(cli.trailers);
	assert_non_null(strstr(cli.head, ":status=201;"));
	assert_int_equal(cli.got_len, 4);
	assert_memory_equal(cli.got, "done", 4);
	free_pair();
}

static void test_bad_inputs(void **state)
{
	struct quic_server_opts o = *server_opts();
	struct quic_path p = path_of(true);
	const char *err = NULL;
	uint8_t junk[1200] = {0xc0, 0, 0, 0, 1}, out[1500], st[QUIC_CHECK_STATE];
	size_t ol;

	assert_null(quic_trust_new(QUIC_VERIFY_CA_FILE, "/nonexistent/ca.pem", &err));
	assert_non_null(err);
	assert_int_equal(quic_server_check(junk, 3, &p, NULL, false, out, sizeof(out), &ol, st),
			 QUIC_ACCEPT_DROP);
	o.cert = (const uint8_t *)"-----BEGIN CERTIFICATE-----\ngarbage\n";
	o.cert_len = strlen((const char *)o.cert);
	connect_pair("quic.test", "raw", NULL); /* for a real first datagram */
	free_pair();
	assert_null(quic_server_new(&o, junk, sizeof(junk), &p, st, &cbs, &srv, &err));
}

/* What quic_server_check says of a real first Initial cut short, of one under load and not, and
 * of a hand-made Initial carrying a forged Retry token. */
static void test_check_kinds(void **state)
{
	struct quic_client_opts o = {.sni = "quic.test", .alpn = {"raw"}};
	struct quic_path cp = path_of(false), sp = path_of(true);
	struct quic_retry_secret secret;
	uint8_t out[1500], st[QUIC_CHECK_STATE], forged[1200] = {0xc0, 0, 0, 0, 1, 8};
	const char *err = NULL;
	size_t ol, off = 6 + 8;

	quic_retry_secret_init(&secret);
	memset(&cli, 0, sizeof(cli));
	cli.out = &c2s;
	o.trust = trust = quic_trust_new(verify, ca_path, &err);
	cli.c = quic_client_new(&o, &cp, &cbs, &cli, &err);
	assert_non_null(cli.c);
	assert_true(c2s.count >= 1 && c2s.n[0] >= 1200);
	assert_int_equal(quic_server_check(c2s.d[0], c2s.n[0] / 2, &sp, &secret, true, out,
					   sizeof(out), &ol, st),
			 QUIC_ACCEPT_MALFORMED);
	assert_int_equal(
	    quic_server_check(c2s.d[0], c2s.n[0], &sp, &secret, true, out, sizeof(out), &ol, st),
	    QUIC_ACCEPT_RETRY);
	assert_true(ol > 0 && (out[0] & 0xf0) == 0xf0); /* a Retry packet */
	assert_int_equal(
	    quic_server_check(c2s.d[0], c2s.n[0], &sp, &secret, false, out, sizeof(out), &ol, st),
	    QUIC_ACCEPT);
	/* DCID 8 bytes, no SCID, a 16-byte token starting with the Retry magic, Length 1100 */
	memset(forged + 6, 0x11, 8);
	forged[off++] = 0;
	forged[off++] = 16;
	forged[off] = 0xb6;
	off += 16;
	forged[off++] = 0x40 | (1100 >> 8);
	forged[off++] = 1100 & 0xff;
	assert_int_equal(quic_server_check(forged, sizeof(forged), &sp, &secret, false, out,
					   sizeof(out), &ol, st),
			 QUIC_ACCEPT_BAD_TOKEN);
	for (size_t i = 0; i < c2s.count; i++)
		free(c2s.d[i]);
	c2s.count = 0;
	free_pair();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_keylog),
	    cmocka_unit_test(test_raw_backpressure),
	    cmocka_unit_test(test_conn_buffer_cap),
	    cmocka_unit_test(test_datagram_reset_close),
	    cmocka_unit_test(test_stream_limit_renewed),
	    cmocka_unit_test(test_manual_credit),
	    cmocka_unit_test(test_retry),
	    cmocka_unit_test(test_wrong_name),
	    cmocka_unit_test(test_system_store),
	    cmocka_unit_test(test_h3_post_with_trailers),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_check_kinds),
	    cmocka_unit_test(test_keep_alive_then_idle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
