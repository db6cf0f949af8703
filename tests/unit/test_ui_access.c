/* Unit tests for the web interface's access rules (daemon/ui/ui_access.c):
 * every verdict, in the order the rules apply, and the refusals first shown
 * with the request that passes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ui/ui_access.h"

#define TOK "aa11223344556677889900aabbccddeeff00112233445566778899aabbccddee"
#define CSRF "cc11223344556677889900aabbccddeeff00112233445566778899aabbccddee"
#define SESS "5e5511223344556677889900aabbccddeeff00112233445566778899aabbccdd"

static void setup(struct ui_access *a, const char *host, bool loopback)
{
	ui_access_init(a, host, 8081, loopback, TOK, CSRF);
	ui_access_add_session(a, SESS);
}

static enum ui_access_verdict check(const struct ui_access *a, const char *method, const char *path,
				    const char *token, const char *host, const char *cookie,
				    const char *csrf)
{
	struct ui_access_req r = {method, path, token, host, cookie, csrf};

	return ui_access_check(a, &r);
}

static void test_token_login(void **state)
{
	struct ui_access a;

	setup(&a, "127.0.0.1", true);
	assert_int_equal(check(&a, "GET", "/", TOK, "127.0.0.1:8081", NULL, NULL), UI_LOGIN);
	/* a wrong token, one digit off, shorter, longer, empty */
	assert_int_equal(check(&a, "GET", "/",
			       "ba11223344556677889900aabbccddeeff00112233445566778899aabbccddee",
			       "127.0.0.1:8081", NULL, NULL),
			 UI_DENY_TOKEN);
	assert_int_equal(check(&a, "GET", "/", "aa11", "127.0.0.1:8081", NULL, NULL),
			 UI_DENY_TOKEN);
	assert_int_equal(check(&a, "GET", "/", TOK "0", "127.0.0.1:8081", NULL, NULL),
			 UI_DENY_TOKEN);
	assert_int_equal(check(&a, "GET", "/", "", "127.0.0.1:8081", NULL, NULL), UI_DENY_TOKEN);
	/* the token is taken at / only; elsewhere the cookie counts */
	assert_int_equal(check(&a, "GET", "/api/state", TOK, "127.0.0.1:8081", NULL, NULL),
			 UI_DENY_SESSION);
}

static void test_host(void **state)
{
	struct ui_access a;
	const char *ck = "snare_web=" SESS;

	setup(&a, "127.0.0.1", true);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "127.0.0.1:8081", ck, NULL),
			 UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "localhost:8081", ck, NULL),
			 UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "LOCALHOST:8081", ck, NULL),
			 UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "[::1]:8081", ck, NULL), UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "evil.test:8081", ck, NULL),
			 UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "127.0.0.1:8082", ck, NULL),
			 UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "127.0.0.1", ck, NULL), UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, NULL, ck, NULL), UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "localhost.evil.test:8081", ck, NULL),
			 UI_DENY_HOST);
	/* the host check comes before the token: a rebinding page cannot log in */
	assert_int_equal(check(&a, "GET", "/", TOK, "evil.test:8081", NULL, NULL), UI_DENY_HOST);

	/* not on loopback: only the address listened on */
	setup(&a, "192.0.2.7", false);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "192.0.2.7:8081", ck, NULL),
			 UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "localhost:8081", ck, NULL),
			 UI_DENY_HOST);
	/* a wildcard address: any IP literal with our port, no name */
	setup(&a, "0.0.0.0", false);
	assert_int_equal(check(&a, "GET", "/x", NULL, "192.0.2.7:8081", ck, NULL), UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/x", NULL, "[2001:db8::1]:8081", ck, NULL), UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/x", NULL, "192.0.2.7:8082", ck, NULL), UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/x", NULL, "evil.test:8081", ck, NULL), UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/x", NULL, "192.0.2.7.evil.test:8081", ck, NULL),
			 UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/x", NULL, "[evil]:8081", ck, NULL), UI_DENY_HOST);
	assert_int_equal(check(&a, "GET", "/x", NULL, "2001:db8::1:8081", ck, NULL), UI_DENY_HOST);
	setup(&a, "::1", true);
	assert_int_equal(check(&a, "GET", "/x", NULL, "[::1]:8081", ck, NULL), UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/x", NULL, "::1:8081", ck, NULL), UI_DENY_HOST);
}

