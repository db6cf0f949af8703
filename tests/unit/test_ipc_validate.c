/* Unit tests (test process only) for validate_<msg>(): each limit is accepted
 * at its bound and refused one past it; missing sub-messages, wrong versions
 * and wrong fd counts are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

/* A NUL-terminated string of n 'x'; the last eight stay alive. */
static char *str_of(size_t n)
{
	static char *pool[8];
	static size_t next;
	char *s = xmalloc(n + 1);

	memset(s, 'x', n);
	s[n] = '\0';
	free(pool[next]);
	pool[next] = s;
	next = (next + 1) % ARRAY_SIZE(pool);
	return s;
}

static ProtobufCBinaryData bytes_of(size_t n)
{
	static uint8_t blob[64 * 1024];

	return (ProtobufCBinaryData){n, blob};
}

/* --- CoordToWorker: WorkerConfig --- */

static Snare__Listener lis[IPC_MAX_FDS + 1];
static Snare__Listener *lisp[IPC_MAX_FDS + 1];
static char *modev[65];
static Snare__KeyValue kv[257];
static Snare__KeyValue *kvp[257];

static int v_config(Snare__WorkerConfig *wc, size_t nfds)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;

	env.body_case = SNARE__COORD_TO_WORKER__BODY_CONFIG;
	env.config = wc;
	return ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, nfds);
}

/* A valid config with n modes, n options and nl listeners. */
static Snare__WorkerConfig make_config(size_t nmodes, size_t nopts, size_t nl)
{
	Snare__WorkerConfig wc = SNARE__WORKER_CONFIG__INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modev); i++)
		modev[i] = "regular";
	for (i = 0; i < ARRAY_SIZE(kv); i++) {
		kv[i] = (Snare__KeyValue)SNARE__KEY_VALUE__INIT;
		kv[i].key = "k";
		kv[i].value = "v";
		kvp[i] = &kv[i];
	}
	for (i = 0; i < ARRAY_SIZE(lis); i++) {
		lis[i] = (Snare__Listener)SNARE__LISTENER__INIT;
		lis[i].has_mode_index = 1;
		lis[i].mode_index = 0;
		lisp[i] = &lis[i];
	}
	wc.has_worker_index = 1;
	wc.n_modes = nmodes;
	wc.modes = modev;
	wc.n_options = nopts;
	wc.options = kvp;
	wc.n_listeners = nl;
	wc.listeners = lisp;
	return wc;
}

static void test_worker_config(void **state)
{
	Snare__WorkerConfig wc = make_config(64, 256, 2);

	assert_int_equal(v_config(&wc, 2), 0);
	assert_int_equal(v_config(&wc, 1), -EINVAL);
	assert_int_equal(v_config(&wc, 3), -EINVAL);
	wc = make_config(65, 1, 1);
	assert_int_equal(v_config(&wc, 1), -EINVAL);
	wc = make_config(1, 257, 1);
	assert_int_equal(v_config(&wc, 1), -EINVAL);
	wc = make_config(1, 0, IPC_MAX_FDS);
	assert_int_equal(v_config(&wc, IPC_MAX_FDS), 0);
	wc = make_config(1, 0, IPC_MAX_FDS + 1);
	assert_int_equal(v_config(&wc, IPC_MAX_FDS + 1), -EINVAL);
	wc = make_config(1, 0, 0);
	wc.has_worker_index = 0;
	assert_int_equal(v_config(&wc, 0), -EINVAL);
}

