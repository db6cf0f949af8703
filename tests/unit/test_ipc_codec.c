/* Unit tests (test process only) for ipc_pack / ipc_decode: one golden
 * encode/decode vector per message of every envelope, decode-level
 * authorization per state, size caps, garbage, fd counts and fd ownership.
 * Golden bytes were checked once with `protoc --decode=snare.<Envelope>`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"

#define ST(s) (1u << IPC_ST_##s)
#define BYTES(s) ((ProtobufCBinaryData){sizeof(s) - 1, (uint8_t *)(s)})

struct golden {
	const char *name;
	enum ipc_channel ch;
	int body_case;
	unsigned states; /* where it is allowed (written from the design, not ipc_rules) */
	size_t nfds;
	ProtobufCMessage *(*build)(void);
	void (*check)(const ProtobufCMessage *env);
	const char *bytes;
	size_t len;
};

/* --- CoordToWorker --- */

static Snare__KeyValue kv0 = {PROTOBUF_C_MESSAGE_INIT(&snare__key_value__descriptor),
			      "ssl_insecure", "true"};
static Snare__KeyValue *kvs[] = {&kv0};
static Snare__Listener lis0 = {
    PROTOBUF_C_MESSAGE_INIT(&snare__listener__descriptor), 1, 0, 0, 0, 0, 0};
static Snare__Listener lis1 = {
    PROTOBUF_C_MESSAGE_INIT(&snare__listener__descriptor), 1, 1, 1, 1, 0, 0};
static Snare__Listener *liss[] = {&lis0, &lis1};
static char *modes[] = {"regular@8080", "socks5@1080"};

static ProtobufCMessage *build_c2w_config(void)
{
	static Snare__WorkerConfig wc = SNARE__WORKER_CONFIG__INIT;
	static Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;

	wc.has_worker_index = 1;
	wc.worker_index = 2;
	wc.n_modes = 2;
	wc.modes = modes;
	wc.n_options = 1;
	wc.options = kvs;
	wc.n_listeners = 2;
	wc.listeners = liss;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_CONFIG;
	env.config = &wc;
	return &env.base;
}

static void check_c2w_config(const ProtobufCMessage *m)
{
	const Snare__CoordToWorker *env = (const Snare__CoordToWorker *)m;
	const Snare__WorkerConfig *wc = env->config;

	assert_int_equal(env->seq, 1);
	assert_int_equal(wc->worker_index, 2);
	assert_int_equal(wc->n_modes, 2);
	assert_string_equal(wc->modes[0], "regular@8080");
	assert_string_equal(wc->modes[1], "socks5@1080");
	assert_int_equal(wc->n_options, 1);
	assert_string_equal(wc->options[0]->key, "ssl_insecure");
	assert_string_equal(wc->options[0]->value, "true");
	assert_int_equal(wc->n_listeners, 2);
	assert_int_equal(wc->listeners[0]->mode_index, 0);
	assert_false(wc->listeners[0]->udp);
	assert_int_equal(wc->listeners[1]->mode_index, 1);
	assert_true(wc->listeners[1]->udp);
}

static ProtobufCMessage *build_c2w_shutdown(void)
{
	static Snare__Shutdown sd = SNARE__SHUTDOWN__INIT;
	static Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;

	sd.has_grace_ms = 1;
	sd.grace_ms = 500;
	env.has_seq = 1;
	env.seq = 7;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_SHUTDOWN;
	env.shutdown = &sd;
	return &env.base;
}

static void check_c2w_shutdown(const ProtobufCMessage *m)
{
	const Snare__CoordToWorker *env = (const Snare__CoordToWorker *)m;

	assert_int_equal(env->seq, 7);
	assert_true(env->shutdown->has_grace_ms);
	assert_int_equal(env->shutdown->grace_ms, 500);
}

static ProtobufCMessage *build_c2w_trigger(void)
{
	static Snare__TestTrigger tt = SNARE__TEST_TRIGGER__INIT;
	static Snare__CoordToWorker env = SNARE__COORD_TO_WORKER__INIT;

	tt.has_what = 1;
	tt.what = 3;
	env.has_seq = 1;
	env.seq = 8;
	env.body_case = SNARE__COORD_TO_WORKER__BODY_TEST_TRIGGER;
	env.test_trigger = &tt;
	return &env.base;
}

