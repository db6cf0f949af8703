/* Unit tests for the flow file (daemon/output/flowfile.c): write and read
 * back, append, refusal to append to foreign or damaged files, and every
 * way a record can be corrupt (length, truncation, unpack, magic). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/flowfile.h"

#define MAXREC 8

struct fixture {
	char dir[64];
	char path[128];
	char err[256];
};

/* What the read callback saw: each flow packed again. */
struct seen {
	size_t n;
	uint8_t *packed[MAXREC];
	size_t len[MAXREC];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/snare-flowfile-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/flows", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void on_flow(const Snare__Flow *f, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAXREC);
	s->len[s->n] = snare__flow__get_packed_size(f);
	s->packed[s->n] = malloc(s->len[s->n] + 1);
	assert_non_null(s->packed[s->n]);
	snare__flow__pack(f, s->packed[s->n]);
	s->n++;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->packed[i]);
	memset(s, 0, sizeof(*s));
}

/* Three different flows: HTTP, TCP with a binary message, DNS. */
static void make_flows(Snare__Flow f[3], Snare__HttpRequest *req, Snare__Message *m,
		       Snare__Message **mp, Snare__DnsMessage *dq)
{
	for (int i = 0; i < 3; i++) {
		snare__flow__init(&f[i]);
		f[i].has_version = true;
		f[i].version = 1;
		f[i].has_type = true;
	}
	f[0].type = SNARE__FLOW__TYPE__HTTP;
	f[0].id = "9b1c1d3c-0000-4000-8000-000000000001";
	snare__http_request__init(req);
	req->method = "GET";
	req->path = "/";
	f[0].request = req;
	f[1].type = SNARE__FLOW__TYPE__TCP;
	snare__message__init(m);
	m->has_content = true;
	m->content = (ProtobufCBinaryData){3, (uint8_t *)"\x00\xff\x80"};
	*mp = m;
	f[1].messages = mp;
	f[1].n_messages = 1;
	f[1].error = "reset";
	f[2].type = SNARE__FLOW__TYPE__DNS;
	snare__dns_message__init(dq);
	dq->has_id = true;
	dq->id = 4242;
	f[2].dns_request = dq;
}

static void assert_same(const struct seen *s, size_t i, const Snare__Flow *f)
{
	size_t n = snare__flow__get_packed_size(f);
	uint8_t *want = malloc(n + 1);

	assert_non_null(want);
	snare__flow__pack(f, want);
	assert_int_equal(s->len[i], n);
	assert_memory_equal(s->packed[i], want, n);
	free(want);
}