static void test_worker_config_strings(void **state)
{
	Snare__WorkerConfig wc = make_config(2, 2, 0);

	modev[1] = str_of(1024);
	assert_int_equal(v_config(&wc, 0), 0);
	modev[1] = str_of(1025);
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	modev[1] = "";
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	modev[1] = NULL;
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	modev[1] = "socks5";

	kv[1].key = str_of(64);
	kv[1].value = str_of(4096);
	assert_int_equal(v_config(&wc, 0), 0);
	kv[1].key = str_of(65);
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	kv[1].key = "";
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	kv[1].key = NULL;
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	kv[1].key = "k";
	kv[1].value = str_of(4097);
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	kv[1].value = NULL;
	assert_int_equal(v_config(&wc, 0), -EINVAL);
	kv[1].value = "";
	assert_int_equal(v_config(&wc, 0), 0);
	kvp[1] = NULL;
	assert_int_equal(v_config(&wc, 0), -EINVAL);
}

static void test_worker_config_listeners(void **state)
{
	Snare__WorkerConfig wc = make_config(2, 0, 2);

	lis[1].mode_index = 1;
	assert_int_equal(v_config(&wc, 2), 0);
	lis[1].mode_index = 2;
	assert_int_equal(v_config(&wc, 2), -EINVAL);
	lis[1].mode_index = 1;
	lis[1].has_mode_index = 0;
	assert_int_equal(v_config(&wc, 2), -EINVAL);
	lis[1].has_mode_index = 1;
	lisp[0] = NULL;
	assert_int_equal(v_config(&wc, 2), -EINVAL);
	wc = make_config(0, 0, 1); /* a listener needs a mode */
	assert_int_equal(v_config(&wc, 1), -EINVAL);
}

/* --- Hello, Shutdown, TestTrigger, LogEvent, FlowEvent --- */

static int v_hello(enum ipc_channel ch, Snare__Hello *h, size_t nfds)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	/* All three hello-carrying envelopes have the same layout; build the
	 * right one by descriptor. */
	env.base.descriptor = ipc_channel_descriptor(ch);
	env.body_case = 2;
	env.hello = h;
	return ipc_validate(ch, &env.base, 2, nfds);
}

static void test_hello(void **state)
{
	static const enum ipc_channel chs[] = {IPC_CH_WORKER_TO_COORD, IPC_CH_CA_TO_COORD,
					       IPC_CH_WORKER_TO_CA};
	Snare__Hello h = SNARE__HELLO__INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(chs); i++) {
		h.has_version = 1;
		h.version = IPC_PROTOCOL_VERSION;
		assert_int_equal(v_hello(chs[i], &h, 0), 0);
		assert_int_equal(v_hello(chs[i], &h, 1), -EINVAL);
		h.version = IPC_PROTOCOL_VERSION + 1;
		assert_int_equal(v_hello(chs[i], &h, 0), -EINVAL);
		h.version = 0;
		assert_int_equal(v_hello(chs[i], &h, 0), -EINVAL);
		h.has_version = 0;
		h.version = IPC_PROTOCOL_VERSION;
		assert_int_equal(v_hello(chs[i], &h, 0), -EINVAL);
	}
}

static void test_shutdown_trigger(void **state)
{
	Snare__Shutdown sd = SNARE__SHUTDOWN__INIT;
	Snare__TestTrigger tt = SNARE__TEST_TRIGGER__INIT;
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__CoordToCa cenv = SNARE__COORD_TO_CA__INIT;

	env.body_case = SNARE__COORD_TO_WORKER__BODY_SHUTDOWN;
	env.shutdown = &sd;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 3, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 3, 1), -EINVAL);
	sd.has_grace_ms = 1;
	sd.grace_ms = 3600000;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 3, 0), 0);
	sd.grace_ms = 3600001;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 3, 0), -EINVAL);
	cenv.body_case = SNARE__COORD_TO_CA__BODY_SHUTDOWN;
	cenv.shutdown = &sd;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &cenv.base, 4, 0), -EINVAL);
	sd.grace_ms = 10;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &cenv.base, 4, 0), 0);

	env.body_case = SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER;
	env.test_trigger = &tt;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 4, 0), -EINVAL);
	tt.has_what = 1;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 4, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 4, 2), -EINVAL);
}