static void check_c2w_trigger(const ProtobufCMessage *m)
{
	const Snare__CoordToWorker *env = (const Snare__CoordToWorker *)m;

	assert_int_equal(env->seq, 8);
	assert_int_equal(env->test_trigger->what, 3);
}

/* --- WorkerToCoord --- */

static ProtobufCMessage *build_w2c_hello(void)
{
	static Snare__Hello h = SNARE__HELLO__INIT;
	static Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	h.has_version = h.has_pid = 1;
	h.version = IPC_PROTOCOL_VERSION;
	h.pid = 4242;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_HELLO;
	env.hello = &h;
	return &env.base;
}

static void check_w2c_hello(const ProtobufCMessage *m)
{
	const Snare__WorkerToCoord *env = (const Snare__WorkerToCoord *)m;

	assert_int_equal(env->seq, 1);
	assert_int_equal(env->hello->version, IPC_PROTOCOL_VERSION);
	assert_int_equal(env->hello->pid, 4242);
}

static ProtobufCMessage *build_w2c_log(void)
{
	static Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
	static Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	le.has_level = 1;
	le.level = 2;
	le.client = "127.0.0.1:5000";
	le.text = "client connect";
	env.has_seq = 1;
	env.seq = 2;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
	env.log = &le;
	return &env.base;
}

static void check_w2c_log(const ProtobufCMessage *m)
{
	const Snare__WorkerToCoord *env = (const Snare__WorkerToCoord *)m;

	assert_int_equal(env->seq, 2);
	assert_int_equal(env->log->level, 2);
	assert_string_equal(env->log->client, "127.0.0.1:5000");
	assert_string_equal(env->log->text, "client connect");
}

static ProtobufCMessage *build_w2c_flow(void)
{
	static Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;
	static Snare__Flow fl = SNARE__FLOW__INIT;
	static Snare__FlowEvent fe = SNARE__FLOW_EVENT__INIT;
	static Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	rq.method = "GET";
	rq.host = "example.com";
	rq.has_port = 1;
	rq.port = 80;
	rq.path = "/";
	fl.has_version = 1;
	fl.version = 1;
	fl.has_type = 1;
	fl.type = SNARE__FLOW__TYPE__TCP;
	fl.id = "8c3d1f2e-0000-4000-8000-000000000001";
	fl.request = &rq;
	fe.flow = &fl;
	env.has_seq = 1;
	env.seq = 3;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW;
	env.flow = &fe;
	return &env.base;
}

static void check_w2c_flow(const ProtobufCMessage *m)
{
	const Snare__WorkerToCoord *env = (const Snare__WorkerToCoord *)m;
	const Snare__Flow *fl = env->flow->flow;

	assert_int_equal(env->seq, 3);
	assert_int_equal(fl->version, 1);
	assert_int_equal(fl->type, SNARE__FLOW__TYPE__TCP);
	assert_string_equal(fl->id, "8c3d1f2e-0000-4000-8000-000000000001");
	assert_string_equal(fl->request->method, "GET");
	assert_string_equal(fl->request->host, "example.com");
	assert_int_equal(fl->request->port, 80);
	assert_string_equal(fl->request->path, "/");
	assert_null(fl->response);
}

/* --- CoordToCa --- */

static ProtobufCMessage *build_c2ca_config(void)
{
	static Snare__CaConfig cc = SNARE__CA_CONFIG__INIT;
	static Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;

	cc.confdir = "/home/u/.snare";
	cc.has_key_size = 1;
	cc.key_size = 2048;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__COORD_TO_CA__BODY_CONFIG;
	env.config = &cc;
	return &env.base;
}

static void check_c2ca_config(const ProtobufCMessage *m)
{
	const Snare__CoordToCa *env = (const Snare__CoordToCa *)m;

	assert_int_equal(env->seq, 1);
	assert_string_equal(env->config->confdir, "/home/u/.snare");
	assert_int_equal(env->config->key_size, 2048);
}

static ProtobufCMessage *build_c2ca_attach(void)
{
	static Snare__AttachWorker aw = SNARE__ATTACH_WORKER__INIT;
	static Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;

	aw.has_worker_index = 1;
	aw.worker_index = 3;
	env.has_seq = 1;
	env.seq = 2;
	env.body_case = SNARE__COORD_TO_CA__BODY_ATTACH_WORKER;
	env.attach_worker = &aw;
	return &env.base;
}

