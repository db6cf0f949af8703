/* Unit test of the worker -> ca channel as a hostile worker would use it.
 * The real ca role (ca_main) runs in a child process with its seccomp
 * filter; this test plays the coordinator on its fd 3 and then one worker
 * per test on channels it attaches.  It checks what the ca signs (CA:FALSE,
 * key usage by key type, EKU serverAuth, days of validity, the registered
 * key), what it refuses (wildcard abuse, another key, a second RegisterKey,
 * requests before registering, key types a leaf may not carry) and that its
 * per-worker rate limit trips and is logged.  The limit is set small
 * through the test-only CaConfig fields (SNARE_TEST_HOOKS).  Also the
 * token bucket and the worker's cert cache staleness rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "core/unconst.h"
#include "ca/ca_int.h"
#include "certs/certs.h"
#include "ipc/ipc.h"
#include "worker/certcache.h"

#define TEST_BURST 5
#define DAY (24L * 60 * 60)

struct ca_fixture {
	char root[64];
	char conf[96];
	pid_t pid;
	int coord; /* our end of the ca's fd 3 */
	unsigned next_worker;
};

/* One hostile worker: its end of a channel the "coordinator" attached. */
struct peer {
	int fd;
	EVP_PKEY *key;
	uint8_t *spki;
	size_t spki_len;
	uint64_t seq;
};

static uint8_t rx_buf[IPC_MAX_FRAME];

