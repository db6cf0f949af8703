/* Unit tests for the coordinator's replay files (coordinator/replayfiles.c):
 * what coord_replay_load keeps (HTTP flows with a request, from every file
 * of the option, in order) and leaves out (other flow types, flows without
 * a request, flows larger than one frame), and what it refuses with one line naming the option and
 * the file: a missing file, a file that is not a flow file, and more flows than a worker's channel
 * may queue.  The flows it keeps go out (tests/ integration/test_replay.sh sends them through real
 * workers). */
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

#include "config/cli.h"
#include "coordinator/coord.h"
#include "output/flowfile.h"

static char dir[] = "/tmp/snare-test-replayfiles.XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = {"a.flows", "b.flows", "c.flows", "junk.flows", "big.flows"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);

		unlink(p);
		free(p);
	}
	rmdir(dir);
	return 0;
}

/* A flow file of n flows of `type`; with_request: HTTP flows carry one
 * (with a body of `body` bytes). */
static char *write_flows(const char *name, size_t n, Snare__Flow__Type type, bool with_request,
			 size_t body)
{
	char *path = xasprintf("%s/%s", dir, name), err[256], id[40];
	struct flowfile *ff;
	uint8_t *content = xcalloc(1, body ? body : 1);

	assert_int_equal(flowfile_open(path, false, &ff, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		Snare__Flow f = SNARE__FLOW__INIT;
		Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;

		snprintf(id, sizeof(id), "%s-%zu", name, i);
		f.id = id;
		f.has_type = 1;
		f.type = type;
		rq.method = "GET";
		rq.scheme = "http";
		rq.host = "origin.test";
		rq.path = "/x";
		rq.has_content = 1;
		rq.content.data = content;
		rq.content.len = body;
		if (with_request)
			f.request = &rq;
		assert_int_equal(flowfile_write(ff, &f), 0);
	}
	flowfile_close(ff);
	free(content);
	return path;
}

static void co_init(struct coord *co, struct cli *cli)
{
	memset(co, 0, sizeof(*co));
	memset(cli, 0, sizeof(*cli));
	options_init(&cli->opts);
	co->cli = cli;
}

static void set(struct cli *cli, const char *kv)
{
	char err[256];

	assert_int_equal(options_set(&cli->opts, kv, err, sizeof(err)), 0);
}

static void test_keeps_http_with_request(void **state)
{
	char *a = write_flows("a.flows", 3, SNARE__FLOW__TYPE__HTTP, true, 10);
	char *b = write_flows("b.flows", 2, SNARE__FLOW__TYPE__TCP, false, 0);
	/* larger than one frame: left out with a warning */
	char *c = write_flows("c.flows", 1, SNARE__FLOW__TYPE__HTTP, true, 300 * 1024);
	char *kv, err[512] = "";
	struct coord co;
	struct cli cli;

	co_init(&co, &cli);
	assert_int_equal(coord_replay_load(&co, err, sizeof(err)), 0);
	assert_null(co.replay); /* no option: nothing at all */
	kv = xasprintf("server_replay=%s", a);
	set(&cli, kv);
	free(kv);
	kv = xasprintf("server_replay=%s", b);
	set(&cli, kv);
	free(kv);
	kv = xasprintf("server_replay=%s", c);
	set(&cli, kv);
	free(kv);
	assert_int_equal(coord_replay_load(&co, err, sizeof(err)), 0);
	assert_int_equal(coord_replay_server_count(&co), 3);
	coord_replay_free(&co);
	assert_null(co.replay);
	assert_int_equal(coord_replay_server_count(&co), 0);
	options_free(&cli.opts);
	free(a);
	free(b);
	free(c);
}

static void test_refusals_name_the_file(void **state)
{
	char *junk = xasprintf("%s/junk.flows", dir), *kv, err[512] = "";
	FILE *f = fopen(junk, "w");
	struct coord co;
	struct cli cli;

	assert_non_null(f);
	fputs("not a flow file\n", f);
	fclose(f);
	co_init(&co, &cli);
	set(&cli, "server_replay=/nonexistent/x.flows");
	assert_int_equal(coord_replay_load(&co, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "server_replay: "));
	assert_non_null(strstr(err, "/nonexistent/x.flows"));
	assert_null(strchr(err, '\n'));
	assert_null(co.replay);
	options_free(&cli.opts);

	co_init(&co, &cli);
	kv = xasprintf("client_replay=%s", junk);
	set(&cli, kv);
	free(kv);
	assert_int_equal(coord_replay_load(&co, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, "client_replay: ", 15), 0);
	assert_non_null(strstr(err, junk));
	options_free(&cli.opts);
	free(junk);
}

/* Each flow fits a frame (200 KiB), but 30 of them do not fit what one
 * option may queue to a worker. */
static void test_too_many_bytes(void **state)
{
	char *big = write_flows("big.flows", 30, SNARE__FLOW__TYPE__HTTP, true, 200 * 1024);
	char *kv = xasprintf("server_replay=%s", big), err[512] = "";
	struct coord co;
	struct cli cli;

	co_init(&co, &cli);
	set(&cli, kv);
	assert_int_equal(coord_replay_load(&co, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "server_replay: "));
	assert_non_null(strstr(err, "MiB of HTTP flows"));
	assert_null(co.replay);
	options_free(&cli.opts);
	free(kv);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keeps_http_with_request),
	    cmocka_unit_test(test_refusals_name_the_file),
	    cmocka_unit_test(test_too_many_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