static void check_c2ca_attach(const ProtobufCMessage *m)
{
	const Snare__CoordToCa *env = (const Snare__CoordToCa *)m;

	assert_int_equal(env->seq, 2);
	assert_int_equal(env->attach_worker->worker_index, 3);
}

static ProtobufCMessage *build_c2ca_shutdown(void)
{
	static Snare__Shutdown sd = SNARE__SHUTDOWN__INIT;
	static Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;

	sd.has_grace_ms = 1;
	sd.grace_ms = 0;
	env.has_seq = 1;
	env.seq = 3;
	env.body_case = SNARE__COORD_TO_CA__BODY_SHUTDOWN;
	env.shutdown = &sd;
	return &env.base;
}

static void check_c2ca_shutdown(const ProtobufCMessage *m)
{
	const Snare__CoordToCa *env = (const Snare__CoordToCa *)m;

	assert_int_equal(env->seq, 3);
	assert_true(env->shutdown->has_grace_ms);
	assert_int_equal(env->shutdown->grace_ms, 0);
}

/* --- CaToCoord --- */

static ProtobufCMessage *build_ca2c_hello(void)
{
	static Snare__Hello h = SNARE__HELLO__INIT;
	static Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;

	h.has_version = h.has_pid = 1;
	h.version = IPC_PROTOCOL_VERSION;
	h.pid = 99;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__CA_TO_COORD__BODY_HELLO;
	env.hello = &h;
	return &env.base;
}

static void check_ca2c_hello(const ProtobufCMessage *m)
{
	const Snare__CaToCoord *env = (const Snare__CaToCoord *)m;

	assert_int_equal(env->seq, 1);
	assert_int_equal(env->hello->version, IPC_PROTOCOL_VERSION);
	assert_int_equal(env->hello->pid, 99);
}

static ProtobufCMessage *build_ca2c_log(void)
{
	static Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
	static Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;

	le.has_level = 1;
	le.level = 0;
	le.text = "boom";
	env.has_seq = 1;
	env.seq = 4;
	env.body_case = SNARE__CA_TO_COORD__BODY_LOG;
	env.log = &le;
	return &env.base;
}

static void check_ca2c_log(const ProtobufCMessage *m)
{
	const Snare__CaToCoord *env = (const Snare__CaToCoord *)m;

	assert_int_equal(env->seq, 4);
	assert_true(env->log->has_level);
	assert_int_equal(env->log->level, 0);
	assert_null(env->log->client);
	assert_string_equal(env->log->text, "boom");
}

static ProtobufCMessage *build_ca2c_ready(void)
{
	static Snare__CaReady r = SNARE__CA_READY__INIT;
	static Snare__CaToCoord env = SNARE__CA_TO_COORD__INIT;

	r.has_ca_cert_der = 1;
	r.ca_cert_der = BYTES("\x30\x03\x02\x01\x01");
	env.has_seq = 1;
	env.seq = 2;
	env.body_case = SNARE__CA_TO_COORD__BODY_READY;
	env.ready = &r;
	return &env.base;
}

static void check_ca2c_ready(const ProtobufCMessage *m)
{
	const Snare__CaToCoord *env = (const Snare__CaToCoord *)m;

	assert_int_equal(env->seq, 2);
	assert_int_equal(env->ready->ca_cert_der.len, 5);
	assert_memory_equal(env->ready->ca_cert_der.data, "\x30\x03\x02\x01\x01", 5);
}

/* --- WorkerToCa --- */

static ProtobufCMessage *build_w2ca_hello(void)
{
	static Snare__Hello h = SNARE__HELLO__INIT;
	static Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;

	h.has_version = 1;
	h.version = IPC_PROTOCOL_VERSION;
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__WORKER_TO_CA__BODY_HELLO;
	env.hello = &h;
	return &env.base;
}

static void check_w2ca_hello(const ProtobufCMessage *m)
{
	const Snare__WorkerToCa *env = (const Snare__WorkerToCa *)m;

	assert_int_equal(env->seq, 1);
	assert_int_equal(env->hello->version, IPC_PROTOCOL_VERSION);
	assert_false(env->hello->has_pid);
}

static char *sans[] = {"example.com", "1.2.3.4"};