static void write_flows(struct fixture *fx, bool append, const Snare__Flow *f, size_t n)
{
	struct flowfile *ff;

	assert_int_equal(flowfile_open(fx->path, append, &ff, fx->err, sizeof(fx->err)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(flowfile_write(ff, &f[i]), 0);
	assert_int_equal(flowfile_close(ff), 0);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

static long file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

static void test_write_read_three(void **state)
{
	struct fixture *fx = *state;
	Snare__Flow f[3];
	Snare__HttpRequest req;
	Snare__Message m, *mp;
	Snare__DnsMessage dq;
	struct seen s = {0};
	char head[8];
	FILE *fp;

	make_flows(f, &req, &m, &mp, &dq);
	write_flows(fx, false, f, 3);
	fp = fopen(fx->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(head, 1, 8, fp), 8);
	fclose(fp);
	assert_memory_equal(head, "SNAREFL1", 8);
	assert_int_equal(flowfile_read(fx->path, on_flow, &s, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_same(&s, i, &f[i]);
	seen_free(&s);
	/* Writing again without append truncates. */
	write_flows(fx, false, f, 1);
	assert_int_equal(flowfile_read(fx->path, on_flow, &s, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(s.n, 1);
	seen_free(&s);
}

static void test_append(void **state)
{
	struct fixture *fx = *state;
	Snare__Flow f[3];
	Snare__HttpRequest req;
	Snare__Message m, *mp;
	Snare__DnsMessage dq;
	struct seen s = {0};
	long one;

	make_flows(f, &req, &m, &mp, &dq);
	write_flows(fx, true, f, 1); /* a new file gets the magic */
	one = file_size(fx->path);
	assert_int_equal(one, 8 + 1 + (long)snare__flow__get_packed_size(&f[0]));
	write_flows(fx, true, f + 1, 2);
	assert_int_equal(file_size(fx->path), one + 2 + (long)snare__flow__get_packed_size(&f[1]) +
						  (long)snare__flow__get_packed_size(&f[2]));
	assert_int_equal(flowfile_read(fx->path, on_flow, &s, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_same(&s, i, &f[i]);
	seen_free(&s);
}

static void test_append_empty_file(void **state)
{
	struct fixture *fx = *state;
	struct seen s = {0};
	Snare__Flow f;

	snare__flow__init(&f);
	write_bytes(fx->path, "", 0);
	write_flows(fx, true, &f, 1);
	assert_int_equal(file_size(fx->path), 8 + 1);
	assert_int_equal(flowfile_read(fx->path, on_flow, &s, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.len[0], 0);
	seen_free(&s);
}

static void test_refuse_append_foreign(void **state)
{
	struct fixture *fx = *state;
	struct flowfile *ff = (struct flowfile *)1;
	char want[256];

	write_bytes(fx->path, "important notes\n", 16);
	assert_int_equal(flowfile_open(fx->path, true, &ff, fx->err, sizeof(fx->err)), -EINVAL);
	assert_null(ff);
	snprintf(want, sizeof(want), "%s: not a snare flow file", fx->path);
	assert_string_equal(fx->err, want);
	assert_int_equal(file_size(fx->path), 16);
	/* Shorter than the magic. */
	write_bytes(fx->path, "SNARE", 5);
	assert_int_equal(flowfile_open(fx->path, true, &ff, fx->err, sizeof(fx->err)), -EINVAL);
	assert_int_equal(file_size(fx->path), 5);
}

static void test_refuse_append_after_truncated(void **state)
{
	struct fixture *fx = *state;
	struct flowfile *ff;
	char want[256];

	write_bytes(fx->path, "SNAREFL1\x00\x05\x08\x01", 12); /* one empty flow, one cut */
	assert_int_equal(flowfile_open(fx->path, true, &ff, fx->err, sizeof(fx->err)), -EBADMSG);
	snprintf(want, sizeof(want), "%s: corrupt flow record at offset 9; not appending",
		 fx->path);
	assert_string_equal(fx->err, want);
	assert_int_equal(file_size(fx->path), 12);
}

static void expect_read(struct fixture *fx, const void *p, size_t n, int rc, size_t flows,
			const char *msg)
{
	struct seen s = {0};
	char want[256];

	write_bytes(fx->path, p, n);
	assert_int_equal(flowfile_read(fx->path, on_flow, &s, fx->err, sizeof(fx->err)), rc);
	assert_int_equal(s.n, flows);
	seen_free(&s);
	if (msg) {
		snprintf(want, sizeof(want), "%s: %s", fx->path, msg);
		assert_string_equal(fx->err, want);
	}
	/* The in-memory reader agrees. */
	fx->err[0] = '\0';
	assert_int_equal(flowfile_read_mem(p, n, "mem", on_flow, &s, fx->err, sizeof(fx->err)), rc);
	assert_int_equal(s.n, flows);
	seen_free(&s);
	if (msg) {
		snprintf(want, sizeof(want), "mem: %s", msg);
		assert_string_equal(fx->err, want);
	}
}

static void test_read_bad_magic(void **state)
{
	expect_read(*state, "SNAREFL2\x00", 9, -EINVAL, 0, "not a snare flow file");
	expect_read(*state, "SNARE", 5, -EINVAL, 0, "not a snare flow file");
	expect_read(*state, "", 0, -EINVAL, 0, "not a snare flow file");
}

static void test_read_only_magic(void **state)
{
	expect_read(*state, "SNAREFL1", 8, 0, 0, NULL);
}

static void test_read_corrupt_length(void **state)
{
	/* 512 MiB + 1 as a varint: 0x81 0x80 0x80 0x80 0x02. */
	static const char big[] = "SNAREFL1\x00\x81\x80\x80\x80\x02";
	/* 11 continuation bytes: not a varint at all. */
	static const char endless[] = "SNAREFL1\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80";

	expect_read(*state, big, sizeof(big) - 1, -EBADMSG, 1, "corrupt flow record at offset 9");
	expect_read(*state, endless, sizeof(endless) - 1, -EBADMSG, 0,
		    "corrupt flow record at offset 8");
}

static void test_read_truncated(void **state)
{
	struct fixture *fx = *state;
	Snare__Flow f[3];
	Snare__HttpRequest req;
	Snare__Message m, *mp;
	Snare__DnsMessage dq;
	uint8_t *buf;
	long n;
	char msg[64];
	FILE *fp;

	make_flows(f, &req, &m, &mp, &dq);
	write_flows(fx, false, f, 2);
	n = file_size(fx->path);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	fp = fopen(fx->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	/* The writer died in the middle of the second record. */
	snprintf(msg, sizeof(msg), "corrupt flow record at offset %zu",
		 8 + 1 + snare__flow__get_packed_size(&f[0]));
	expect_read(fx, buf, (size_t)n - 1, -EBADMSG, 1, msg);
	/* ... or in the middle of its length prefix (a cut varint). */
	expect_read(fx, "SNAREFL1\x00\x85", 10, -EBADMSG, 1, "corrupt flow record at offset 9");
	free(buf);
}

static void test_read_unpack_failure(void **state)
{
	/* Field 2 (type) with wire type 7, which does not exist. */
	expect_read(*state, "SNAREFL1\x02\x17\x01", 11, -EBADMSG, 0,
		    "corrupt flow record at offset 8");
	/* A length-delimited field longer than its record. */
	expect_read(*state, "SNAREFL1\x02\x1a\x05", 11, -EBADMSG, 0,
		    "corrupt flow record at offset 8");
}

static void test_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct flowfile *ff;
	struct seen s = {0};

	assert_int_equal(flowfile_open("/nonexistent-dir/x", false, &ff, fx->err, sizeof(fx->err)),
			 -ENOENT);
	assert_non_null(strstr(fx->err, "/nonexistent-dir/x: "));
	assert_int_equal(flowfile_read("/nonexistent-dir/x", on_flow, &s, fx->err, sizeof(fx->err)),
			 -ENOENT);
	assert_int_equal(flowfile_close(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_read_three, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse_append_foreign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse_append_after_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_bad_magic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_magic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_corrupt_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_unpack_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
