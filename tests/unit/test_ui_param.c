/* Unit tests for the web interface's query decoding (daemon/ui/ui_param.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ui/ui_param.h"

static void test_decode(void **state)
{
	char out[16];

	assert_true(ui_pct_decode("a%20b+c", 7, out, sizeof(out), true));
	assert_string_equal(out, "a b c");
	assert_true(ui_pct_decode("a%20b+c", 7, out, sizeof(out), false));
	assert_string_equal(out, "a b+c");
	assert_true(ui_pct_decode("%7e%7E", 6, out, sizeof(out), false));
	assert_string_equal(out, "~~");
	/* a broken escape stays as it is */
	assert_true(ui_pct_decode("%zz%4", 5, out, sizeof(out), false));
	assert_string_equal(out, "%zz%4");
	/* NUL refused, too long refused */
	assert_false(ui_pct_decode("a%00b", 5, out, sizeof(out), false));
	assert_false(ui_pct_decode("0123456789abcdef", 16, out, sizeof(out), false));
	assert_true(ui_pct_decode("0123456789abcde", 15, out, sizeof(out), false));
	assert_false(ui_pct_decode("", 0, out, 0, false));
}

static void test_params(void **state)
{
	char out[64];
	const char *q = "filter=~d%20example.com%20%26%20!~c%20200&limit=10&flag&x=&filterx=1";

	assert_string_equal(ui_query_param(q, "filter", out, sizeof(out)),
			    "~d example.com & !~c 200");
	assert_string_equal(ui_query_param(q, "limit", out, sizeof(out)), "10");
	assert_string_equal(ui_query_param(q, "flag", out, sizeof(out)), "");
	assert_string_equal(ui_query_param(q, "x", out, sizeof(out)), "");
	assert_string_equal(ui_query_param(q, "filterx", out, sizeof(out)), "1");
	assert_null(ui_query_param(q, "lim", out, sizeof(out)));
	assert_null(ui_query_param(q, "absent", out, sizeof(out)));
	assert_null(ui_query_param("", "a", out, sizeof(out)));
	assert_null(ui_query_param("a=%00", "a", out, sizeof(out)));
	assert_string_equal(ui_query_param("&&a=1&", "a", out, sizeof(out)), "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