static int v_log(enum ipc_channel ch, Snare__LogEvent *le, size_t nfds)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	env.base.descriptor = ipc_channel_descriptor(ch);
	env.body_case = 3;
	env.log = le;
	return ipc_validate(ch, &env.base, 3, nfds);
}

static void test_log_event(void **state)
{
	static const enum ipc_channel chs[] = {IPC_CH_WORKER_TO_COORD, IPC_CH_CA_TO_COORD};
	Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(chs); i++) {
		le.has_level = 1;
		le.level = 3;
		le.client = NULL;
		le.text = str_of(4096);
		assert_int_equal(v_log(chs[i], &le, 0), 0);
		assert_int_equal(v_log(chs[i], &le, 1), -EINVAL);
		le.text = str_of(4097);
		assert_int_equal(v_log(chs[i], &le, 0), -EINVAL);
		le.text = NULL;
		assert_int_equal(v_log(chs[i], &le, 0), -EINVAL);
		le.text = "";
		le.client = str_of(255);
		assert_int_equal(v_log(chs[i], &le, 0), 0);
		le.client = str_of(256);
		assert_int_equal(v_log(chs[i], &le, 0), -EINVAL);
		le.client = NULL;
		le.level = 4;
		assert_int_equal(v_log(chs[i], &le, 0), -EINVAL);
		le.level = 0;
		le.has_level = 0;
		assert_int_equal(v_log(chs[i], &le, 0), -EINVAL);
	}
}

static void test_flow_event(void **state)
{
	Snare__Flow fl = SNARE__FLOW__INIT;
	Snare__FlowEvent fe = SNARE__FLOW_EVENT__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW;
	env.flow = &fe;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 4, 0), -EINVAL);
	fe.flow = &fl;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 4, 0), -EINVAL);
	fl.id = str_of(64);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 4, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 4, 1), -EINVAL);
	fl.id = str_of(65);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 4, 0), -EINVAL);
}

/* --- CoordToCa, CaToCoord --- */

static void test_ca_config_attach(void **state)
{
	Snare__CaConfig cc = SNARE__CA_CONFIG__INIT;
	Snare__AttachWorker aw = SNARE__ATTACH_WORKER__INIT;
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;

	env.body_case = SNARE__COORD_TO_CA__BODY_CONFIG;
	env.config = &cc;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), -EINVAL);
	cc.confdir = str_of(4096);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 1), -EINVAL);
	cc.confdir = str_of(4097);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), -EINVAL);
	cc.confdir = "/c";
	cc.user = str_of(64);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), 0);
	cc.user = str_of(65);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), -EINVAL);
	cc.user = NULL;
	cc.has_key_size = 1;
	cc.key_size = 16385;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 2, 0), -EINVAL);

	env.body_case = SNARE__COORD_TO_CA__BODY_ATTACH_WORKER;
	env.attach_worker = &aw;
	aw.has_worker_index = 1;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 3, 1), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 3, 0), -EINVAL);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 3, 2), -EINVAL);
	aw.has_worker_index = 0;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_CA, &env.base, 3, 1), -EINVAL);
}

static void test_ca_ready(void **state)
{
	Snare__CaReady r = SNARE__CA_READY__INIT;
	Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;

	env.body_case = SNARE__CA_TO_COORD__BODY_READY;
	env.ready = &r;
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_COORD, &env.base, 4, 0), -EINVAL);
	r.has_ca_cert_der = 1;
	r.ca_cert_der = bytes_of(16384);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_COORD, &env.base, 4, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_COORD, &env.base, 4, 1), -EINVAL);
	r.ca_cert_der = bytes_of(16385);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_COORD, &env.base, 4, 0), -EINVAL);
	r.ca_cert_der = bytes_of(0);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_COORD, &env.base, 4, 0), -EINVAL);
}

/* --- WorkerToCa, CaToWorker --- */

