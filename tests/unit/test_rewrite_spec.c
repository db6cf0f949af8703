/* Unit tests for the rewrite option syntax: every kind's valid forms (any
 * separator, with and without a flow filter, escapes, "@file") and the
 * one-line errors for the invalid ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "rewrite/rewrite.h"

static void parse_ok(enum rewrite_kind k, const char *opt, struct rewrite_spec *s)
{
	char err[256] = "";

	if (rewrite_parse(k, opt, s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", opt, err);
}

static void parse_bad(enum rewrite_kind k, const char *opt, const char *want)
{
	struct rewrite_spec s;
	char err[256] = "";

	assert_int_equal(rewrite_parse(k, opt, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", opt, err, want);
	assert_null(strchr(err, '\n'));
	assert_null(s.filter);
	assert_null(s.subject);
}

static void test_names(void **st)
{
	for (int k = 0; k < REWRITE_KIND_COUNT; k++)
		assert_int_equal(rewrite_kind_from_name(rewrite_kind_name(k)), k);
	assert_int_equal(rewrite_kind_from_name("anticache"), -1);
}

static void test_modify_headers(void **st)
{
	struct rewrite_spec s;

	parse_ok(REWRITE_MODIFY_HEADERS, "/~q/Host/example.org", &s);
	assert_non_null(s.filter);
	assert_string_equal(s.subject, "Host");
	assert_string_equal(s.replacement, "example.org");
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_HEADERS, ":X-A:va/lue:more", &s); /* 3 parts: filter "X-A" */
	assert_non_null(s.filter);
	assert_string_equal(s.subject, "va/lue");
	assert_string_equal(s.replacement, "more");
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_HEADERS, "|User-Agent|a\\x41\\tb", &s);
	assert_null(s.filter);
	assert_int_equal(s.replacement_len, 4);
	assert_memory_equal(s.replacement, "aA\tb", 4);
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_HEADERS, "/~q/Host/", &s); /* empty value: remove */
	assert_int_equal(s.replacement_len, 0);
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_HEADERS, "|User-Agent|@/etc/snare/ua.txt", &s);
	assert_null(s.replacement);
	assert_string_equal(s.file, "/etc/snare/ua.txt");
	char err[128];
	assert_int_equal(rewrite_spec_set_file(&s, "bad\r\nX: y", 9, err, sizeof(err)), -EINVAL);
	assert_int_equal(rewrite_spec_set_file(&s, "curl/8", 6, err, sizeof(err)), 0);
	assert_string_equal(s.replacement, "curl/8");
	rewrite_spec_free(&s);
}

static void test_modify_headers_bad(void **st)
{
	parse_bad(REWRITE_MODIFY_HEADERS, "", "empty");
	parse_bad(REWRITE_MODIFY_HEADERS, "/Host", "got 1 part");
	parse_bad(REWRITE_MODIFY_HEADERS, "//x", "empty header name");
	parse_bad(REWRITE_MODIFY_HEADERS, "/X-A/b\\r\\nEvil: 1", "CR, LF or NUL");
	parse_bad(REWRITE_MODIFY_HEADERS, "/Bad Name/v", "bad header name");
	parse_bad(REWRITE_MODIFY_HEADERS, "/~nope/X/v", "modify_headers: bad flow filter");
	parse_bad(REWRITE_MODIFY_HEADERS, "/X/\\x4", "bad \\x escape");
}

static void test_modify_body(void **st)
{
	struct rewrite_spec s;

	parse_ok(REWRITE_MODIFY_BODY, "/~q/foo/bar", &s);
	assert_true(s.has_re);
	assert_non_null(s.filter);
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_BODY, ":~s:fo+[0-9]:@/srv/payload", &s);
	assert_string_equal(s.file, "/srv/payload");
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MODIFY_BODY, "#a\\.b#x", &s);
	assert_string_equal(s.subject, "a\\.b"); /* unknown escapes stay for the regex */
	rewrite_spec_free(&s);
	parse_bad(REWRITE_MODIFY_BODY, "/~q/fo(o/bar", "bad regular expression \"fo(o\"");
	parse_bad(REWRITE_MODIFY_BODY, "/~q//bar", "empty regular expression");
	parse_bad(REWRITE_MODIFY_BODY, "/a++/b", "regular expression refused");
	parse_bad(REWRITE_MODIFY_BODY, "/a{2}*/b", "regular expression refused");
	parse_bad(REWRITE_MODIFY_BODY, "/((a{100}){100}){100}/b", "regular expression refused");
	parse_bad(REWRITE_MODIFY_BODY, "/(a)\\\\1/b", "regular expression refused");
	parse_ok(REWRITE_MODIFY_BODY, "/[+*]+ a{2,3} \\+ x?/b", &s);
	rewrite_spec_free(&s);
	parse_bad(REWRITE_MODIFY_BODY, "/~q/a\\x00b/c", "NUL byte");
	parse_bad(REWRITE_MODIFY_BODY, "/foo/@", "empty file path");
}