static ProtobufCMessage *build_w2ca_certreq(void)
{
	static Snare__CertRequest cr = SNARE__CERT_REQUEST__INIT;
	static Snare__WorkerToCa env = SNARE__WORKER_TO_CA__INIT;

	cr.has_leaf_spki_der = 1;
	cr.leaf_spki_der = BYTES("\x30\x02\x05\x00");
	cr.n_sans = 2;
	cr.sans = sans;
	cr.organization = "Example Inc";
	env.has_seq = 1;
	env.seq = 5;
	env.body_case = SNARE__WORKER_TO_CA__BODY_CERT_REQUEST;
	env.cert_request = &cr;
	return &env.base;
}

static void check_w2ca_certreq(const ProtobufCMessage *m)
{
	const Snare__WorkerToCa *env = (const Snare__WorkerToCa *)m;
	const Snare__CertRequest *cr = env->cert_request;

	assert_int_equal(env->seq, 5);
	assert_int_equal(cr->leaf_spki_der.len, 4);
	assert_memory_equal(cr->leaf_spki_der.data, "\x30\x02\x05\x00", 4);
	assert_int_equal(cr->n_sans, 2);
	assert_string_equal(cr->sans[0], "example.com");
	assert_string_equal(cr->sans[1], "1.2.3.4");
	assert_string_equal(cr->organization, "Example Inc");
}

/* --- CaToWorker --- */

static ProtobufCMessage *build_ca2w_info(void)
{
	static Snare__CaInfo ci = SNARE__CA_INFO__INIT;
	static Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;

	ci.has_ca_cert_der = ci.has_ca_cert_pem = ci.has_ca_cert_p12 = 1;
	ci.ca_cert_der = BYTES("\x30\x00");
	ci.ca_cert_pem = BYTES("-----BEGIN CERTIFICATE-----\n");
	ci.ca_cert_p12 = BYTES("\x30\x01\x00");
	env.has_seq = 1;
	env.seq = 1;
	env.body_case = SNARE__CA_TO_WORKER__BODY_INFO;
	env.info = &ci;
	return &env.base;
}

static void check_ca2w_info(const ProtobufCMessage *m)
{
	const Snare__CaToWorker *env = (const Snare__CaToWorker *)m;
	const Snare__CaInfo *ci = env->info;

	assert_int_equal(env->seq, 1);
	assert_int_equal(ci->ca_cert_der.len, 2);
	assert_memory_equal(ci->ca_cert_der.data, "\x30\x00", 2);
	assert_int_equal(ci->ca_cert_pem.len, 28);
	assert_memory_equal(ci->ca_cert_pem.data, "-----BEGIN CERTIFICATE-----\n", 28);
	assert_int_equal(ci->ca_cert_p12.len, 3);
	assert_memory_equal(ci->ca_cert_p12.data, "\x30\x01\x00", 3);
}

static ProtobufCMessage *build_ca2w_reply(void)
{
	static Snare__CertReply cr = SNARE__CERT_REPLY__INIT;
	static Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;

	cr.has_cert_der = 1;
	cr.cert_der = BYTES("\x30\x04\x02\x02\x01\x00");
	env.has_seq = 1;
	env.seq = 5;
	env.body_case = SNARE__CA_TO_WORKER__BODY_CERT_REPLY;
	env.cert_reply = &cr;
	return &env.base;
}

static void check_ca2w_reply(const ProtobufCMessage *m)
{
	const Snare__CaToWorker *env = (const Snare__CaToWorker *)m;

	assert_int_equal(env->seq, 5);
	assert_int_equal(env->cert_reply->cert_der.len, 6);
	assert_memory_equal(env->cert_reply->cert_der.data, "\x30\x04\x02\x02\x01\x00", 6);
	assert_null(env->cert_reply->error);
}

#define G(name, ch, cs, states, nfds, bytes)                                                       \
	{                                                                                          \
#name, IPC_CH_##ch, SNARE__##ch##__BODY_##cs, states, nfds, build_##name,          \
		    check_##name, bytes, sizeof(bytes) - 1                                         \
	}

