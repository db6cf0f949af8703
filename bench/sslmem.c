/* sslmem: heap bytes one intercepted connection's two TLS sessions keep while idle, measured
 * in-process with mallinfo2() (bench/README.md, docs/performance.md).  N pairs of SSL objects
 * (a server like snare's client side: ECDSA P-256 leaf; a client like snare's server side:
 * verifies the peer, SNI, ALPN) handshake over BIO pairs, exchange one small request and a
 * 1 KiB answer, then idle; the heap in use is read after each stage.  Trusts nothing: it
 * makes its own key and certificate and talks only to itself.
 *   sslmem [N] [release]    release: SSL_MODE_RELEASE_BUFFERS plus SSL_free_buffers, as snare
 * Prints one line per stage: bytes per connection (pair) and per SSL object, then the OpenSSL
 * source lines whose allocations are still live while idle (CRYPTO_set_mem_functions). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Live OpenSSL allocations by the source line that made them: each block carries a header
 * with its size and site.  A fixed table, linear probing: a benchmark tool, not a library. */
#define NSITES 4096
struct site {
	const char *file;
	int line;
	long long live, count, mark;
};
static struct site sites[NSITES];
static long long live_bytes, live_blocks; /* requested sizes, without the headers */
struct hdr {
	size_t size;
	struct site *site;
};

static struct site *site_of(const char *file, int line)
{
	size_t h = ((size_t)file * 31u + (size_t)line) % NSITES, i;

	for (i = 0; i < NSITES; i++, h = (h + 1) % NSITES) {
		if (sites[h].file == file && sites[h].line == line)
			return &sites[h];
		if (sites[h].file == NULL) {
			sites[h].file = file;
			sites[h].line = line;
			return &sites[h];
		}
	}
	return &sites[0];
}

static void *t_malloc(size_t n, const char *file, int line)
{
	struct hdr *h = malloc(sizeof(*h) + n);

	if (h == NULL)
		return NULL;
	h->size = n;
	h->site = site_of(file, line);
	h->site->live += (long long)n;
	h->site->count++;
	live_bytes += (long long)n;
	live_blocks++;
	return h + 1;
}

static void t_free(void *p, const char *file, int line)
{
	struct hdr *h = p ? (struct hdr *)p - 1 : NULL;

	(void)file, (void)line;
	if (h == NULL)
		return;
	h->site->live -= (long long)h->size;
	h->site->count--;
	live_bytes -= (long long)h->size;
	live_blocks--;
	free(h);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
	void *q = t_malloc(n, file, line);
	struct hdr *h = p ? (struct hdr *)p - 1 : NULL;

	if (q == NULL)
		return NULL;
	if (h != NULL) {
		memcpy(q, p, h->size < n ? h->size : n);
		t_free(p, file, line);
	}
	return q;
}

static void sites_mark(void)
{
	size_t i;

	for (i = 0; i < NSITES; i++)
		sites[i].mark = sites[i].live;
}