static void test_cert_request(void **state)
{
	static char *sans[33];
	Snare__CertRequest cr = SNARE__CERT_REQUEST__INIT;
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sans); i++)
		sans[i] = "a.example";
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &cr;
	cr.sans = sans;
	cr.n_sans = 32;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), 0); /* no spki */
	cr.has_leaf_spki_der = 1;
	cr.leaf_spki_der = bytes_of(0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	cr.leaf_spki_der = bytes_of(2048);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 1), -EINVAL);
	cr.leaf_spki_der = bytes_of(2049);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	cr.leaf_spki_der = bytes_of(100);
	cr.n_sans = 33;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	cr.n_sans = 2;
	sans[1] = str_of(255);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), 0);
	sans[1] = str_of(256);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	sans[1] = "";
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	sans[1] = NULL;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
	sans[1] = "b";
	cr.organization = str_of(256);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 3, 0), -EINVAL);
}

static void test_register_key(void **state)
{
	Snare__RegisterKey rk = SNARE__REGISTER_KEY__INIT;
	Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;

	env.body_case = SNARE__WORKER_TO_CA__BODY_REGISTER_KEY;
	env.register_key = &rk;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 4, 0), -EINVAL); /* no key */
	rk.has_leaf_spki_der = 1;
	rk.leaf_spki_der = bytes_of(0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 4, 0), -EINVAL);
	rk.leaf_spki_der = bytes_of(2048);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 4, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 4, 1), -EINVAL);
	rk.leaf_spki_der = bytes_of(2049);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_CA, &env.base, 4, 0), -EINVAL);
}

static void test_ca_info(void **state)
{
	Snare__CaInfo ci = SNARE__CA_INFO__INIT;
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;

	env.body_case = SNARE__CA_TO_WORKER__BODY_INFO;
	env.info = &ci;
	ci.has_ca_cert_der = ci.has_ca_cert_pem = ci.has_ca_cert_p12 = 1;
	ci.ca_cert_der = bytes_of(16384);
	ci.ca_cert_pem = bytes_of(32768);
	ci.ca_cert_p12 = bytes_of(32768);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 1), -EINVAL);
	ci.ca_cert_pem = bytes_of(32769);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 0), -EINVAL);
	ci.ca_cert_pem = bytes_of(10);
	ci.ca_cert_p12 = bytes_of(32769);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 0), -EINVAL);
	ci.ca_cert_p12 = bytes_of(10);
	ci.ca_cert_der = bytes_of(16385);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 0), -EINVAL);
	ci.ca_cert_der = bytes_of(10);
	ci.has_ca_cert_p12 = 0;
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 2, 0), -EINVAL);
}

static void test_cert_reply(void **state)
{
	Snare__CertReply cr = SNARE__CERT_REPLY__INIT;
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;

	env.body_case = SNARE__CA_TO_WORKER__BODY_CERT_REPLY;
	env.cert_reply = &cr;
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), -EINVAL); /* empty */
	cr.has_cert_der = 1;
	cr.cert_der = bytes_of(16384);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 1), -EINVAL);
	cr.cert_der = bytes_of(16385);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), -EINVAL);
	cr.cert_der = bytes_of(100);
	cr.error = "signing failed"; /* both */
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), -EINVAL);
	cr.has_cert_der = 0;
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), 0);
	cr.error = str_of(4097);
	assert_int_equal(ipc_validate(IPC_CH_CA_TO_WORKER, &env.base, 3, 0), -EINVAL);
}

/* The body must match the channel, the case and the case's message type. */
/* --- coordinator <-> spawner --- */

static int v_spawn(Snare__SpawnChild *sc, size_t nfds)
{
	Snare__CoordToSpawner env = SNARE__COORD_TO_SPAWNER__INIT;

	env.body_case = SNARE__COORD_TO_SPAWNER__BODY_SPAWN;
	env.spawn = sc;
	return ipc_validate(IPC_CH_COORD_TO_SPAWNER, &env.base, env.body_case, nfds);
}

