/* Unit tests for the built-in rewrites' effects on a flow record:
 * modify_headers (set, replace, remove, filters seen before any change),
 * modify_body (regex, NUL bytes, request vs response), map_remote (URL and
 * Host header, backrefs), block_list (status, 444 kill), anticache,
 * anticomp, map_local's candidates (file, directory, groups, traversal)
 * and the response made from the caller's file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "rewrite/rewrite.h"
#include "test_flow_fixture.h"
#include "core/unconst.h"

static void add(struct rewrite_set *set, enum rewrite_kind k, const char *opt)
{
	char err[256];

	if (rewrite_set_add(set, k, opt, err, sizeof(err)) != 0)
		fail_msg("%s: %s", opt, err);
}

static void test_modify_headers(void **st)
{
	struct rewrite_set set = {0};
	struct fx x;

	add(&set, REWRITE_MODIFY_HEADERS, "/~q/X-New/1");
	add(&set, REWRITE_MODIFY_HEADERS, "/~q/accept/text\\x2fhtml");
	add(&set, REWRITE_MODIFY_HEADERS, "/~q/Host/");
	add(&set, REWRITE_MODIFY_HEADERS, "/~q & ~h X-New/X-Seen/yes"); /* sees the original flow */
	add(&set, REWRITE_MODIFY_HEADERS, "/~s/Server/snare");
	fx_http(&x, false);
	assert_int_equal(rewrite_apply(&set, REWRITE_REQUESTHEADERS, REWRITE_AFTER_SCRIPTS, &x.flow,
				       NULL, &x.edits),
			 REWRITE_CH_REQUEST);
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "x-new"), "1");
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "Accept"), "text/html");
	assert_null(fx_hget(x.req.headers, x.req.n_headers, "host"));
	assert_null(fx_hget(x.req.headers, x.req.n_headers, "x-seen"));
	assert_int_equal(x.req.n_headers, 2);
	assert_ptr_equal(x.hp[0], &x.hdr[0]); /* the caller's list is as it was */
	/* Response headers at responseheaders, only with ~s filters matching. */
	x.flow.response = &x.resp;
	snare__http_response__init(&x.resp);
	x.resp.has_status_code = 1;
	x.resp.status_code = 200;
	assert_int_equal(rewrite_apply(&set, REWRITE_RESPONSEHEADERS, REWRITE_AFTER_SCRIPTS,
				       &x.flow, NULL, &x.edits),
			 REWRITE_CH_RESPONSE);
	assert_string_equal(fx_hget(x.resp.headers, x.resp.n_headers, "server"), "snare");
	assert_int_equal(x.resp.n_headers, 1);
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
}

static void test_modify_body(void **st)
{
	struct rewrite_set set = {0};
	static const uint8_t bin[] = {'a', 0, 'f', 'o', 'o', 0, 'b'};
	struct fx x;

	add(&set, REWRITE_MODIFY_BODY, "/~q/foo/bar");
	add(&set, REWRITE_MODIFY_BODY, "/~s/[0-9]+/N");
	add(&set, REWRITE_MODIFY_BODY, ":^start:BEGIN");
	fx_http(&x, false);
	x.req.content = fx_bytes("start foo foo 12");
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_REQUEST);
	assert_true(fx_bytes_eq(x.req.content, "BEGIN bar bar 12"));
	flowedit_free(&x.edits);
	/* A response: only the response body changes. */
	fx_http(&x, true);
	x.req.content = fx_bytes("foo 1");
	x.resp.content = fx_bytes("v1.22 start");
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_RESPONSE, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_RESPONSE);
	assert_true(fx_bytes_eq(x.resp.content, "vN.N start"));
	assert_true(fx_bytes_eq(x.req.content, "foo 1"));
	flowedit_free(&x.edits);
	/* NUL bytes are data. */
	fx_http(&x, false);
	x.req.content = (ProtobufCBinaryData){.len = sizeof(bin), .data = unconst(bin)};
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_REQUEST);
	assert_int_equal(x.req.content.len, 7);
	assert_memory_equal(x.req.content.data, "a\0bar\0b", 7);
	flowedit_free(&x.edits);
	/* No match: nothing changes. */
	fx_http(&x, false);
	x.req.content = fx_bytes("nothing here");
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
}

static void test_map_remote(void **st)
{
	struct rewrite_set set = {0};
	struct fx x;

	add(&set, REWRITE_MAP_REMOTE, "|~m GET|//example.com/|//mirror.test:8443/");
	add(&set, REWRITE_MAP_REMOTE, "|\\.html$|.htm");
	fx_http(&x, false);
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_REQUEST);
	assert_string_equal(x.req.host, "mirror.test");
	assert_int_equal(x.req.port, 8443);
	assert_string_equal(x.req.path, "/index.htm");
	assert_string_equal(x.req.scheme, "https");
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "host"), "mirror.test:8443");
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
	/* Groups in the replacement; a POST is left alone by the ~m GET rule. */
	add(&set, REWRITE_MAP_REMOTE, "|https://([a-z]+)\\.com/(.*)|http://\\1.test/v2/\\2");
	fx_http(&x, false);
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_REQUEST);
	assert_string_equal(x.req.host, "example.test");
	assert_int_equal(x.req.port, 80);
	assert_string_equal(x.req.path, "/v2/index.html");
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
	add(&set, REWRITE_MAP_REMOTE, "|~m GET|example|other");
	fx_http(&x, false);
	x.req.method = "POST";
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
}

