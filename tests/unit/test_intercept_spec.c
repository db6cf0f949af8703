/* Tests (test process only) of the intercept spec compiler, the reference
 * decision the eBPF program mirrors, the description text, the table check
 * the helper applies, and the redirector channel's codec: authorization
 * table refusals, validation and the size cap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/unconst.h"
#include "intercept/intercept.h"
#include "intercept/intercept_proto.h"

#define C2R(c) SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__BODY_##c
#define R2C(c) SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__BODY_##c

static struct redir_spec t;
static char err[256];

static void comm(char *c, const char *name)
{
	size_t n = strnlen(name, REDIR_COMM_LEN - 1);

	memset(c, 0, REDIR_COMM_LEN);
	memcpy(c, name, n); /* the kernel keeps 15 bytes */
}

static bool decide(uint32_t pid, const char *name)
{
	char c[REDIR_COMM_LEN];

	comm(c, name);
	return intercept_decide(&t, pid, c);
}

static void compile_ok(const char *spec)
{
	assert_int_equal(intercept_compile(spec, &t, err, sizeof(err)), 0);
	assert_true(intercept_table_valid(&t));
}

static void test_entries(void **state)
{
	compile_ok(" curl , !42,\t1234 ,!fire fox ");
	assert_int_equal(t.n, 4);
	assert_int_equal(t.dflt, 0);
	assert_int_equal(t.e[0].action, REDIR_INCLUDE);
	assert_int_equal(t.e[0].kind, REDIR_NAME);
	assert_string_equal((const char *)t.e[0].comm, "curl");
	assert_int_equal(t.e[1].action, REDIR_EXCLUDE);
	assert_int_equal(t.e[1].kind, REDIR_PID);
	assert_int_equal(t.e[1].pid, 42);
	assert_int_equal(t.e[2].pid, 1234);
	assert_string_equal((const char *)t.e[3].comm, "fire fox");
	/* "! x" is an exclude of x; digits too long for 32 bits are a name. */
	compile_ok("! curl,99999999999");
	assert_int_equal(t.e[0].action, REDIR_EXCLUDE);
	assert_string_equal((const char *)t.e[0].comm, "curl");
	assert_int_equal(t.e[1].kind, REDIR_NAME);
	compile_ok("4294967295");
	assert_int_equal(t.e[0].pid, UINT32_MAX);
}

static void test_truncation(void **state)
{
	compile_ok("a-very-long-process-name");
	assert_string_equal((const char *)t.e[0].comm, "a-very-long-pro");
	assert_true(decide(7, "a-very-long-process-name"));
	assert_false(decide(7, "a-very-long-pr"));
}

static void test_errors(void **state)
{
	static const char *const bad[] = {",", "curl,", ",curl",  "curl,,x",
					  "!", " ! ,x", "a\x01b", "a\x7f"};
	char big[INTERCEPT_SPEC_MAX + 2];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(intercept_compile(bad[i], &t, err, sizeof(err)), -EINVAL);
		assert_int_equal(t.n, 0);
		assert_non_null(strstr(err, "invalid intercept spec"));
		assert_null(strchr(err, '\x01'));
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(intercept_compile(big, &t, err, sizeof(err)), -EINVAL);
}

static void test_limit(void **state)
{
	char spec[INTERCEPT_SPEC_MAX];
	size_t off = 0;

	for (int i = 1; i <= REDIR_MAX_ENTRIES; i++)
		off +=
		    (size_t)snprintf(spec + off, sizeof(spec) - off, "%s%d", i > 1 ? "," : "", i);
	compile_ok(spec);
	assert_int_equal(t.n, REDIR_MAX_ENTRIES);
	assert_true(decide(64, "x"));
	snprintf(spec + off, sizeof(spec) - off, ",65");
	assert_int_equal(intercept_compile(spec, &t, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "more than 64"));
}

/* mitmproxy's rule: the first entry sets the default. */
static void test_decide(void **state)
{
	compile_ok("");
	assert_false(decide(1, "curl"));
	compile_ok("   ");
	assert_int_equal(t.n, 0);
	compile_ok("curl");
	assert_true(decide(1, "curl"));
	assert_false(decide(1, "curlx"));
	assert_false(decide(1, "cur"));
	compile_ok("!curl");
	assert_false(decide(1, "curl"));
	assert_true(decide(1, "wget"));
	compile_ok("!curl,curl");
	assert_true(decide(1, "curl"));
	compile_ok("curl,!curl");
	assert_false(decide(1, "curl"));
	compile_ok("!2242");
	assert_true(decide(1, "a"));
	assert_false(decide(2242, "mitmproxy"));
	compile_ok("1,2,3");
	assert_true(decide(1, "a"));
	assert_false(decide(2242, "mitmproxy"));
	compile_ok("firefox,!77");
	assert_true(decide(5, "firefox"));
	assert_false(decide(77, "firefox"));
}

static void test_describe(void **state)
{
	char buf[256];

	compile_ok("");
	intercept_describe(&t, buf, sizeof(buf));
	assert_string_equal(buf, "Intercept nothing.");
	compile_ok("42,!curl");
	intercept_describe(&t, buf, sizeof(buf));
	assert_string_equal(buf, "Include PID 42. Exclude processes matching \"curl\".");
	intercept_describe(&t, buf, 10);
	assert_string_equal(buf, "Include P");
}