static int by_growth(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	long long dx = x->live - x->mark, dy = y->live - y->mark;

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

static void sites_print(size_t n)
{
	size_t i;

	qsort(sites, NSITES, sizeof(sites[0]), by_growth);
	printf("live OpenSSL allocations per connection while idle, by source line (>= 64 B):\n");
	for (i = 0; i < NSITES && sites[i].live - sites[i].mark >= (long long)(64 * n); i++)
		printf("  %7.0f B  %s:%d\n", (double)(sites[i].live - sites[i].mark) / (double)n,
		       sites[i].file ? sites[i].file : "?", sites[i].line);
}

struct pair {
	SSL *srv, *cli;
	BIO *sb,
	    *cb; /* the BIO pair's two ends (not part of the figure: snare has no such buffer) */
};

static size_t in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static void die(const char *what)
{
	fprintf(stderr, "sslmem: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		die("X509_new");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		die("X509_sign");
	return x;
}

/* pump: moves bytes both ways until neither side makes progress */
static void pump(struct pair *p, const char *req, size_t reqlen, size_t resplen)
{
	char buf[4096];
	size_t n;
	int i;

	for (i = 0; i < 50; i++) {
		SSL_do_handshake(p->cli);
		SSL_do_handshake(p->srv);
		if (reqlen && SSL_is_init_finished(p->cli) &&
		    SSL_write_ex(p->cli, req, reqlen, &n) == 1)
			reqlen = 0;
		while (SSL_read_ex(p->srv, buf, sizeof(buf), &n) == 1) {
			memset(buf, 'a', sizeof(buf));
			if (SSL_write_ex(p->srv, buf, resplen, &n) != 1)
				die("server write");
		}
		while (SSL_read_ex(p->cli, buf, sizeof(buf), &n) == 1)
			;
		ERR_clear_error();
	}
}

static SSL_CTX *ctx_new(int server, int release, EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;

	if (ctx == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_mode(ctx, mode | (release ? SSL_MODE_RELEASE_BUFFERS : 0));
	if (server) {
		if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, key) != 1)
			die("server certificate");
	} else {
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	return ctx;
}

static long long mark_bytes, mark_blocks;

/* One stage: heap growth per connection since `before` (mallinfo2; with the tracking
 * headers when they are on), and what OpenSSL asked for (sizes and blocks, no headers). */
static void stage(const char *what, size_t before, size_t n, int nssl)
{
	size_t now = in_use();
	double d = (double)now - (double)before;

	printf("%-44s %7.0f B/conn %7.0f B/SSL", what, d / (double)n, d / (double)n / nssl);
	if (live_blocks > 0)
		printf("  OpenSSL asked %7.0f B in %4.0f blocks/conn",
		       (double)(live_bytes - mark_bytes) / (double)n,
		       (double)(live_blocks - mark_blocks) / (double)n);
	printf("\n");
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200, i;
	int release = argc > 2 && strcmp(argv[2], "release") == 0;
	int track = CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert;
	SSL_CTX *sctx, *cctx;
	struct pair *p = calloc(n, sizeof(*p));
	static const char req[] = "GET /1k.bin HTTP/1.1\r\nHost: localhost\r\n\r\n";
	static const unsigned char alpn[] = "\x08http/1.1";
	size_t start, base, bios;

	if (key == NULL || p == NULL)
		die("setup");
	cert = self_signed(key);
	sctx = ctx_new(1, release, key, cert);
	cctx = ctx_new(0, release, key, cert);
	printf("sslmem: %zu connections (2 SSL objects each), %s, %s\n", n,
	       release ? "RELEASE_BUFFERS + SSL_free_buffers" : "default buffers",
	       OpenSSL_version(OPENSSL_VERSION));
	start = in_use();
	for (i = 0; i < n; i++)
		if (BIO_new_bio_pair(&p[i].sb, 20000, &p[i].cb, 20000) != 1)
			die("BIO pair");
	bios = in_use();
	sites_mark();
	mark_bytes = live_bytes;
	mark_blocks = live_blocks;
	for (i = 0; i < n; i++) {
		p[i].srv = SSL_new(sctx);
		p[i].cli = SSL_new(cctx);
		if (p[i].srv == NULL || p[i].cli == NULL)
			die("SSL_new");
		SSL_set_bio(p[i].srv, p[i].sb, p[i].sb);
		SSL_set_bio(p[i].cli, p[i].cb, p[i].cb);
		SSL_set_accept_state(p[i].srv);
		SSL_set_connect_state(p[i].cli);
		SSL_set_tlsext_host_name(p[i].cli, "localhost");
		SSL_set_alpn_protos(p[i].cli, alpn, sizeof(alpn) - 1);
	}
	stage("SSL_new (both sides)", bios, n, 2);
	for (i = 0; i < n; i++)
		pump(&p[i], req, sizeof(req) - 1, 0);
	stage("handshake done", bios, n, 2);
	for (i = 0; i < n; i++)
		pump(&p[i], req, sizeof(req) - 1, 1024);
	stage("one request and a 1 KiB answer", bios, n, 2);
	if (release)
		for (i = 0; i < n; i++) {
			SSL_free_buffers(p[i].srv);
			SSL_free_buffers(p[i].cli);
		}
	stage("idle (after SSL_free_buffers when release)", bios, n, 2);
	if (track)
		sites_print(n);
	base = in_use();
	for (i = 0; i < n; i++)
		SSL_free(p[i].cli); /* frees its end of the BIO pair too */
	printf("%-48s %8.0f B/SSL (client side of a pair, incl. its BIO end)\n", "freed: clients",
	       ((double)base - (double)in_use()) / (double)n);
	base = in_use();
	for (i = 0; i < n; i++)
		SSL_free(p[i].srv);
	printf("%-48s %8.0f B/SSL (server side of a pair, incl. its BIO end)\n", "freed: servers",
	       ((double)base - (double)in_use()) / (double)n);
	printf("%-48s %8.0f B/conn (subtracted from the stages above)\n", "BIO pair buffers",
	       (double)(bios - start) / (double)n);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(p);
	return 0;
}
