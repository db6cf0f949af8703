/* Unit tests for the HTTP/1 parser's character classes and case-insensitive
 * comparison: the bit table of tchar and the inline http1_str_ieq checked
 * against their definitions (RFC 9110 5.6.2; ASCII case folding) for every
 * byte value and pair of byte values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "http1/http1_internal.h"

static bool tchar_by_definition(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", (int)c) != NULL);
}

static void test_tchar_every_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(http1_is_tchar((uint8_t)c), tchar_by_definition(c));
	assert_true(http1_is_tchar('~'));
	assert_false(http1_is_tchar(':'));
	assert_false(http1_is_tchar(0xe9));
}

static unsigned fold(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static void test_ieq_every_pair(void **state)
{
	char lit[2] = {0, 0};
	char byte;
	struct http1_str s = {.p = &byte, .n = 1};

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		byte = (char)a;
		for (unsigned b = 1; b < 256; b++) {
			lit[0] = (char)b;
			assert_int_equal(http1_str_ieq(s, lit), fold(a) == fold(b));
		}
	}
}

static void test_ieq_strings(void **state)
{
	struct http1_str s = {.p = "Content-Length", .n = 14};

	(void)state;
	assert_true(http1_str_ieq(s, "content-length"));
	assert_true(http1_str_ieq(s, "CONTENT-LENGTH"));
	assert_false(http1_str_ieq(s, "content-lengt"));
	assert_false(http1_str_ieq(s, "content_length"));
	s.n = 0;
	assert_true(http1_str_ieq(s, ""));
	assert_false(http1_str_ieq(s, "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tchar_every_byte),
	    cmocka_unit_test(test_ieq_every_pair),
	    cmocka_unit_test(test_ieq_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