static void test_table_valid(void **state)
{
	compile_ok("curl,!5");
	t.dflt = 1;
	assert_false(intercept_table_valid(&t));
	compile_ok("curl");
	t.e[0].comm[1] = 1; /* bytes after the NUL */
	assert_false(intercept_table_valid(&t));
	compile_ok("curl");
	t.e[0].action = 3;
	assert_false(intercept_table_valid(&t));
	compile_ok("curl");
	t.e[1].pid = 9; /* an unused entry */
	assert_false(intercept_table_valid(&t));
	compile_ok("curl");
	t.n = REDIR_MAX_ENTRIES + 1;
	assert_false(intercept_table_valid(&t));
}

/* ---- codec ------------------------------------------------------------- */

static int pack_set(const char *spec, uint32_t *pids, size_t n, uint8_t *buf)
{
	Snare__Redirector__CoordToRedirector env = SNARE__REDIRECTOR__COORD_TO_REDIRECTOR__INIT;
	Snare__Redirector__SetIntercept si = SNARE__REDIRECTOR__SET_INTERCEPT__INIT;

	si.spec = unconst(spec);
	si.own_pids = pids;
	si.n_own_pids = n;
	env.has_seq = true;
	env.seq = 3;
	env.body_case = C2R(SET_INTERCEPT);
	env.set_intercept = &si;
	return intercept_pack(&env.base, buf, INTERCEPT_MAX_FRAME);
}

static int decode(enum intercept_dir dir, enum intercept_state st, size_t ok_fds,
		  const uint8_t *buf, int n, size_t nfds)
{
	struct intercept_msg m = {0};
	int rc = intercept_decode(dir, st, ok_fds, buf, (size_t)n, nfds, &m);

	if (rc == 0) {
		assert_int_equal(m.seq, dir == INTERCEPT_TO_HELPER ? 3 : 5);
		intercept_msg_free(&m);
	}
	return rc;
}

static void test_codec_set(void **state)
{
	uint8_t buf[INTERCEPT_MAX_FRAME];
	uint32_t pids[INTERCEPT_MAX_OWN_PIDS + 1] = {10, 11};
	int n = pack_set("curl", pids, 2, buf);

	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), 0);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 1), -EINVAL);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_WAITING, 0, buf, n, 0), -EPERM);
	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, 0, buf, n, 0), -EBADMSG);
	n = pack_set("curl,,", pids, 2, buf);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), -EINVAL);
	pids[1] = 0;
	n = pack_set("curl", pids, 2, buf);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), -EINVAL);
	pids[1] = 7;
	n = pack_set("curl", pids, ARRAY_SIZE(pids), buf);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), -EINVAL);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, 0, 0), -EBADMSG);
	assert_int_equal(
	    decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, INTERCEPT_MAX_FRAME + 1, 0),
	    -EMSGSIZE);
	buf[0] = 0xff;
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), -EBADMSG);
}

static int pack_ok(uint64_t env_seq, uint64_t ok_seq, const char *tun, uint8_t *buf)
{
	Snare__Redirector__RedirectorToCoord env = SNARE__REDIRECTOR__REDIRECTOR_TO_COORD__INIT;
	Snare__Redirector__Ok ok = SNARE__REDIRECTOR__OK__INIT;

	env.has_seq = ok.has_seq = true;
	env.seq = env_seq;
	ok.seq = ok_seq;
	ok.tun_name = unconst(tun);
	env.body_case = R2C(OK);
	env.ok = &ok;
	return intercept_pack(&env.base, buf, INTERCEPT_MAX_FRAME);
}

static void test_codec_reply(void **state)
{
	uint8_t buf[INTERCEPT_MAX_FRAME];
	int n = pack_ok(5, 5, "snare0", buf);

	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, 1, buf, n, 1), 0);
	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, 1, buf, n, 0), -EINVAL);
	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_READY, 1, buf, n, 1), -EPERM);
	assert_int_equal(decode(INTERCEPT_TO_HELPER, INTERCEPT_ST_READY, 0, buf, n, 0), -EBADMSG);
	n = pack_ok(5, 4, "snare0", buf);
	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, 1, buf, n, 1), -EINVAL);
	n = pack_ok(5, 5, "snare0-and-far-too-long", buf);
	assert_int_equal(decode(INTERCEPT_TO_COORD, INTERCEPT_ST_WAITING, 1, buf, n, 1), -EINVAL);
}

/* Every (direction, case, state) not in the table is refused. */
static void test_auth_table(void **state)
{
	for (int c = 0; c < 8; c++)
		for (int s = 0; s < INTERCEPT_ST_COUNT + 1; s++) {
			bool h = (c >= C2R(SET_INTERCEPT) && c <= C2R(OPEN_PROC_MAP)) &&
				 s == INTERCEPT_ST_READY;
			bool k = (c == R2C(OK) || c == R2C(ERROR)) && s == INTERCEPT_ST_WAITING;

			assert_int_equal(intercept_authorized(INTERCEPT_TO_HELPER, c, s), h);
			assert_int_equal(intercept_authorized(INTERCEPT_TO_COORD, c, s), k);
		}
	assert_false(intercept_authorized(INTERCEPT_DIR_COUNT, C2R(GET_TUN), INTERCEPT_ST_READY));
	assert_int_equal(intercept_ok_fds(C2R(GET_TUN)), 1);
	assert_int_equal(intercept_ok_fds(C2R(SET_INTERCEPT)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entries),	cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_errors),	cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_decide),	cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_table_valid), cmocka_unit_test(test_codec_set),
	    cmocka_unit_test(test_codec_reply), cmocka_unit_test(test_auth_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