static void test_session(void **state)
{
	struct ui_access a;
	char fresh[UI_SECRET_HEX + 1], ck[128];
	int i;

	setup(&a, "127.0.0.1", true);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", "snare_web=" SESS, NULL),
			 UI_ALLOW);
	assert_int_equal(
	    check(&a, "GET", "/", NULL, "127.0.0.1:8081", "a=b; snare_web=" SESS "; c=d", NULL),
	    UI_ALLOW);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", NULL, NULL),
			 UI_DENY_SESSION);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", "snare_web=", NULL),
			 UI_DENY_SESSION);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", "snare_web=" TOK, NULL),
			 UI_DENY_SESSION);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", "xsnare_web=" SESS, NULL),
			 UI_DENY_SESSION);
	assert_int_equal(
	    check(&a, "GET", "/", NULL, "127.0.0.1:8081", "snare_web=" SESS "00", NULL),
	    UI_DENY_SESSION);
	/* a new session works; the oldest is forgotten after UI_SESSIONS more */
	ui_access_new_session(&a, fresh);
	assert_int_equal(strlen(fresh), UI_SECRET_HEX);
	snprintf(ck, sizeof(ck), "snare_web=%s", fresh);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", ck, NULL), UI_ALLOW);
	for (i = 0; i < UI_SESSIONS; i++)
		ui_access_new_session(&a, fresh);
	assert_int_equal(check(&a, "GET", "/", NULL, "127.0.0.1:8081", "snare_web=" SESS, NULL),
			 UI_DENY_SESSION);
}

static void test_csrf(void **state)
{
	struct ui_access a;
	const char *ck = "snare_web=" SESS;
	static const char *const changing[] = {"POST", "PUT", "DELETE", "PATCH"};
	size_t i;

	setup(&a, "127.0.0.1", true);
	for (i = 0; i < sizeof(changing) / sizeof(changing[0]); i++) {
		assert_int_equal(
		    check(&a, changing[i], "/api/flows/x/mark", NULL, "127.0.0.1:8081", ck, CSRF),
		    UI_ALLOW);
		assert_int_equal(
		    check(&a, changing[i], "/api/flows/x/mark", NULL, "127.0.0.1:8081", ck, NULL),
		    UI_DENY_CSRF);
		assert_int_equal(
		    check(&a, changing[i], "/api/flows/x/mark", NULL, "127.0.0.1:8081", ck, TOK),
		    UI_DENY_CSRF);
	}
	assert_int_equal(check(&a, "GET", "/api/state", NULL, "127.0.0.1:8081", ck, NULL),
			 UI_ALLOW);
	assert_int_equal(check(&a, "HEAD", "/", NULL, "127.0.0.1:8081", ck, NULL), UI_ALLOW);
	/* without the cookie the CSRF header alone is nothing */
	assert_int_equal(check(&a, "POST", "/api/flows/import", NULL, "127.0.0.1:8081", NULL, CSRF),
			 UI_DENY_SESSION);
}

static void test_secret_eq(void **state)
{
	char r1[UI_SECRET_HEX + 1], r2[UI_SECRET_HEX + 1];

	assert_true(ui_secret_eq(TOK, TOK));
	assert_false(ui_secret_eq("", ""));
	assert_false(ui_secret_eq(TOK, CSRF));
	assert_false(ui_secret_eq("aa", TOK));
	ui_random_hex(r1);
	ui_random_hex(r2);
	assert_int_equal(strspn(r1, "0123456789abcdef"), UI_SECRET_HEX);
	assert_string_not_equal(r1, r2);
	assert_non_null(strstr(ui_access_reason(UI_DENY_HOST), "Host"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_login), cmocka_unit_test(test_host),
	    cmocka_unit_test(test_session),	cmocka_unit_test(test_csrf),
	    cmocka_unit_test(test_secret_eq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