static void test_block_list(void **st)
{
	struct rewrite_set set = {0};
	struct fx x;

	add(&set, REWRITE_BLOCK_LIST, ":~d ads\\.test:404");
	add(&set, REWRITE_BLOCK_LIST, ":~d evil\\.test:444");
	fx_http(&x, false);
	x.req.host = "ads.test";
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_RESPONSE | REWRITE_CH_LOCAL_RESPONSE);
	assert_int_equal(x.flow.response->status_code, 404);
	assert_string_equal(fx_hget(x.flow.response->headers, x.flow.response->n_headers, "server"),
			    "snare");
	/* Once answered, the request rewrites do not run. */
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	flowedit_free(&x.edits);
	fx_http(&x, false);
	x.req.host = "evil.test";
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_KILL);
	assert_null(x.flow.response);
	flowedit_free(&x.edits);
	fx_http(&x, false);
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	/* block_list runs before the scripts only. */
	x.req.host = "ads.test";
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_AFTER_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
}

static void test_anticache_anticomp(void **st)
{
	struct rewrite_set set = {.anticache = true, .anticomp = true};
	struct fx x;

	fx_http(&x, false);
	fx_header(&x.hdr[2], "If-None-Match", "\"abc\"");
	fx_header(&x.hdr[3], "Accept-Encoding", "gzip, br");
	x.hp[2] = &x.hdr[2];
	x.hp[3] = &x.hdr[3];
	x.req.n_headers = 4;
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    REWRITE_CH_REQUEST);
	assert_null(fx_hget(x.req.headers, x.req.n_headers, "if-none-match"));
	assert_string_equal(fx_hget(x.req.headers, x.req.n_headers, "accept-encoding"), "identity");
	assert_int_equal(x.req.n_headers, 3);
	/* A second pass has nothing left to do. */
	assert_int_equal(
	    rewrite_apply(&set, REWRITE_REQUEST, REWRITE_BEFORE_SCRIPTS, &x.flow, NULL, &x.edits),
	    0);
	flowedit_free(&x.edits);
}

static void candidates(struct rewrite_set *set, struct fx *x, const char *path, size_t want_n,
		       const char *first)
{
	char **v;
	size_t n;

	x->req.path = unconst(path);
	assert_int_equal(rewrite_map_local_candidates(set, &x->flow, NULL, &v, &n), 0);
	assert_int_equal(n, want_n);
	if (want_n)
		assert_string_equal(v[0], first);
	rewrite_paths_free(v, n);
}

static void test_map_local(void **st)
{
	struct rewrite_set set = {0};
	struct fx x;

	add(&set, REWRITE_MAP_LOCAL, "|example.com/main.js|/srv/main-local.js");
	add(&set, REWRITE_MAP_LOCAL, "|~m GET|example.com/static|/srv/static/");
	add(&set, REWRITE_MAP_LOCAL, "|example.com/page\\?p=(.+)|/srv/pages/");
	fx_http(&x, false);
	candidates(&set, &x, "/main.js", 1, "/srv/main-local.js");
	candidates(&set, &x, "/static/css/a.css?v=1", 2, "/srv/static/css/a.css");
	candidates(&set, &x, "/static", 1, "/srv/static/index.html");
	candidates(&set, &x, "/static/a%20b", 4, "/srv/static/a b");
	candidates(&set, &x, "/static/../../etc/passwd", 0, NULL);
	candidates(&set, &x, "/static/%2e%2e/secret", 0, NULL);
	candidates(&set, &x, "/page?p=about", 2, "/srv/pages/about");
	candidates(&set, &x, "/other", 0, NULL);
	x.req.method = "POST";
	candidates(&set, &x, "/static/a.css", 0, NULL);
	rewrite_map_local_serve(&x.flow, "/srv/static/a.css", "body{}", 6, &x.edits);
	assert_int_equal(x.flow.response->status_code, 200);
	assert_true(fx_bytes_eq(x.flow.response->content, "body{}"));
	assert_string_equal(
	    fx_hget(x.flow.response->headers, x.flow.response->n_headers, "content-type"),
	    "text/css");
	x.flow.response = NULL;
	rewrite_map_local_serve(&x.flow, "/srv/static/missing", NULL, 0, &x.edits);
	assert_int_equal(x.flow.response->status_code, 404);
	assert_int_equal(x.flow.response->content.len, 0);
	flowedit_free(&x.edits);
	rewrite_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modify_headers),     cmocka_unit_test(test_modify_body),
	    cmocka_unit_test(test_map_remote),	       cmocka_unit_test(test_block_list),
	    cmocka_unit_test(test_anticache_anticomp), cmocka_unit_test(test_map_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