static const struct golden goldens[] = {
    G(c2w_config, COORD_TO_WORKER, CONFIG, ST(CONFIG), 2,
      "\x08\x01\x12\x3d\x08\x02\x12\x0cregular@8080\x12\x0bsocks5@1080\x1a\x14\x0a\x0cssl_"
      "insecure\x12\x04true\x22\x02\x08\x00\x22\x04\x08\x01\x10\x01"),
    G(c2w_shutdown, COORD_TO_WORKER, SHUTDOWN, ST(CONFIG) | ST(RUNNING), 0,
      "\x08\x07\x1a\x03\x08\xf4\x03"),
    G(c2w_trigger, COORD_TO_WORKER, TEST_TRIGGER, ST(RUNNING), 0, "\x08\x08\x22\x02\x08\x03"),
    G(w2c_hello, WORKER_TO_COORD, HELLO, ST(HELLO), 0, "\x08\x01\x12\x05\x08\x01\x10\x92\x21"),
    G(w2c_log, WORKER_TO_COORD, LOG, ST(CONFIG) | ST(RUNNING) | ST(CLOSING), 0,
      "\x08\x02\x1a\x22\x08\x02\x12\x0e"
      "127.0.0.1:5000\x1a\x0e"
      "client connect"),
    G(w2c_flow, WORKER_TO_COORD, FLOW, ST(CONFIG) | ST(RUNNING) | ST(CLOSING), 0,
      "\x08\x03\x22\x45\x0a\x43\x08\x01\x10\x01\x1a\x24"
      "8c3d1f2e-0000-4000-8000-000000000001B\x17\x0a\x03GET\x1a\x0b"
      "example.com\x20\x50\x2a\x01/"),
    G(c2ca_config, COORD_TO_CA, CONFIG, ST(CONFIG), 0,
      "\x08\x01\x12\x13\x0a\x0e/home/u/.snare\x10\x80\x10"),
    G(c2ca_attach, COORD_TO_CA, ATTACH_WORKER, ST(RUNNING), 1, "\x08\x02\x1a\x02\x08\x03"),
    G(c2ca_shutdown, COORD_TO_CA, SHUTDOWN, ST(CONFIG) | ST(RUNNING), 0,
      "\x08\x03\x22\x02\x08\x00"),
    G(ca2c_hello, CA_TO_COORD, HELLO, ST(HELLO), 0, "\x08\x01\x12\x04\x08\x01\x10\x63"),
    G(ca2c_log, CA_TO_COORD, LOG, ST(CONFIG) | ST(RUNNING) | ST(CLOSING), 0,
      "\x08\x04\x1a\x08\x08\x00\x1a\x04"
      "boom"),
    G(ca2c_ready, CA_TO_COORD, READY, ST(CONFIG), 0,
      "\x08\x02\x22\x07\x0a\x05\x30\x03\x02\x01\x01"),
    G(w2ca_hello, WORKER_TO_CA, HELLO, ST(HELLO), 0, "\x08\x01\x12\x02\x08\x01"),
    G(w2ca_certreq, WORKER_TO_CA, CERT_REQUEST, ST(RUNNING), 0,
      "\x08\x05\x1a\x29\x0a\x04\x30\x02\x05\x00\x12\x0b"
      "example.com\x12\x07"
      "1.2.3.4\x1a\x0b"
      "Example Inc"),
    G(ca2w_info, CA_TO_WORKER, INFO, ST(HELLO), 0,
      "\x08\x01\x12\x27\x0a\x02\x30\x00\x12\x1c-----BEGIN CERTIFICATE-----\n\x1a\x03\x30\x01\x00"),
    G(ca2w_reply, CA_TO_WORKER, CERT_REPLY, ST(RUNNING), 0,
      "\x08\x05\x1a\x08\x0a\x06\x30\x04\x02\x02\x01\x00"),
};

/* The first state a golden message is allowed in. */
static enum ipc_state golden_state(const struct golden *g)
{
	enum ipc_state s;

	for (s = 0; s < IPC_ST_COUNT; s++)
		if (g->states & (1u << s))
			return s;
	fail_msg("%s: no state", g->name);
	return IPC_ST_COUNT;
}

static void open_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fds[i] >= 0);
	}
}

static void assert_fds_closed(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(fcntl(fds[i], F_GETFD), -1);
}

static void print_hex(const char *name, const uint8_t *b, size_t n)
{
	size_t i;

	print_message("%s: \"", name);
	for (i = 0; i < n; i++)
		print_message("\\x%02x", b[i]);
	print_message("\"\n");
}

