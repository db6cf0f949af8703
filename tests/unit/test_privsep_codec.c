/* Unit tests (test process only) of the helper channel's rules: the
 * authorization table (every request refused in a wrong state, every
 * message/state pair not listed here refused), validate_<msg>() on bad
 * ports, interface and TUN names, MTUs, counts, addresses and fds, the decode pipeline
 * (size cap, garbage, unknown fields) and the undo log's order and bounds.
 * The allowed list is written from the design, independently of the code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/unconst.h"
#include "privsep/privsep_proto.h"

#define C2H(c) SNARE__HELPER__COORD_TO_HELPER__BODY_##c
#define H2C(c) SNARE__HELPER__HELPER_TO_COORD__BODY_##c
#define ST(s) (1u << PRIVSEP_ST_##s)

static const struct {
	enum privsep_dir dir;
	int body_case;
	unsigned states;
} allowed[] = {
    {PRIVSEP_COORD_TO_HELPER, C2H(HELLO), ST(HELLO)},
    {PRIVSEP_COORD_TO_HELPER, C2H(NETFILTER_REDIRECT), ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, C2H(NETFILTER_TPROXY_UDP), ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, C2H(BIND_PORT), ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, C2H(UNDO), ST(READY)},
    {PRIVSEP_COORD_TO_HELPER, C2H(CREATE_TUN), ST(READY)},
    {PRIVSEP_HELPER_TO_COORD, H2C(HELLO), ST(HELLO)},
    {PRIVSEP_HELPER_TO_COORD, H2C(OK), ST(WAITING)},
    {PRIVSEP_HELPER_TO_COORD, H2C(ERROR), ST(WAITING)},
};

static bool expected(int dir, int body_case, int state)
{
	size_t i;

	if (state < 0 || state >= PRIVSEP_ST_COUNT)
		return false;
	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		if ((int)allowed[i].dir == dir && allowed[i].body_case == body_case)
			return (allowed[i].states & (1u << state)) != 0;
	return false;
}

static void test_auth_table(void **state)
{
	int dir, c, st, n_allowed = 0;

	for (dir = -1; dir <= PRIVSEP_DIR_COUNT; dir++)
		for (c = -1; c < 12; c++)
			for (st = -1; st <= PRIVSEP_ST_COUNT; st++) {
				bool got = privsep_authorized(dir, c, st);

				if (got != expected(dir, c, st))
					fail_msg("dir %d case %d state %d: %d", dir, c, st, got);
				n_allowed += got;
			}
	assert_int_equal(n_allowed, 9);
}

/* ---- building frames ------------------------------------------------------ */

static const struct privsep_ctx user_ctx = {.peer_uid = 1000, .helper_name = "netfilter"};
static const struct privsep_ctx root_ctx = {.peer_uid = 0, .helper_name = "netfilter"};

static uint32_t ports1[] = {18555};
static char *no_ifaces[] = {NULL};

static Snare__Helper__NetfilterRedirect redirect_ok(void)
{
	Snare__Helper__NetfilterRedirect m = SNARE__HELPER__NETFILTER_REDIRECT__INIT;

	m.has_proto = m.has_to_port = true;
	m.proto = SNARE__HELPER__PROTO__PROTO_TCP;
	m.n_ports = 1;
	m.ports = ports1;
	m.interfaces = no_ifaces;
	m.to_port = 18556;
	return m;
}

/* Packs a CoordToHelper carrying m as case c, decodes it in state st. */
static int decode_c2h(int c, void *m, enum privsep_state st, const struct privsep_ctx *ctx,
		      size_t nfds)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	struct privsep_msg out = {0};
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int n, rc;

	env.has_seq = true;
	env.seq = 7;
	env.body_case = c;
	env.hello = m;
	n = privsep_pack(&env.base, buf, sizeof(buf));
	assert_true(n > 0);
	rc = privsep_decode(PRIVSEP_COORD_TO_HELPER, st, ctx, buf, (size_t)n, nfds, &out);
	if (rc == 0) {
		assert_int_equal(out.body_case, c);
		assert_true(out.seq == 7);
		privsep_msg_free(&out);
	}
	return rc;
}

