/* Unit tests for the parsers inside daemon/replay: query and form
 * splitting as parse_qsl, unquoting, urlparse's path, HTTP dates in every
 * layout parsedate_tz reads, IMF-fixdate output, and mitmproxy's refresh
 * of dates and Set-Cookie expiries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_int.h"
#include "test_replay_flows.h"

struct collect {
	char out[256];
	size_t n;
};

static bool collect(const struct replay_pair *p, void *arg)
{
	struct collect *c = arg;

	c->n++;
	snprintf(c->out + strlen(c->out), sizeof(c->out) - strlen(c->out), "[%.*s=%.*s]",
		 (int)p->nlen, p->name, (int)p->vlen, p->value);
	return true;
}

static const char *pairs(const char *s)
{
	static struct collect c;

	memset(&c, 0, sizeof(c));
	replay_pairs(s, strlen(s), collect, &c);
	return c.out;
}

static void test_pairs(void **state)
{
	(void)state;
	assert_string_equal(pairs("a=1&b=2"), "[a=1][b=2]");
	assert_string_equal(pairs("a=1&&b&c="), "[a=1][b=][c=]");
	assert_string_equal(pairs("&"), "");
	assert_string_equal(pairs(""), "");
	assert_string_equal(pairs("x=a=b"), "[x=a=b]");
	assert_string_equal(pairs("=v"), "[=v]");
	assert_string_equal(pairs("a;b=1"), "[a;b=1]"); /* ';' is not a separator */
}

static void test_unquote(void **state)
{
	char out[32];
	size_t n;

	(void)state;
	n = replay_unquote("%41+b%2b%zz%4", 13, out);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "A b+%zz%4", 9);
	n = replay_unquote("%00", 3, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0);
}

static void split(const char *t, const char *path, const char *query)
{
	size_t pl, ql;
	const char *q;

	replay_split_target(t, strlen(t), &pl, &q, &ql);
	assert_int_equal(pl, strlen(path));
	assert_memory_equal(t, path, pl);
	assert_int_equal(ql, strlen(query));
	assert_memory_equal(q, query, ql);
}

static void test_split_target(void **state)
{
	(void)state;
	split("/p/a;x?q=1#f", "/p/a", "q=1");
	split("/a;x/b;y?z", "/a;x/b", "z");
	split("/plain", "/plain", "");
	split("/h#x?notquery", "/h", "");
	split("*", "*", "");
	split("", "", "");
	split(";p", "", "");
}

static const char *multipart(const char *ct, const char *body)
{
	static struct collect c;

	memset(&c, 0, sizeof(c));
	if (!replay_multipart(ct, body, strlen(body), collect, &c))
		return "none";
	return c.out;
}

static void test_multipart(void **state)
{
	static const char ct[] = "Multipart/Form-Data; boundary=XX";
	static const char body[] =
	    "preamble\r\n--XX\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "one\r\ntwo\r\n--XX\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\nfile\r\n--XX\r\n"
	    "X-No-Name: 1\r\n\r\nskipped\r\n--XX--\r\n";

	(void)state;
	/* Lines of a value are joined without their breaks, as mitmproxy. */
	assert_string_equal(multipart(ct, body), "[a=onetwo][f=file]");
	assert_string_equal(multipart("multipart/form-data", body), "none"); /* no boundary */
	assert_string_equal(multipart("text/plain; boundary=XX", body), "none");
	assert_string_equal(multipart("multipart/form-data; boundary=YY", body), "none");
	/* A part without an empty line voids the whole form. */
	assert_string_equal(multipart(ct, "--XX\r\nContent-Disposition: form-data; "
					  "name=\"a\"\r\nno-blank\r\n--XX--"),
			    "none");
	/* filename= alone is not a name. */
	assert_string_equal(multipart(ct, "--XX\r\nContent-Disposition: form-data; "
					  "filename=\"a\"\r\n\r\nv\r\n--XX--"),
			    "none");
	assert_string_equal(multipart("multipart/form-data; boundary=A; boundary=XX", body),
			    "[a=onetwo][f=file]");
}

static int64_t date(const char *s)
{
	int64_t t = -1;

	if (!replay_date_parse(s, strlen(s), &t))
		return -1;
	return t;
}