static void test_spawn_child(void **state)
{
	Snare__SpawnChild sc = SNARE__SPAWN_CHILD__INIT;

	sc.has_role = sc.has_index = sc.has_fd_slots = 1;
	sc.role = IPC_SPAWN_CA;
	sc.fd_slots = 1;
	assert_int_equal(v_spawn(&sc, 1), 0);
	assert_int_equal(v_spawn(&sc, 0), -EINVAL);
	assert_int_equal(v_spawn(&sc, 2), -EINVAL);
	sc.index = 1; /* one ca */
	assert_int_equal(v_spawn(&sc, 1), -EINVAL);
	sc.index = 0;
	sc.fd_slots = 3; /* the ca gets one channel */
	assert_int_equal(v_spawn(&sc, 2), -EINVAL);
	sc.role = IPC_SPAWN_WORKER;
	assert_int_equal(v_spawn(&sc, 2), 0);
	sc.fd_slots = 0x3f;
	assert_int_equal(v_spawn(&sc, 6), 0);
	assert_int_equal(v_spawn(&sc, 5), -EINVAL);
	sc.fd_slots = 0x7f; /* seven slots */
	assert_int_equal(v_spawn(&sc, 7), -EINVAL);
	sc.fd_slots = 0x3d; /* no ca channel */
	assert_int_equal(v_spawn(&sc, 5), -EINVAL);
	sc.fd_slots = 0x23;
	sc.index = IPC_MAX_WORKERS - 1;
	assert_int_equal(v_spawn(&sc, 3), 0);
	sc.index = IPC_MAX_WORKERS;
	assert_int_equal(v_spawn(&sc, 3), -EINVAL);
	sc.index = 0;
	sc.role = 0;
	assert_int_equal(v_spawn(&sc, 3), -EINVAL);
	sc.role = 4;
	assert_int_equal(v_spawn(&sc, 3), -EINVAL);
	sc.role = IPC_SPAWN_UI; /* channel, web listener, spill file (, -r file) */
	sc.fd_slots = 7;
	assert_int_equal(v_spawn(&sc, 3), 0);
	sc.fd_slots = 15;
	assert_int_equal(v_spawn(&sc, 4), 0);
	sc.fd_slots = 3;
	assert_int_equal(v_spawn(&sc, 2), -EINVAL);
	sc.fd_slots = 0x1f;
	assert_int_equal(v_spawn(&sc, 5), -EINVAL);
	sc.fd_slots = 7;
	sc.index = 1; /* one ui */
	assert_int_equal(v_spawn(&sc, 3), -EINVAL);
	sc.index = 0;
	sc.role = IPC_SPAWN_WORKER;
	sc.has_fd_slots = 0;
	assert_int_equal(v_spawn(&sc, 3), -EINVAL);
}

static int v_from_spawner(Snare__SpawnerToCoord *env, size_t nfds)
{
	return ipc_validate(IPC_CH_SPAWNER_TO_COORD, &env->base, (int)env->body_case, nfds);
}

static void test_spawned_exited(void **state)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ChildSpawned cs = SNARE__CHILD_SPAWNED__INIT;
	Snare__ChildExited ce = SNARE__CHILD_EXITED__INIT;

	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_SPAWNED;
	env.spawned = &cs;
	cs.has_role = cs.has_index = cs.has_pid = 1;
	cs.role = IPC_SPAWN_WORKER;
	cs.pid = 4242;
	assert_int_equal(v_from_spawner(&env, 0), 0);
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	cs.pid = 1; /* never init */
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	cs.pid = 0x80000000u;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	cs.pid = 4242;
	cs.error = "no"; /* a pid or an error */
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	cs.has_pid = 0;
	assert_int_equal(v_from_spawner(&env, 0), 0);
	cs.error = "";
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	cs.error = NULL;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	cs.has_pid = 1;
	cs.role = 7;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);

	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_EXITED;
	env.exited = &ce;
	ce.has_pid = ce.has_status = 1;
	ce.pid = 4242;
	ce.status = 9;
	assert_int_equal(v_from_spawner(&env, 0), 0);
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	ce.has_status = 0;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	ce.has_status = 1;
	ce.pid = 0;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
}

