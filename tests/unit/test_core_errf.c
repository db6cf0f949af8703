/* Unit tests for core/errf.c and log_err: the errno text follows the
 * message after ": ", rc 0 adds nothing, the result is returned, a short
 * buffer is cut but terminated, and a NULL buffer is left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/errf.h"
#include "core/log.h"

static void test_errf_appends_errno_text(void **state)
{
	char err[128], want[128];

	(void)state;
	snprintf(want, sizeof(want), "cannot open %s: %s", "/x", strerror(ENOENT));
	assert_int_equal(errf(err, sizeof(err), -ENOENT, "cannot open %s", "/x"), -ENOENT);
	assert_string_equal(err, want);
}

static void test_errf_zero_is_message_alone(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(errf(err, sizeof(err), 0, "bad %d", 7), 0);
	assert_string_equal(err, "bad 7");
}

static void test_errf_cuts_and_terminates(void **state)
{
	char err[8];

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(errf(err, sizeof(err), -EACCES, "%s", "abcdef"), -EACCES);
	assert_string_equal(err, "abcdef:");
	memset(err, 'z', sizeof(err));
	assert_int_equal(errf(err, sizeof(err), -EACCES, "%s", "abcdefghijk"), -EACCES);
	assert_string_equal(err, "abcdefg");
}

static void test_errf_null_buffer(void **state)
{
	char err[4] = "abc";

	(void)state;
	assert_int_equal(errf(NULL, 16, -EIO, "x"), -EIO);
	assert_int_equal(errf(err, 0, -EIO, "x"), -EIO);
	assert_string_equal(err, "abc");
}

static char logged[256];
static enum log_level logged_lvl;

static void sink(enum log_level lvl, const char *client, const char *msg)
{
	(void)client;
	logged_lvl = lvl;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static void test_log_err(void **state)
{
	char want[128];

	(void)state;
	log_set_sink(sink);
	log_set_level(LOG_LVL_INFO);
	snprintf(want, sizeof(want), "reload failed: %s", strerror(EPERM));
	log_err(LOG_LVL_WARN, -EPERM, "reload %s", "failed");
	assert_int_equal(logged_lvl, LOG_LVL_WARN);
	assert_string_equal(logged, want);
	logged[0] = '\0';
	log_err(LOG_LVL_DEBUG, -EPERM, "hidden");
	assert_string_equal(logged, "");
	log_set_sink(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errf_appends_errno_text),
	    cmocka_unit_test(test_errf_zero_is_message_alone),
	    cmocka_unit_test(test_errf_cuts_and_terminates),
	    cmocka_unit_test(test_errf_null_buffer),
	    cmocka_unit_test(test_log_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