static void test_golden_encode(void **state)
{
	static uint8_t buf[IPC_MAX_FRAME];
	size_t i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];
		ProtobufCMessage *env = g->build();
		int n = ipc_pack(env, buf, sizeof(buf));

		assert_int_equal(ipc_env_case(env), g->body_case);
		if (n != (int)g->len || memcmp(buf, g->bytes, g->len) != 0) {
			print_hex(g->name, buf, n > 0 ? (size_t)n : 0);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_golden_decode(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];
		int fds[IPC_MAX_FDS] = {0};
		struct ipc_frame f;

		open_fds(fds, g->nfds);
		assert_int_equal(ipc_decode(g->ch, golden_state(g), (const uint8_t *)g->bytes,
					    g->len, fds, g->nfds, &f),
				 0);
		assert_int_equal(f.ch, g->ch);
		assert_int_equal(f.body_case, g->body_case);
		assert_ptr_equal(f.msg->descriptor, ipc_channel_descriptor(g->ch));
		assert_int_equal(f.nfds, g->nfds);
		assert_memory_equal(f.fds, fds, g->nfds * sizeof(int));
		g->check(f.msg);
		ipc_frame_free(&f);
		assert_fds_closed(fds, g->nfds);
	}
}

/* Decoding each valid message in every state: 0 exactly where allowed. */
static void test_decode_states(void **state)
{
	size_t i;
	enum ipc_state s;

	for (i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];

		for (s = 0; s < IPC_ST_COUNT; s++) {
			int fds[IPC_MAX_FDS], err;
			struct ipc_frame f;

			open_fds(fds, g->nfds);
			err = ipc_decode(g->ch, s, (const uint8_t *)g->bytes, g->len, fds, g->nfds,
					 &f);
			if (g->states & (1u << s)) {
				assert_int_equal(err, 0);
				ipc_frame_free(&f);
			} else {
				assert_int_equal(err, -EPERM);
			}
			assert_fds_closed(fds, g->nfds);
		}
	}
}

/* A message is only understood on its own channel. */
static void test_decode_wrong_channel(void **state)
{
	size_t i;
	enum ipc_channel ch;

	for (i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];

		for (ch = 0; ch < IPC_CH_COUNT; ch++) {
			struct ipc_frame f;
			int fds[IPC_MAX_FDS], err;

			if (ch == g->ch)
				continue;
			open_fds(fds, g->nfds);
			err = ipc_decode(ch, golden_state(g), (const uint8_t *)g->bytes, g->len,
					 fds, g->nfds, &f);
			if (err == 0) /* same layout, e.g. a hello: must then be allowed */
				ipc_frame_free(&f);
			assert_true(err == 0 ? ipc_authorized(ch, f.body_case, golden_state(g))
					     : err == -EPERM || err == -EBADMSG || err == -EINVAL);
			assert_fds_closed(fds, g->nfds);
		}
	}
}

static void test_decode_oversize(void **state)
{
	uint8_t *big = calloc(1, IPC_MAX_FRAME + 1);
	struct ipc_frame f;
	int fd[1];

	assert_non_null(big);
	open_fds(fd, 1);
	assert_int_equal(
	    ipc_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, big, IPC_MAX_FRAME + 1, fd, 1, &f),
	    -EMSGSIZE);
	assert_fds_closed(fd, 1);
	free(big);
}

static void test_pack_limits(void **state)
{
	static char text[IPC_MAX_FRAME + 16];
	Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	uint8_t small[4];
	static uint8_t buf[IPC_MAX_FRAME];

	env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
	env.log = &le;
	le.text = "hello";
	assert_int_equal(ipc_pack(&env.base, small, sizeof(small)), -EMSGSIZE);
	assert_true(ipc_pack(&env.base, buf, sizeof(buf)) > 0);
	memset(text, 'a', sizeof(text) - 1);
	le.text = text;
	assert_int_equal(ipc_pack(&env.base, buf, sizeof(buf)), -EMSGSIZE);
}

static void expect_decode(enum ipc_channel ch, enum ipc_state st, const void *b, size_t n,
			  size_t nfds, int want)
{
	struct ipc_frame f;
	int fds[IPC_MAX_FDS + 1] = {0};

	open_fds(fds, nfds);
	assert_int_equal(ipc_decode(ch, st, b, n, fds, nfds, &f), want);
	if (want == 0)
		ipc_frame_free(&f);
	assert_fds_closed(fds, nfds);
}