static void test_reload_result(void **state)
{
	Snare__SpawnerToCoord env = SNARE__SPAWNER_TO_COORD__INIT;
	Snare__ReloadResult r = SNARE__RELOAD_RESULT__INIT;
	Snare__WorkerConfig wc = make_config(64, 256, 0);

	env.body_case = SNARE__SPAWNER_TO_COORD__BODY_RELOADED;
	env.reloaded = &r;
	r.error = "conf.yaml:2: bad";
	assert_int_equal(v_from_spawner(&env, 0), 0);
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	r.has_fd_slots = 1; /* an error carries nothing else */
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
	r.error = NULL;
	r.fd_slots = 3;
	r.n_modes = wc.n_modes;
	r.modes = wc.modes;
	r.n_options = wc.n_options;
	r.options = wc.options;
	assert_int_equal(v_from_spawner(&env, 2), 0);
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	r.fd_slots = 4;
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	r.fd_slots = 2;
	assert_int_equal(v_from_spawner(&env, 1), 0);
	r.n_modes = 65;
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	r.n_modes = 1;
	r.n_options = 257;
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	r.n_options = 1;
	kv[0].key = "";
	assert_int_equal(v_from_spawner(&env, 1), -EINVAL);
	kv[0].key = "k";
	r.has_fd_slots = 0;
	assert_int_equal(v_from_spawner(&env, 0), -EINVAL);
}

static int v_to_ui(Snare__CoordToUi *env, size_t nfds)
{
	return ipc_validate(IPC_CH_COORD_TO_UI, &env->base, (int)env->body_case, nfds);
}

static void test_ui_config(void **state)
{
	Snare__CoordToUi env = SNARE__COORD_TO_UI__INIT;
	Snare__UiConfig c = SNARE__UI_CONFIG__INIT;
	Snare__UiDropped d = SNARE__UI_DROPPED__INIT;
	Snare__KeyValue wk = SNARE__KEY_VALUE__INIT, *wkp = &wk;
	char tok[65];

	memset(tok, 'a', 64);
	tok[64] = '\0';
	env.body_case = SNARE__COORD_TO_UI__BODY_CONFIG;
	env.config = &c;
	c.token = tok;
	c.host = "127.0.0.1";
	c.has_port = 1;
	c.port = 8081;
	assert_int_equal(v_to_ui(&env, 0), 0);
	assert_int_equal(v_to_ui(&env, 1), -EINVAL);
	tok[3] = 'G'; /* hex only */
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);
	tok[3] = 'a';
	c.token = "abcd"; /* 64 digits */
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);
	c.token = tok;
	c.port = 0;
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);
	c.port = 70000;
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);
	c.port = 8081;
	c.host = NULL;
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);
	c.host = "::1";
	wk.key = "wireguard@51820";
	wk.value = "[Interface]";
	c.wireguard = &wkp;
	c.n_wireguard = 1;
	assert_int_equal(v_to_ui(&env, 0), 0);
	wk.value = NULL;
	assert_int_equal(v_to_ui(&env, 0), -EINVAL);

	env.body_case = SNARE__COORD_TO_UI__BODY_DROPPED;
	env.dropped = &d;
	assert_int_equal(v_to_ui(&env, 0), -EINVAL); /* a count is required */
	d.has_count = 1;
	d.count = 12;
	assert_int_equal(v_to_ui(&env, 0), 0);
}

static void test_mismatch(void **state)
{
	Snare__Hello h = SNARE__HELLO__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	h.has_version = 1;
	h.version = IPC_PROTOCOL_VERSION;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_HELLO;
	env.hello = &h;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 2, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 3, 0), -EINVAL);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, 2, 0), -EINVAL);
	env.hello = NULL;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 2, 0), -EINVAL);
	/* a LogEvent where a Hello belongs */
	{
		Snare__LogEvent le = SNARE__LOG_EVENT__INIT;

		le.has_level = 1;
		le.text = "x";
		env.hello = (Snare__Hello *)&le;
		assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 2, 0), -EINVAL);
	}
	env.body_case = 0;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, 0, 0), -EINVAL);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, NULL, 2, 0), -EINVAL);
}