static void set_timeout(int fd)
{
	struct timeval tv = {.tv_sec = 30};

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void send_env(int fd, ProtobufCMessage *env, const int *fds, size_t nfds)
{
	static uint8_t buf[IPC_MAX_FRAME];
	int n = ipc_pack(env, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(ipc_send_raw(fd, buf, (size_t)n, fds, nfds), 0);
}

/* 1 and a frame, 0 on EOF. */
static int recv_frame(int fd, enum ipc_channel ch, enum ipc_state st, struct ipc_frame *f)
{
	int fds[IPC_MAX_FDS];
	size_t nfds = 0;
	int n = ipc_recv_raw(fd, rx_buf, sizeof(rx_buf), fds, IPC_MAX_FDS, &nfds);

	assert_true(n >= 0); /* not a timeout */
	if (n == 0)
		return 0;
	assert_int_equal(ipc_decode(ch, st, rx_buf, (size_t)n, fds, nfds, f), 0);
	return 1;
}

static void hello_body(Snare__Hello *h)
{
	snare__hello__init(h);
	h->has_version = h->has_pid = 1;
	h->version = IPC_PROTOCOL_VERSION;
	h->pid = (uint32_t)getpid();
}

/* Frames from the ca to the coordinator until one of body_case; log lines
 * seen on the way are appended to logs (when given). */
static void coord_expect(struct ca_fixture *fx, enum ipc_state st, int body_case, char *logs,
			 size_t loglen)
{
	for (;;) {
		struct ipc_frame f;
		Snare__CaToCoord *m;

		assert_int_equal(recv_frame(fx->coord, IPC_CH_CA_TO_COORD, st, &f), 1);
		m = (Snare__CaToCoord *)f.msg;
		if (f.body_case == SNARE__CA_TO_COORD__BODY_LOG && logs != NULL) {
			size_t used = strlen(logs);

			snprintf(logs + used, loglen - used, "%s\n", m->log->text);
		}
		if (f.body_case == body_case) {
			ipc_frame_free(&f);
			return;
		}
		ipc_frame_free(&f);
	}
}

static int ca_setup(void **state)
{
	struct ca_fixture *fx = xcalloc(1, sizeof(*fx));
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
	Snare__CaConfig cfg = SNARE__CA_CONFIG__INIT;
	int sv[2];

	snprintf(fx->root, sizeof(fx->root), "/tmp/snare-caw-XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	snprintf(fx->conf, sizeof(fx->conf), "%s/conf", fx->root);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fx->pid = fork();
	assert_true(fx->pid >= 0);
	if (fx->pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(99);
		_exit(ca_main()); /* no leak check under the ca's seccomp filter */
	}
	close(sv[1]);
	fx->coord = sv[0];
	set_timeout(fx->coord);
	coord_expect(fx, IPC_ST_HELLO, SNARE__CA_TO_COORD__BODY_HELLO, NULL, 0);
	cfg.confdir = fx->conf;
	cfg.has_key_size = 1;
	cfg.key_size = 2048;
	cfg.has_test_sign_burst = cfg.has_test_sign_rate = 1;
	cfg.test_sign_burst = TEST_BURST;
	cfg.test_sign_rate = 0; /* never refills: the limit trips deterministically */
	env.body_case = SNARE__COORD_TO_CA__BODY_CONFIG;
	env.config = &cfg;
	send_env(fx->coord, &env.base, NULL, 0);
	coord_expect(fx, IPC_ST_CONFIG, SNARE__CA_TO_COORD__BODY_READY, NULL, 0);
	*state = fx;
	return 0;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_tree(path);
		else
			unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

static int ca_teardown(void **state)
{
	struct ca_fixture *fx = *state;
	int status = -1;

	close(fx->coord); /* the ca stops when its coordinator goes */
	assert_int_equal(waitpid(fx->pid, &status, 0), fx->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rm_tree(fx->root);
	free(fx);
	return 0;
}

static void peer_key(struct peer *p, EVP_PKEY *key)
{
	p->key = key;
	assert_non_null(p->key);
	assert_int_equal(leaf_key_spki(p->key, &p->spki, &p->spki_len), 0);
}

/* Attaches a new worker channel and says hello (the ca answers CaInfo). */
static void peer_open(struct ca_fixture *fx, struct peer *p, int rsa)
{
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
	Snare__AttachWorker aw = SNARE__ATTACH_WORKER__INIT;
	Snare__WorkerToCa wenv = SNARE__WORKER_TO_CA__INIT;
	Snare__Hello h;
	struct ipc_frame f;
	int sv[2];

	memset(p, 0, sizeof(*p));
	peer_key(p, leaf_key_generate(rsa));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	aw.has_worker_index = 1;
	aw.worker_index = fx->next_worker++;
	env.body_case = SNARE__COORD_TO_CA__BODY_ATTACH_WORKER;
	env.attach_worker = &aw;
	send_env(fx->coord, &env.base, &sv[1], 1);
	close(sv[1]);
	p->fd = sv[0];
	set_timeout(p->fd);
	hello_body(&h);
	wenv.body_case = SNARE__WORKER_TO_CA__BODY_HELLO;
	wenv.hello = &h;
	send_env(p->fd, &wenv.base, NULL, 0);
	assert_int_equal(recv_frame(p->fd, IPC_CH_CA_TO_WORKER, IPC_ST_HELLO, &f), 1);
	assert_int_equal(f.body_case, SNARE__CA_TO_WORKER__BODY_INFO);
	ipc_frame_free(&f);
}

static void peer_close(struct peer *p)
{
	close(p->fd);
	EVP_PKEY_free(p->key);
	free(p->spki);
}

static void peer_register(struct peer *p, const uint8_t *spki, size_t len)
{
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__RegisterKey rk = SNARE__REGISTER_KEY__INIT;

	rk.has_leaf_spki_der = 1;
	rk.leaf_spki_der.data = unconst(spki);
	rk.leaf_spki_der.len = len;
	env.body_case = SNARE__WORKER_TO_CA__BODY_REGISTER_KEY;
	env.register_key = &rk;
	send_env(p->fd, &env.base, NULL, 0);
}

/* Sends a CertRequest (with spki when given) and waits for its reply: the
 * leaf, or NULL with the ca's error in err. */
static X509 *peer_ask(struct peer *p, const char *const *sans, size_t n, const uint8_t *spki,
		      size_t spki_len, char *err, size_t errlen)
{
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__CertRequest rq = SNARE__CERT_REQUEST__INIT;
	Snare__CaToWorker *m;
	struct ipc_frame f;
	X509 *x = NULL;

	rq.sans = unconst(sans);
	rq.n_sans = n;
	if (spki != NULL) {
		rq.has_leaf_spki_der = 1;
		rq.leaf_spki_der.data = unconst(spki);
		rq.leaf_spki_der.len = spki_len;
	}
	env.has_seq = 1;
	env.seq = ++p->seq;
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &rq;
	send_env(p->fd, &env.base, NULL, 0);
	assert_int_equal(recv_frame(p->fd, IPC_CH_CA_TO_WORKER, IPC_ST_RUNNING, &f), 1);
	m = (Snare__CaToWorker *)f.msg;
	assert_int_equal(f.body_case, SNARE__CA_TO_WORKER__BODY_CERT_REPLY);
	assert_int_equal(m->seq, p->seq);
	err[0] = '\0';
	if (m->cert_reply->has_cert_der) {
		const unsigned char *d = m->cert_reply->cert_der.data;

		x = d2i_X509(NULL, &d, (long)m->cert_reply->cert_der.len);
		assert_non_null(x);
	} else {
		assert_non_null(m->cert_reply->error);
		snprintf(err, errlen, "%s", m->cert_reply->error);
	}
	ipc_frame_free(&f);
	return x;
}

/* The ca dropped the channel: EOF on our end. */
static void expect_dropped(struct peer *p)
{
	struct ipc_frame f;

	assert_int_equal(recv_frame(p->fd, IPC_CH_CA_TO_WORKER, IPC_ST_RUNNING, &f), 0);
}

static long secs_from_now(const ASN1_TIME *t)
{
	int days, secs;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return days * DAY + secs;
}

static void expect_leaf(X509 *x, EVP_PKEY *key, uint32_t ku)
{
	int crit = -1;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ASN1_BIT_STRING *bits;

	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_int_equal(bc->ca, 0);
	BASIC_CONSTRAINTS_free(bc);
	crit = -1;
	bits = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	assert_non_null(bits);
	assert_int_equal(crit, 1);
	ASN1_BIT_STRING_free(bits);
	assert_int_equal(X509_get_key_usage(x), ku);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	/* days, not months; notBefore a little in the past for slow clocks */
	assert_true(secs_from_now(X509_get0_notAfter(x)) <= CERTS_LEAF_DAYS * DAY + 60);
	assert_true(secs_from_now(X509_get0_notAfter(x)) > CERTS_LEAF_REFRESH_SECS);
	assert_true(secs_from_now(X509_get0_notBefore(x)) < 0);
	assert_true(secs_from_now(X509_get0_notBefore(x)) >= -2 * DAY);
}

static void test_leaf_extensions(void **state)
{
	struct ca_fixture *fx = *state;
	const char *sans[] = {"www.example.com", "*.example.com", "192.0.2.7"};
	struct peer ec, rsa;
	char err[256];
	X509 *x;

	peer_open(fx, &ec, 0);
	peer_register(&ec, ec.spki, ec.spki_len);
	x = peer_ask(&ec, sans, 3, NULL, 0, err, sizeof(err));
	assert_non_null(x);
	expect_leaf(x, ec.key, KU_DIGITAL_SIGNATURE);
	X509_free(x);
	peer_close(&ec);

	peer_open(fx, &rsa, 1);
	peer_register(&rsa, rsa.spki, rsa.spki_len);
	x = peer_ask(&rsa, sans, 1, rsa.spki, rsa.spki_len, err, sizeof(err)); /* same key: fine */
	assert_non_null(x);
	expect_leaf(x, rsa.key, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	X509_free(x);
	peer_close(&rsa);
}

static void test_wildcard_abuse_refused(void **state)
{
	struct ca_fixture *fx = *state;
	static const char *const bad[] = {"*", "*.com", "a*b.example.com", "*.*.x.y"};
	const char *fine[] = {"*.x.y"};
	struct peer p;
	char err[256];
	X509 *x;

	peer_open(fx, &p, 0);
	peer_register(&p, p.spki, p.spki_len);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_null(peer_ask(&p, &bad[i], 1, NULL, 0, err, sizeof(err)));
		assert_string_equal(err, "no name a leaf may carry");
	}
	x = peer_ask(&p, fine, 1, NULL, 0, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(X509_check_host(x, "a.x.y", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "a.b.x.y", 0, 0, NULL), 0);
	X509_free(x);
	peer_close(&p);
}

static void test_other_key_refused(void **state)
{
	struct ca_fixture *fx = *state;
	const char *sans[] = {"victim.example"};
	EVP_PKEY *other = leaf_key_generate(0);
	uint8_t *ospki;
	size_t olen;
	struct peer p;
	char err[256];
	X509 *x;

	assert_int_equal(leaf_key_spki(other, &ospki, &olen), 0);
	peer_open(fx, &p, 0);
	peer_register(&p, p.spki, p.spki_len);
	assert_null(peer_ask(&p, sans, 1, ospki, olen, err, sizeof(err)));
	assert_string_equal(err, "not the key this worker registered");
	x = peer_ask(&p, sans, 1, NULL, 0, err, sizeof(err)); /* its own key still works */
	assert_non_null(x);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), p.key), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), other), 0);
	X509_free(x);
	peer_close(&p);
	EVP_PKEY_free(other);
	free(ospki);
}

/* A second RegisterKey (to switch keys) ends the channel; a new channel (a
 * restarted worker) registers a new key. */
static void test_second_register_refused(void **state)
{
	struct ca_fixture *fx = *state;
	const char *sans[] = {"a.example"};
	EVP_PKEY *other = leaf_key_generate(0);
	uint8_t *ospki;
	size_t olen;
	struct peer p;
	char err[256];
	X509 *x;

	assert_int_equal(leaf_key_spki(other, &ospki, &olen), 0);
	peer_open(fx, &p, 0);
	peer_register(&p, p.spki, p.spki_len);
	x = peer_ask(&p, sans, 1, NULL, 0, err, sizeof(err));
	assert_non_null(x); /* the channel works before */
	X509_free(x);
	peer_register(&p, ospki, olen);
	expect_dropped(&p);
	peer_close(&p);
	/* A restarted worker comes with a new channel and registers its new key. */
	peer_open(fx, &p, 0);
	EVP_PKEY_free(p.key);
	free(p.spki);
	p.key = other;
	p.spki = ospki;
	p.spki_len = olen;
	peer_register(&p, p.spki, p.spki_len);
	x = peer_ask(&p, sans, 1, NULL, 0, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), other), 1);
	X509_free(x);
	peer_close(&p); /* frees other and ospki */
}