static int redirect_rc(Snare__Helper__NetfilterRedirect *m, const struct privsep_ctx *ctx)
{
	return decode_c2h(C2H(NETFILTER_REDIRECT), m, PRIVSEP_ST_READY, ctx, 0);
}

static void test_every_request_refused_in_wrong_state(void **state)
{
	Snare__Helper__NetfilterRedirect r = redirect_ok();
	Snare__Helper__Hello h = SNARE__HELPER__HELLO__INIT;
	Snare__Helper__Undo u = SNARE__HELPER__UNDO__INIT;

	h.has_version = true;
	h.version = PRIVSEP_PROTOCOL_VERSION;
	h.helper = "netfilter";
	assert_int_equal(decode_c2h(C2H(NETFILTER_REDIRECT), &r, PRIVSEP_ST_HELLO, &user_ctx, 0),
			 -EPERM);
	assert_int_equal(decode_c2h(C2H(UNDO), &u, PRIVSEP_ST_HELLO, &user_ctx, 0), -EPERM);
	assert_int_equal(decode_c2h(C2H(HELLO), &h, PRIVSEP_ST_READY, &user_ctx, 0), -EPERM);
	assert_int_equal(decode_c2h(C2H(HELLO), &h, PRIVSEP_ST_HELLO, &user_ctx, 0), 0);
	assert_int_equal(decode_c2h(C2H(UNDO), &u, PRIVSEP_ST_READY, &user_ctx, 0), 0);
	assert_int_equal(decode_c2h(C2H(NETFILTER_REDIRECT), &r, PRIVSEP_ST_READY, &user_ctx, 0),
			 0);
}

static void test_hello_checks(void **state)
{
	Snare__Helper__Hello h = SNARE__HELPER__HELLO__INIT;

	h.has_version = true;
	h.version = PRIVSEP_PROTOCOL_VERSION + 1;
	h.helper = "netfilter";
	assert_int_equal(decode_c2h(C2H(HELLO), &h, PRIVSEP_ST_HELLO, &user_ctx, 0), -EINVAL);
	h.version = PRIVSEP_PROTOCOL_VERSION;
	h.helper = "tun"; /* not the helper we are */
	assert_int_equal(decode_c2h(C2H(HELLO), &h, PRIVSEP_ST_HELLO, &user_ctx, 0), -EINVAL);
	h.helper = "netfilter";
	assert_int_equal(decode_c2h(C2H(HELLO), &h, PRIVSEP_ST_HELLO, &user_ctx, 1), -EINVAL);
}

static void test_redirect_ports(void **state)
{
	Snare__Helper__NetfilterRedirect m = redirect_ok();
	uint32_t many[70], bad[] = {80, 65536}, dup[] = {80, 443, 80}, zero[] = {0};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = 1000 + (uint32_t)i;
	m.ports = many;
	m.n_ports = 64;
	assert_int_equal(redirect_rc(&m, &user_ctx), 0);
	m.n_ports = 65;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.n_ports = 70;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.n_ports = 0;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.ports = bad;
	m.n_ports = 2;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.ports = dup;
	m.n_ports = 3;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.ports = zero;
	m.n_ports = 1;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
}

static void test_redirect_fields(void **state)
{
	Snare__Helper__NetfilterRedirect m = redirect_ok();

	m.to_port = 65536;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.to_port = 0;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m = redirect_ok();
	m.has_to_port = false;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m = redirect_ok();
	m.proto = SNARE__HELPER__PROTO__PROTO_UDP;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.proto = (Snare__Helper__Proto)9;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m = redirect_ok();
	m.has_proto = false;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
}

static void test_redirect_exclude_uid_root_only(void **state)
{
	Snare__Helper__NetfilterRedirect m = redirect_ok();

	m.has_exclude_uid = true;
	m.exclude_uid = 65534;
	m.has_include_local = true;
	m.include_local = true;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	assert_int_equal(redirect_rc(&m, &root_ctx), 0);
	m.include_local = false;
	assert_int_equal(redirect_rc(&m, &root_ctx), -EINVAL);
}