static void test_dates(void **state)
{
	char out[30];

	(void)state;
	assert_int_equal(date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	assert_int_equal(date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	assert_int_equal(date("Sun Nov  6 08:49:37 1994"), 784111777);
	assert_int_equal(date("6 Nov 1994 09:49:37 +0100"), 784111777);
	assert_int_equal(date("Sun, 06 Nov 1994 03:49:37 -0500"), 784111777);
	assert_int_equal(date("Thu, 01 Jan 1970 00:00:00 UTC"), 0);
	assert_int_equal(date("Mon, 29 Feb 2016 12:00:00 GMT"), 1456747200);
	assert_int_equal(date("Tue, 01-Jan-30 00:00:00 GMT"), 1893456000); /* 2030 */
	assert_int_equal(date("01-Jan-69 00:00:00 GMT"), -31536000);	   /* 1969 */
	assert_int_equal(date("not a date"), -1);
	assert_int_equal(date("Sun, 06 Nov 1994 GMT"), -1);
	assert_int_equal(date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
	assert_int_equal(date("Sun, 06 Nov 1994 25:49:37 GMT"), -1);
	assert_int_equal(date("0"), -1);
	assert_int_equal(date(""), -1);
	assert_true(replay_date_format(784111777, out));
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_true(replay_date_format(0, out));
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_true(replay_date_format(1456747200, out));
	assert_string_equal(out, "Mon, 29 Feb 2016 12:00:00 GMT");
	assert_false(replay_date_format(-1, out));
	assert_false(replay_date_format(253402300800, out));
}

static void test_refresh(void **state)
{
	struct rf r;
	Snare__Flow *c;

	(void)state;
	rf_init(&r, "GET", "http", "a.test", 80, "/", NULL);
	rf_response(&r, 200, "", 784111777);
	rf_rheader(&r, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
	rf_rheader(&r, "Expires", "Sun, 06 Nov 1994 09:49:37 GMT");
	rf_rheader(&r, "Last-Modified", "yesterday");
	rf_rheader(&r, "Set-Cookie", "a=b; Expires=Sun, 06 Nov 1994 08:49:37 GMT;Path=/");
	rf_rheader(&r, "Set-Cookie", "c=d; expires=whenever; HttpOnly");
	rf_rheader(&r, "Set-Cookie", "e=; expires=Sun, 06 Nov 1994 08:49:37 GMT");
	rf_rheader(&r, "Set-Cookie", "f=g; Max-Age=60");
	rf_rheader(&r, "X-Date", "Sun, 06 Nov 1994 08:49:37 GMT");
	rf_rheader(&r, "Set-Cookie", "expires=soon; Path=/");
	c = replay_flow_copy(&r.f);
	assert_non_null(c);
	replay_refresh(c->response, 784111777 + 3600.5);
	assert_string_equal(rf_get(c->response, "date"), "Sun, 06 Nov 1994 09:49:37 GMT");
	assert_string_equal(rf_get(c->response, "expires"), "Sun, 06 Nov 1994 10:49:37 GMT");
	assert_string_equal(rf_get(c->response, "last-modified"), "yesterday");
	assert_string_equal(rf_get(c->response, "x-date"), "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(c->response->n_headers, 9);
#define VAL(i) ((const char *)c->response->headers[i]->value.data)
#define LEN(i) ((int)c->response->headers[i]->value.len)
	char got[160];
	snprintf(got, sizeof(got), "%.*s", LEN(3), VAL(3));
	assert_string_equal(got, "a=b; expires=Sun, 06 Nov 1994 09:49:37 GMT; Path=/");
	snprintf(got, sizeof(got), "%.*s", LEN(4), VAL(4));
	assert_string_equal(got, "c=d; HttpOnly"); /* an unreadable expiry goes */
	snprintf(got, sizeof(got), "%.*s", LEN(5), VAL(5));
	assert_string_equal(got, "e=; expires=Sun, 06 Nov 1994 08:49:37 GMT"); /* invalid: kept */
	snprintf(got, sizeof(got), "%.*s", LEN(6), VAL(6));
	assert_string_equal(got, "f=g; Max-Age=60");
	snprintf(got, sizeof(got), "%.*s", LEN(8), VAL(8));
	assert_string_equal(got, "expires=soon; Path=/"); /* a cookie named expires */
	snare__flow__free_unpacked(c, NULL);

	/* No recorded time: nothing moves. */
	r.resp.has_timestamp_start = false;
	c = replay_flow_copy(&r.f);
	replay_refresh(c->response, 784111777 + 3600);
	assert_string_equal(rf_get(c->response, "date"), "Sun, 06 Nov 1994 08:49:37 GMT");
	snare__flow__free_unpacked(c, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pairs),	 cmocka_unit_test(test_unquote),
	    cmocka_unit_test(test_split_target), cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_refresh),	 cmocka_unit_test(test_multipart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