/* No CertRequest before a key is registered; no key a leaf may not carry. */
static void test_unregistered_and_bad_keys(void **state)
{
	struct ca_fixture *fx = *state;
	const char *sans[] = {"a.example"};
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	Snare__CertRequest rq = SNARE__CERT_REQUEST__INIT;
	struct peer p;

	peer_open(fx, &p, 0);
	rq.sans = unconst(sans);
	rq.n_sans = 1;
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &rq;
	send_env(p.fd, &env.base, NULL, 0);
	expect_dropped(&p);
	peer_close(&p);

	peer_open(fx, &p, 0);
	EVP_PKEY_free(p.key);
	free(p.spki);
	peer_key(&p, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	peer_register(&p, p.spki, p.spki_len);
	expect_dropped(&p);
	peer_close(&p);
}

/* TEST_BURST requests go through, the next is refused and logged once. */
static void test_rate_limit_trips(void **state)
{
	struct ca_fixture *fx = *state;
	struct peer p;
	char err[256], logs[8192] = "";
	const char *one[] = {"burst.example"};

	peer_open(fx, &p, 0);
	peer_register(&p, p.spki, p.spki_len);
	for (int i = 0; i < TEST_BURST; i++) {
		X509 *x = peer_ask(&p, one, 1, NULL, 0, err, sizeof(err));

		assert_non_null(x);
		X509_free(x);
	}
	for (int i = 0; i < 3; i++) {
		assert_null(peer_ask(&p, one, 1, NULL, 0, err, sizeof(err)));
		assert_string_equal(err, "rate limited");
	}
	peer_close(&p);
	/* The ca logs the first refusal and, when the worker goes, the count. */
	while (strstr(logs, "3 for the rate limit") == NULL)
		coord_expect(fx, IPC_ST_RUNNING, SNARE__CA_TO_COORD__BODY_LOG, logs, sizeof(logs));
	assert_non_null(strstr(logs, "more than 5 certificates at once"));
}

/* The bucket: full at start, refills at its rate, never beyond its size. */
static void test_bucket(void **state)
{
	struct ca_bucket b;
	int got = 0;

	ca_bucket_init(&b, 200, 20, 1000);
	while (ca_bucket_take(&b, 1000))
		got++;
	assert_int_equal(got, 200);
	assert_false(ca_bucket_take(&b, 1049)); /* 0.98 of a token */
	assert_true(ca_bucket_take(&b, 1050));
	assert_false(ca_bucket_take(&b, 1050));
	got = 0;
	while (ca_bucket_take(&b, UINT64_MAX / 2)) /* a long pause: full, not more */
		got++;
	assert_int_equal(got, 200);
	ca_bucket_init(&b, 1, 0, 5);
	assert_true(ca_bucket_take(&b, 5));
	assert_false(ca_bucket_take(&b, UINT64_MAX));
}

/* The worker's cache: served, then asked for again, then no longer served. */
static void test_leaf_staleness(void **state)
{
	const time_t na = 1000000;

	assert_int_equal(certcache_leaf_state(na, na - CERTS_LEAF_REFRESH_SECS - 1), CC_LEAF_FRESH);
	assert_int_equal(certcache_leaf_state(na, na - CERTS_LEAF_REFRESH_SECS), CC_LEAF_STALE);
	assert_int_equal(certcache_leaf_state(na, na - CERTS_LEAF_MIN_LEFT_SECS - 1),
			 CC_LEAF_STALE);
	assert_int_equal(certcache_leaf_state(na, na - CERTS_LEAF_MIN_LEFT_SECS), CC_LEAF_EXPIRED);
	assert_int_equal(certcache_leaf_state(na, 2 * na), CC_LEAF_EXPIRED);
	/* a new leaf is fresh; it is asked for again days before it expires */
	assert_true(CERTS_LEAF_DAYS * DAY > CERTS_LEAF_REFRESH_SECS);
	assert_true(CERTS_LEAF_REFRESH_SECS > CERTS_LEAF_MIN_LEFT_SECS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf_extensions),
	    cmocka_unit_test(test_wildcard_abuse_refused),
	    cmocka_unit_test(test_other_key_refused),
	    cmocka_unit_test(test_second_register_refused),
	    cmocka_unit_test(test_unregistered_and_bad_keys),
	    cmocka_unit_test(test_rate_limit_trips),
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test(test_leaf_staleness),
	};

	return cmocka_run_group_tests(tests, ca_setup, ca_teardown);
}