static void test_map_remote(void **st)
{
	struct rewrite_spec s;

	parse_ok(REWRITE_MAP_REMOTE, "|~m GET|//example.org/|//mitmproxy.org/", &s);
	assert_non_null(s.filter);
	assert_string_equal(s.replacement, "//mitmproxy.org/");
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MAP_REMOTE, "|.*\\.jpg$|https://img.test/\\0?x", &s);
	assert_string_equal(s.replacement, "https://img.test/\\0?x"); /* backrefs kept */
	rewrite_spec_free(&s);
	parse_bad(REWRITE_MAP_REMOTE, "|[a|b", "bad regular expression");
}

static void test_map_local(void **st)
{
	struct rewrite_spec s;

	parse_ok(REWRITE_MAP_LOCAL, "|example.com/static|/srv/static/", &s);
	assert_true(s.local_is_dir);
	assert_string_equal(s.file, "/srv/static/");
	rewrite_spec_free(&s);
	parse_ok(REWRITE_MAP_LOCAL, "|~m GET|example.com/main.js|/srv/main.js", &s);
	assert_false(s.local_is_dir);
	assert_non_null(s.filter);
	rewrite_spec_free(&s);
	parse_bad(REWRITE_MAP_LOCAL, "|example.com|", "empty file path");
}

static void test_block_list(void **st)
{
	struct rewrite_spec s;

	parse_ok(REWRITE_BLOCK_LIST, ":~d google-analytics.com:404", &s);
	assert_int_equal(s.status, 404);
	assert_non_null(s.filter);
	rewrite_spec_free(&s);
	parse_ok(REWRITE_BLOCK_LIST, "/!~d ^example\\.com$/444", &s);
	assert_int_equal(s.status, 444);
	rewrite_spec_free(&s);
	parse_bad(REWRITE_BLOCK_LIST, ":~d a.test", "2 parts, got 1");
	parse_bad(REWRITE_BLOCK_LIST, ":~d a.test:404:x", "2 parts, got 3");
	parse_bad(REWRITE_BLOCK_LIST, "::404", "empty flow filter");
	parse_bad(REWRITE_BLOCK_LIST, ":~d a:40x", "bad HTTP status code \"40x\"");
	parse_bad(REWRITE_BLOCK_LIST, ":~d a:1000", "bad HTTP status code");
}

/* The values snare-scripting(7) shows. */
static void test_man_page_examples(void **st)
{
	static const struct {
		enum rewrite_kind k;
		const char *opt;
	} ex[] = {
	    {REWRITE_MODIFY_HEADERS, "/~q/User-Agent/snare"},
	    {REWRITE_MODIFY_BODY, "|~s & ~t json|\"admin\": false|\"admin\": true"},
	    {REWRITE_MAP_REMOTE, "|~m GET|//example.org/|//staging.example.org/"},
	    {REWRITE_MAP_LOCAL, "|example.com/static|/srv/static/"},
	    {REWRITE_BLOCK_LIST, ":~d ads\\.example:404"},
	    {REWRITE_BLOCK_LIST, ":~d evil\\.example:444"},
	};
	struct rewrite_spec s;

	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		parse_ok(ex[i].k, ex[i].opt, &s);
		rewrite_spec_free(&s);
	}
	parse_ok(REWRITE_MODIFY_BODY, "|~s & ~t json|\"admin\": false|\"admin\": true", &s);
	assert_string_equal(s.subject, "\"admin\": false");
	assert_string_equal(s.replacement, "\"admin\": true");
	rewrite_spec_free(&s);
}

static void test_set(void **st)
{
	struct rewrite_set set = {0};
	char err[256];

	assert_int_equal(rewrite_set_add(&set, REWRITE_MODIFY_BODY, "/a/b", err, sizeof(err)), 0);
	assert_int_equal(rewrite_set_add(&set, REWRITE_MODIFY_BODY, "/(/b", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(set.n, 1);
	rewrite_set_free(&set);
	assert_int_equal(set.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_modify_headers),
	    cmocka_unit_test(test_modify_headers_bad),
	    cmocka_unit_test(test_modify_body),
	    cmocka_unit_test(test_map_remote),
	    cmocka_unit_test(test_map_local),
	    cmocka_unit_test(test_block_list),
	    cmocka_unit_test(test_set),
	    cmocka_unit_test(test_man_page_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