static void test_interface_names(void **state)
{
	static const char *good[] = {"eth0", "wlp3s0", "br-lan.10", "a_b", "x", "abcdefghijklmno"};
	static const char *bad[] = {"",	 "abcdefghijklmnop", "eth0 ", "eth/0", "eth*", "..",
				    ".", "eth0\n",	     "ä",     "$(id)"};
	Snare__Helper__NetfilterRedirect m = redirect_ok();
	char *names[17], *two[] = {"eth0", "eth0"};
	char buf[17][8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_true(privsep_valid_ifname(good[i]));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(privsep_valid_ifname(bad[i]));
		names[0] = unconst(bad[i]);
		m.interfaces = names;
		m.n_interfaces = 1;
		assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	}
	for (i = 0; i < 17; i++) {
		snprintf(buf[i], sizeof(buf[i]), "eth%zu", i);
		names[i] = buf[i];
	}
	m.n_interfaces = 16;
	assert_int_equal(redirect_rc(&m, &user_ctx), 0);
	m.n_interfaces = 17;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
	m.interfaces = two;
	m.n_interfaces = 2;
	assert_int_equal(redirect_rc(&m, &user_ctx), -EINVAL);
}

static void test_tproxy(void **state)
{
	Snare__Helper__NetfilterTproxyUdp m = SNARE__HELPER__NETFILTER_TPROXY_UDP__INIT;
	int c = C2H(NETFILTER_TPROXY_UDP);

	m.n_ports = 1;
	m.ports = ports1;
	m.has_to_port = m.has_mark = true;
	m.to_port = 8080;
	m.mark = 1;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), 0);
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_HELLO, &user_ctx, 0), -EPERM);
	m.mark = 0;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), -EINVAL);
	m.mark = 1;
	m.to_port = 70000;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), -EINVAL);
}

/* transparent_interfaces apply to UDP too, checked as for the redirect. */
static void test_tproxy_interfaces(void **state)
{
	Snare__Helper__NetfilterTproxyUdp m = SNARE__HELPER__NETFILTER_TPROXY_UDP__INIT;
	char *good[] = {"eth1", "br-lan.10"}, *bad[] = {"eth1; x"}, *twice[] = {"eth1", "eth1"};
	int c = C2H(NETFILTER_TPROXY_UDP);

	m.n_ports = 1;
	m.ports = ports1;
	m.has_to_port = m.has_mark = true;
	m.to_port = 8080;
	m.mark = 0x534e;
	m.interfaces = good;
	m.n_interfaces = 2;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), 0);
	m.interfaces = bad;
	m.n_interfaces = 1;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), -EINVAL);
	m.interfaces = twice;
	m.n_interfaces = 2;
	assert_int_equal(decode_c2h(c, &m, PRIVSEP_ST_READY, &user_ctx, 0), -EINVAL);
}

static int bind_rc(int proto, const char *addr, uint32_t port, size_t nfds)
{
	Snare__Helper__BindPort m = SNARE__HELPER__BIND_PORT__INIT;

	m.has_proto = m.has_port = true;
	m.proto = proto;
	m.address = unconst(addr);
	m.port = port;
	return decode_c2h(C2H(BIND_PORT), &m, PRIVSEP_ST_READY, &user_ctx, nfds);
}

static void test_bind_port(void **state)
{
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "127.0.0.1", 853, 0), 0);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_UDP, "::1", 53, 0), 0);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_UDP, "0.0.0.0", 1023, 0), 0);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "127.0.0.1", 1024, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "127.0.0.1", 0, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "localhost", 80, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "/tmp/x", 80, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "127.0.0.1 ", 80, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_UNSPEC, "127.0.0.1", 80, 0), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, "127.0.0.1", 80, 1), -EINVAL);
	assert_int_equal(bind_rc(SNARE__HELPER__PROTO__PROTO_TCP, NULL, 80, 0), -EINVAL);
}