/* A replayed flow: HTTP with a request; a server replay flow without fds,
 * a request to send again with exactly two (the socket pair). */
static void test_replay_flow(void **state)
{
	Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;
	Snare__UiToCoord uenv = SNARE__UI_TO_COORD__INIT;
	Snare__ReplayFlow rf = SNARE__REPLAY_FLOW__INIT;
	Snare__ReplayRequest rr = SNARE__REPLAY_REQUEST__INIT;
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;

	f.id = "abc";
	f.request = &rq;
	rf.flow = &f;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_REPLAY;
	env.replay = &rf;
	rf.has_server = 1;
	rf.server = 1;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2),
			 -EINVAL);
	rf.server = 0;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2), 0);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 1),
			 -EINVAL);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 0),
			 -EINVAL);
	f.has_type = 1;
	f.type = SNARE__FLOW__TYPE__TCP;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2),
			 -EINVAL);
	f.type = SNARE__FLOW__TYPE__HTTP;
	f.id = str_of(65);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2),
			 -EINVAL);
	f.id = str_of(64);
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2), 0);
	f.request = NULL;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2),
			 -EINVAL);
	rf.flow = NULL;
	assert_int_equal(ipc_validate(IPC_CH_COORD_TO_WORKER, &env.base, env.body_case, 2),
			 -EINVAL);
	/* the ui's request: no fds, the same shape */
	f.request = &rq;
	rr.flow = &f;
	uenv.body_case = SNARE__UI_TO_COORD__BODY_REPLAY;
	uenv.replay = &rr;
	assert_int_equal(ipc_validate(IPC_CH_UI_TO_COORD, &uenv.base, uenv.body_case, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_UI_TO_COORD, &uenv.base, uenv.body_case, 1), -EINVAL);
	rr.flow = NULL;
	assert_int_equal(ipc_validate(IPC_CH_UI_TO_COORD, &uenv.base, uenv.body_case, 0), -EINVAL);
}

/* A worker's ReplayDone: a count of at least one, no fds. */
static void test_replay_done(void **state)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__ReplayDone m = SNARE__REPLAY_DONE__INIT;

	env.body_case = SNARE__WORKER_TO_COORD__BODY_REPLAY_DONE;
	env.replay_done = &m;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, env.body_case, 0),
			 -EINVAL);
	m.has_count = 1;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, env.body_case, 0),
			 -EINVAL);
	m.count = 1;
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, env.body_case, 0), 0);
	assert_int_equal(ipc_validate(IPC_CH_WORKER_TO_COORD, &env.base, env.body_case, 1),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worker_config),
	    cmocka_unit_test(test_replay_flow),
	    cmocka_unit_test(test_replay_done),
	    cmocka_unit_test(test_worker_config_strings),
	    cmocka_unit_test(test_worker_config_listeners),
	    cmocka_unit_test(test_hello),
	    cmocka_unit_test(test_shutdown_trigger),
	    cmocka_unit_test(test_log_event),
	    cmocka_unit_test(test_flow_event),
	    cmocka_unit_test(test_ca_config_attach),
	    cmocka_unit_test(test_ca_ready),
	    cmocka_unit_test(test_cert_request),
	    cmocka_unit_test(test_register_key),
	    cmocka_unit_test(test_ca_info),
	    cmocka_unit_test(test_cert_reply),
	    cmocka_unit_test(test_spawn_child),
	    cmocka_unit_test(test_ui_config),
	    cmocka_unit_test(test_spawned_exited),
	    cmocka_unit_test(test_reload_result),
	    cmocka_unit_test(test_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
