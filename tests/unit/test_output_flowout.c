/* Unit tests for the output selection (daemon/output/flowout.c): the
 * three filters, a bad expression named with its option, a reload that
 * keeps the old filters on error, and the hardump file written on finish. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/unconst.h"
#include "output/flowout.h"

struct tflow {
	Snare__Flow f;
	Snare__HttpRequest req;
	Snare__HttpResponse resp;
};

static void http_flow(struct tflow *t, const char *method, unsigned code)
{
	snare__flow__init(&t->f);
	snare__http_request__init(&t->req);
	snare__http_response__init(&t->resp);
	t->f.has_type = true;
	t->f.type = SNARE__FLOW__TYPE__HTTP;
	t->f.request = &t->req;
	t->f.response = &t->resp;
	t->req.method = unconst(method);
	t->req.host = "out.test";
	t->req.path = "/";
	t->resp.has_status_code = true;
	t->resp.status_code = code;
}

static void set(struct options *o, const char *name, const char *value)
{
	char err[256];

	if (options_set_kv(o, name, value, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
}

static void test_filters(void **state)
{
	struct options o;
	struct flowout out;
	struct tflow get200, post500;
	char err[256];

	options_init(&o);
	http_flow(&get200, "GET", 200);
	http_flow(&post500, "POST", 500);
	assert_int_equal(flowout_init(&out, &o, err, sizeof(err)), 0);
	assert_true(flowout_prints(&out, &post500.f)); /* no filter: everything */
	assert_true(flowout_saves(&out, &post500.f));
	assert_true(flowout_reads(&out, &post500.f));
	flowout_free(&out);

	set(&o, "dumper_filter", "~m GET");
	set(&o, "save_stream_filter", "~c 500");
	set(&o, "readfile_filter", "!~http");
	assert_int_equal(flowout_init(&out, &o, err, sizeof(err)), 0);
	assert_true(flowout_prints(&out, &get200.f));
	assert_false(flowout_prints(&out, &post500.f));
	assert_false(flowout_saves(&out, &get200.f));
	assert_true(flowout_saves(&out, &post500.f));
	assert_false(flowout_reads(&out, &get200.f));

	/* a reload with a bad expression keeps the filters it had */
	free(o.dumper_filter);
	o.dumper_filter = strdup("~m (");
	assert_int_equal(flowout_set_filters(&out, &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Invalid filter expression for dumper_filter: ~m: needs a "
				 "regular expression at column 1");
	assert_true(flowout_prints(&out, &get200.f));
	assert_false(flowout_prints(&out, &post500.f));
	flowout_free(&out);
	assert_int_equal(flowout_init(&out, &o, err, sizeof(err)), -EINVAL);
	options_free(&o);
}

static void test_hardump(void **state)
{
	char path[] = "/tmp/snare-flowout.XXXXXX", err[256], buf[4096];
	struct options o;
	struct flowout out;
	struct tflow a, b;
	FILE *fp;
	size_t n;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	options_init(&o);
	set(&o, "hardump", path);
	http_flow(&a, "GET", 200);
	http_flow(&b, "PUT", 201);
	assert_int_equal(flowout_init(&out, &o, err, sizeof(err)), 0);
	flowout_keep(&out, &a.f);
	flowout_keep(&out, &b.f);
	assert_int_equal(flowout_finish(&out, err, sizeof(err)), 0);
	flowout_free(&out);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "\"method\": \"GET\""));
	assert_non_null(strstr(buf, "\"method\": \"PUT\""));
	unlink(path);
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_hardump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