static int tun_rc(const char *name, bool has_mtu, uint32_t mtu, enum privsep_state st, size_t nfds)
{
	Snare__Helper__CreateTun m = SNARE__HELPER__CREATE_TUN__INIT;

	m.name = unconst(name);
	m.has_mtu = has_mtu;
	m.mtu = mtu;
	return decode_c2h(C2H(CREATE_TUN), &m, st, &user_ctx, nfds);
}

static void test_create_tun(void **state)
{
	enum privsep_state r = PRIVSEP_ST_READY;

	assert_int_equal(tun_rc(NULL, false, 0, r, 0), 0);
	assert_int_equal(tun_rc("tun%d", true, 1500, r, 0), 0);
	assert_int_equal(tun_rc("mitm0", true, 576, r, 0), 0);
	assert_int_equal(tun_rc("mitm0", true, 65535, r, 0), 0);
	assert_int_equal(tun_rc("mitm0", true, 575, r, 0), -EINVAL);
	assert_int_equal(tun_rc("mitm0", true, 65536, r, 0), -EINVAL);
	assert_int_equal(tun_rc("mitm0", true, 0, r, 0), -EINVAL);
	assert_int_equal(tun_rc("tun/0", false, 0, r, 0), -EINVAL);
	assert_int_equal(tun_rc("", false, 0, r, 0), -EINVAL);
	/* Wrong state, and an fd where none belongs. */
	assert_int_equal(tun_rc("tun%d", false, 0, PRIVSEP_ST_HELLO, 0), -EPERM);
	assert_int_equal(tun_rc("tun%d", false, 0, r, 1), -EINVAL);
}