static void test_decode_garbage(void **state)
{
	const struct golden *g = &goldens[3]; /* w2c_hello */

	assert_string_equal(g->name, "w2c_hello");
	/* empty, seq only, bad varint, wrong wire type, truncated */
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, "", 0, 1, -EBADMSG);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, "\x08\x01", 2, 0, -EBADMSG);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO,
		      "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, 0, -EBADMSG);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, "\x12\x01", 2, 0, -EBADMSG);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, "\x10\x05", 2, 0, -EBADMSG);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, g->bytes, g->len - 1, 0, -EBADMSG);
	/* an unknown field next to a valid body: refused */
	{
		uint8_t b[64];

		memcpy(b, g->bytes, g->len);
		memcpy(b + g->len, "\x48\x01", 2); /* field 9, varint 1 */
		expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, b, g->len + 2, 0, -EBADMSG);
	}
	/* a body case this build does not know (field 7) is not a case at all */
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, "\x3a\x00", 2, 0, -EBADMSG);
	/* the original frame is still fine */
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, g->bytes, g->len, 0, 0);
}

static void test_decode_bad_args(void **state)
{
	const struct golden *g = &goldens[3];

	expect_decode(IPC_CH_COUNT, IPC_ST_HELLO, g->bytes, g->len, 0, -EINVAL);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_HELLO, g->bytes, g->len, IPC_MAX_FDS + 1,
		      -EINVAL);
	expect_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_COUNT, g->bytes, g->len, 0, -EPERM);
}

static void test_decode_fd_counts(void **state)
{
	const struct golden *cfg = &goldens[0], *att = &goldens[7], *sd = &goldens[1];

	assert_string_equal(att->name, "c2ca_attach");
	expect_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, att->bytes, att->len, 0, -EINVAL);
	expect_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, att->bytes, att->len, 2, -EINVAL);
	expect_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, att->bytes, att->len, 1, 0);
	expect_decode(IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, cfg->bytes, cfg->len, 1, -EINVAL);
	expect_decode(IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, cfg->bytes, cfg->len, 3, -EINVAL);
	expect_decode(IPC_CH_COORD_TO_WORKER, IPC_ST_CONFIG, sd->bytes, sd->len, 1, -EINVAL);
}

static void test_frame_take_fd(void **state)
{
	const struct golden *att = &goldens[7];
	struct ipc_frame f;
	int fd[1], got;

	open_fds(fd, 1);
	assert_int_equal(ipc_decode(IPC_CH_COORD_TO_CA, IPC_ST_RUNNING, (const uint8_t *)att->bytes,
				    att->len, fd, 1, &f),
			 0);
	assert_int_equal(ipc_frame_take_fd(&f, 1), -EBADF);
	got = ipc_frame_take_fd(&f, 0);
	assert_int_equal(got, fd[0]);
	assert_int_equal(ipc_frame_take_fd(&f, 0), -EBADF);
	ipc_frame_free(&f);
	assert_int_not_equal(fcntl(got, F_GETFD), -1); /* ours now */
	close(got);
}

static void test_env_accessors(void **state)
{
	Snare__CaToWorker env = SNARE__CA_TO_WORKER__INIT;
	Snare__CertReply cr = SNARE__CERT_REPLY__INIT;

	assert_int_equal(ipc_env_case(&env.base), 0);
	assert_null(ipc_env_body(&env.base));
	assert_int_equal(ipc_env_seq(&env.base), 0);
	ipc_env_set_seq(&env.base, 77);
	assert_true(env.has_seq);
	assert_int_equal(env.seq, 77);
	assert_int_equal(ipc_env_seq(&env.base), 77);
	env.body_case = SNARE__CA_TO_WORKER__BODY_CERT_REPLY;
	env.cert_reply = &cr;
	assert_int_equal(ipc_env_case(&env.base), SNARE__CA_TO_WORKER__BODY_CERT_REPLY);
	assert_ptr_equal(ipc_env_body(&env.base), &cr.base);
	assert_null(ipc_channel_descriptor(IPC_CH_COUNT));
	assert_ptr_equal(ipc_channel_descriptor(IPC_CH_CA_TO_WORKER),
			 &snare__ca_to_worker__descriptor);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_encode),    cmocka_unit_test(test_golden_decode),
	    cmocka_unit_test(test_decode_states),    cmocka_unit_test(test_decode_wrong_channel),
	    cmocka_unit_test(test_decode_oversize),  cmocka_unit_test(test_pack_limits),
	    cmocka_unit_test(test_decode_garbage),   cmocka_unit_test(test_decode_bad_args),
	    cmocka_unit_test(test_decode_fd_counts), cmocka_unit_test(test_frame_take_fd),
	    cmocka_unit_test(test_env_accessors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