static void test_tun_names(void **state)
{
	static const char *good[] = {"tun%d",		"t%d",	   "mitm0", "abcdefghijklm%d",
				     "abcdefghijklmno", "a.b-c_%d"};
	static const char *bad[] = {
	    "%d",    "tun%d%d", "tun%s", "%dtun",   "tun%",  "tun%d ", "abcdefghijklmn%d",
	    "tun 0", "..",	".",	 "$(id)%d", "tun%n", "",       NULL};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		if (!privsep_valid_tun_name(good[i]))
			fail_msg("refused %s", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (privsep_valid_tun_name(bad[i]))
			fail_msg("accepted %s", bad[i]);
}

/* ---- replies -------------------------------------------------------------- */

static int decode_h2c(int c, void *m, enum privsep_state st, size_t ok_fds, size_t nfds)
{
	Snare__Helper__HelperToCoord env = SNARE__HELPER__HELPER_TO_COORD__INIT;
	struct privsep_ctx ctx = {.helper_name = "netfilter", .ok_fds = ok_fds};
	struct privsep_msg out = {0};
	uint8_t buf[PRIVSEP_MAX_FRAME];
	int n, rc;

	env.has_seq = true;
	env.seq = 3;
	env.body_case = c;
	env.ok = m;
	n = privsep_pack(&env.base, buf, sizeof(buf));
	assert_true(n > 0);
	rc = privsep_decode(PRIVSEP_HELPER_TO_COORD, st, &ctx, buf, (size_t)n, nfds, &out);
	privsep_msg_free(&out);
	return rc;
}

static void test_replies(void **state)
{
	Snare__Helper__Ok ok = SNARE__HELPER__OK__INIT;
	Snare__Helper__Error e = SNARE__HELPER__ERROR__INIT;
	char long_msg[PRIVSEP_ERROR_MAX + 2];

	ok.has_seq = e.has_seq = true;
	ok.seq = e.seq = 3;
	assert_int_equal(decode_h2c(H2C(OK), &ok, PRIVSEP_ST_WAITING, 0, 0), 0);
	assert_int_equal(decode_h2c(H2C(OK), &ok, PRIVSEP_ST_READY, 0, 0), -EPERM);
	assert_int_equal(decode_h2c(H2C(OK), &ok, PRIVSEP_ST_WAITING, 1, 1), 0);
	assert_int_equal(decode_h2c(H2C(OK), &ok, PRIVSEP_ST_WAITING, 1, 0), -EINVAL);
	assert_int_equal(decode_h2c(H2C(OK), &ok, PRIVSEP_ST_WAITING, 0, 1), -EINVAL);
	e.message = "bind: Address in use";
	assert_int_equal(decode_h2c(H2C(ERROR), &e, PRIVSEP_ST_WAITING, 0, 0), 0);
	assert_int_equal(decode_h2c(H2C(ERROR), &e, PRIVSEP_ST_HELLO, 0, 0), -EPERM);
	e.message = "bad\x1b[31m";
	assert_int_equal(decode_h2c(H2C(ERROR), &e, PRIVSEP_ST_WAITING, 0, 0), -EINVAL);
	memset(long_msg, 'a', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	e.message = long_msg;
	assert_int_equal(decode_h2c(H2C(ERROR), &e, PRIVSEP_ST_WAITING, 0, 0), -EINVAL);
	e.message = NULL;
	assert_int_equal(decode_h2c(H2C(ERROR), &e, PRIVSEP_ST_WAITING, 0, 0), -EINVAL);
}

/* ---- the pipeline ----------------------------------------------------------- */

static void test_decode_garbage_and_cap(void **state)
{
	static uint8_t big[PRIVSEP_MAX_FRAME + 1];
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	/* field 1 (seq) = 1, field 99 (unknown varint) = 1 */
	static const uint8_t unknown[] = {0x08, 0x01, 0x98, 0x06, 0x01, 0x32, 0x00};
	/* seq = 1, undo = {} */
	static const uint8_t undo[] = {0x08, 0x01, 0x32, 0x00};
	/* undo without a seq */
	static const uint8_t no_seq[] = {0x32, 0x00};
	struct privsep_msg out = {0};
	enum privsep_dir d = PRIVSEP_COORD_TO_HELPER;
	enum privsep_state r = PRIVSEP_ST_READY;

	assert_int_equal(privsep_decode(d, r, &user_ctx, big, sizeof(big), 0, &out), -EMSGSIZE);
	assert_int_equal(privsep_decode(d, r, &user_ctx, big, 0, 0, &out), -EBADMSG);
	assert_int_equal(privsep_decode(d, r, &user_ctx, junk, sizeof(junk), 0, &out), -EBADMSG);
	assert_int_equal(privsep_decode(d, r, &user_ctx, unknown, sizeof(unknown), 0, &out),
			 -EBADMSG);
	assert_int_equal(privsep_decode(d, r, &user_ctx, no_seq, sizeof(no_seq), 0, &out),
			 -EBADMSG);
	assert_int_equal(privsep_decode(d, r, &user_ctx, undo, sizeof(undo), 1, &out), -EINVAL);
	assert_int_equal(privsep_decode(d, r, &user_ctx, undo, sizeof(undo), 0, &out), 0);
	assert_int_equal(out.body_case, C2H(UNDO));
	privsep_msg_free(&out);
	/* An unknown direction. */
	assert_int_equal(
	    privsep_decode(PRIVSEP_DIR_COUNT, r, &user_ctx, undo, sizeof(undo), 0, &out), -EINVAL);
}

static void test_pack_cap(void **state)
{
	Snare__Helper__CoordToHelper env = SNARE__HELPER__COORD_TO_HELPER__INIT;
	Snare__Helper__Undo u = SNARE__HELPER__UNDO__INIT;
	uint8_t buf[2];

	env.has_seq = true;
	env.seq = 1;
	env.body_case = C2H(UNDO);
	env.undo = &u;
	assert_int_equal(privsep_pack(&env.base, buf, sizeof(buf)), -EMSGSIZE);
}

/* ---- the undo log --------------------------------------------------------- */

static char undo_trace[PRIVSEP_UNDO_MAX * 4];

static void record(void *ctx, uint64_t id)
{
	size_t n = strlen(undo_trace);

	snprintf(undo_trace + n, sizeof(undo_trace) - n, "%s%u", n ? "," : "", (unsigned)id);
	(*(int *)ctx)++;
}

static void test_undo_reverse_order(void **state)
{
	struct privsep_undo u;
	int calls = 0;
	uint64_t i;

	privsep_undo_init(&u);
	undo_trace[0] = '\0';
	for (i = 1; i <= 4; i++)
		assert_int_equal(privsep_undo_push(&u, record, &calls, i, "x"), 0);
	assert_int_equal(privsep_undo_run(&u), 4);
	assert_string_equal(undo_trace, "4,3,2,1");
	assert_int_equal(calls, 4);
	/* Replaying again does nothing: records run once. */
	assert_int_equal(privsep_undo_run(&u), 0);
	assert_int_equal(calls, 4);
}

static void test_undo_bounded(void **state)
{
	struct privsep_undo u;
	int calls = 0;
	size_t i;

	privsep_undo_init(&u);
	undo_trace[0] = '\0';
	assert_true(privsep_undo_room(&u, PRIVSEP_UNDO_MAX));
	assert_false(privsep_undo_room(&u, PRIVSEP_UNDO_MAX + 1));
	for (i = 0; i < PRIVSEP_UNDO_MAX; i++)
		assert_int_equal(privsep_undo_push(&u, record, &calls, i, "x"), 0);
	assert_false(privsep_undo_room(&u, 1));
	assert_int_equal(privsep_undo_push(&u, record, &calls, 99, "x"), -ENOSPC);
	assert_int_equal(privsep_undo_run(&u), PRIVSEP_UNDO_MAX);
	assert_int_equal(calls, PRIVSEP_UNDO_MAX);
	assert_int_equal(strncmp(undo_trace, "63,62,", 6), 0);
	assert_int_equal(privsep_undo_push(&u, NULL, &calls, 1, "x"), -EINVAL);
}

static void test_undo_rewind(void **state)
{
	struct privsep_undo u;
	int calls = 0;
	uint64_t i;

	privsep_undo_init(&u);
	undo_trace[0] = '\0';
	for (i = 1; i <= 5; i++)
		assert_int_equal(privsep_undo_push(&u, record, &calls, i, "x"), 0);
	/* A failed request's own records only, newest first. */
	assert_int_equal(privsep_undo_rewind(&u, 3), 2);
	assert_string_equal(undo_trace, "5,4");
	assert_int_equal(privsep_undo_rewind(&u, 3), 0);
	assert_int_equal(privsep_undo_rewind(&u, 9), 0);
	assert_int_equal(privsep_undo_run(&u), 3);
	assert_string_equal(undo_trace, "5,4,3,2,1");
}

static void test_helper_names(void **state)
{
	assert_true(privsep_valid_helper_name("netfilter"));
	assert_false(privsep_valid_helper_name("../bin/sh"));
	assert_false(privsep_valid_helper_name("Netfilter"));
	assert_false(privsep_valid_helper_name(""));
	assert_false(privsep_valid_helper_name("abcdefghijklmnopq"));
	assert_false(privsep_valid_helper_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_table),
	    cmocka_unit_test(test_every_request_refused_in_wrong_state),
	    cmocka_unit_test(test_hello_checks),
	    cmocka_unit_test(test_redirect_ports),
	    cmocka_unit_test(test_redirect_fields),
	    cmocka_unit_test(test_redirect_exclude_uid_root_only),
	    cmocka_unit_test(test_interface_names),
	    cmocka_unit_test(test_tproxy),
	    cmocka_unit_test(test_tproxy_interfaces),
	    cmocka_unit_test(test_bind_port),
	    cmocka_unit_test(test_create_tun),
	    cmocka_unit_test(test_tun_names),
	    cmocka_unit_test(test_replies),
	    cmocka_unit_test(test_decode_garbage_and_cap),
	    cmocka_unit_test(test_pack_cap),
	    cmocka_unit_test(test_undo_reverse_order),
	    cmocka_unit_test(test_undo_bounded),
	    cmocka_unit_test(test_undo_rewind),
	    cmocka_unit_test(test_helper_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
