/* Unit tests for the web interface's flow storage (daemon/ui/ui_store.c,
 * ui_summary.c): summaries of each kind of flow, the id index, replacing a
 * flow, strings cut to their bound, reading whole flows back from the spill
 * file (which is a valid flow file), and the memory a summary costs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unconst.h"
#include "output/flowfile.h"
#include "ui/ui_store.h"

static int spill(void)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);

	assert_true(fd >= 0);
	return fd;
}

struct http_flow {
	Snare__Flow f;
	Snare__HttpRequest q;
	Snare__HttpResponse r;
	Snare__Connection c, s;
	Snare__Address ca, sa;
	Snare__Header h, *hp;
	char id[64];
};

static void make_http(struct http_flow *x, int i, const char *path)
{
	snare__flow__init(&x->f);
	snare__http_request__init(&x->q);
	snare__http_response__init(&x->r);
	snare__connection__init(&x->c);
	snare__connection__init(&x->s);
	snare__address__init(&x->ca);
	snare__address__init(&x->sa);
	snare__header__init(&x->h);
	snprintf(x->id, sizeof(x->id), "00000000-0000-4000-8000-%012d", i);
	x->f.id = x->id;
	x->f.has_type = 1;
	x->f.type = SNARE__FLOW__TYPE__HTTP;
	x->q.method = "GET";
	x->q.scheme = "https";
	x->q.host = "example.com";
	x->q.has_port = 1;
	x->q.port = 8443;
	x->q.path = unconst(path);
	x->q.http_version = "HTTP/1.1";
	x->q.has_timestamp_start = 1;
	x->q.timestamp_start = 100.0;
	x->r.has_status_code = 1;
	x->r.status_code = 201;
	x->r.has_content = 1;
	x->r.content.data = (uint8_t *)"{\"a\":1}";
	x->r.content.len = 7;
	x->r.has_timestamp_end = 1;
	x->r.timestamp_end = 100.25;
	x->h.has_name = x->h.has_value = 1;
	x->h.name = (ProtobufCBinaryData){12, (uint8_t *)"Content-Type"};
	x->h.value = (ProtobufCBinaryData){16, (uint8_t *)"application/json"};
	x->hp = &x->h;
	x->r.headers = &x->hp;
	x->r.n_headers = 1;
	x->ca.host = "10.0.0.2";
	x->ca.has_port = 1;
	x->ca.port = 51000;
	x->c.peer = &x->ca;
	x->c.has_pid = 1;
	x->c.pid = 4242;
	x->c.process_name = "curl";
	x->sa.host = "2001:db8::1";
	x->sa.has_port = 1;
	x->sa.port = 8443;
	x->s.peer = &x->sa;
	x->f.client = &x->c;
	x->f.server = &x->s;
	x->f.request = &x->q;
	x->f.response = &x->r;
}

static void test_http_summary(void **state)
{
	struct ui_store *s = ui_store_new(spill());
	struct http_flow x;
	const struct ui_sum *m;
	bool present;
	size_t i;

	make_http(&x, 1, "/p?q=1");
	assert_int_equal(ui_store_add(s, &x.f, &i), 0);
	assert_int_equal(i, 0);
	m = ui_store_sum(s, 0);
	assert_int_equal(m->seq, 1);
	assert_int_equal(m->kind, UI_HTTP);
	assert_int_equal(m->status, 201);
	assert_true(m->flags & UI_F_STATUS);
	assert_int_equal(m->port, 8443);
	assert_int_equal(m->resp_size, 7);
	assert_true(m->flags & UI_F_DURATION);
	assert_true(m->duration_ms > 249.0 && m->duration_ms < 251.0);
	assert_true(m->flags & UI_F_PROCESS);
	assert_int_equal(m->pid, 4242);
	assert_string_equal(ui_store_str(s, 0, UI_S_METHOD, NULL), "GET");
	assert_string_equal(ui_store_str(s, 0, UI_S_PATH, NULL), "/p?q=1");
	assert_string_equal(ui_store_str(s, 0, UI_S_CTYPE, NULL), "application/json");
	assert_string_equal(ui_store_str(s, 0, UI_S_CLIENT, NULL), "10.0.0.2:51000");
	assert_string_equal(ui_store_str(s, 0, UI_S_SERVER, NULL), "[2001:db8::1]:8443");
	assert_string_equal(ui_store_str(s, 0, UI_S_PROCESS, NULL), "curl");
	assert_string_equal(ui_store_str(s, 0, UI_S_ERROR, &present), "");
	assert_false(present);
	assert_string_equal(ui_kind_name(m->kind), "http");
	ui_store_free(s);
}

static void test_other_kinds(void **state)
{
	struct ui_store *s = ui_store_new(spill());
	Snare__Flow f = SNARE__FLOW__INIT;
	Snare__Connection sv = SNARE__CONNECTION__INIT;
	Snare__Address a = SNARE__ADDRESS__INIT;
	Snare__Message m1 = SNARE__MESSAGE__INIT, m2 = SNARE__MESSAGE__INIT, *ms[2] = {&m1, &m2};
	Snare__DnsMessage q = SNARE__DNS_MESSAGE__INIT;
	Snare__DnsRecord r = SNARE__DNS_RECORD__INIT, *rp = &r;
	size_t i;

	f.id = "tcp-1";
	f.has_type = 1;
	f.type = SNARE__FLOW__TYPE__TCP;
	a.host = "192.0.2.1";
	a.has_port = 1;
	a.port = 5000;
	sv.address = &a;
	f.server = &sv;
	m1.has_from_client = m1.from_client = 1;
	m1.has_content = 1;
	m1.content = (ProtobufCBinaryData){3, (uint8_t *)"abc"};
	m2.has_content = 1;
	m2.content = (ProtobufCBinaryData){5, (uint8_t *)"hello"};
	f.messages = ms;
	f.n_messages = 2;
	f.error = "connection reset";
	assert_int_equal(ui_store_add(s, &f, &i), 0);
	assert_int_equal(ui_store_sum(s, i)->kind, UI_TCP);
	assert_int_equal(ui_store_sum(s, i)->req_size, 3);
	assert_int_equal(ui_store_sum(s, i)->resp_size, 5);
	assert_int_equal(ui_store_sum(s, i)->messages, 2);
	assert_string_equal(ui_store_str(s, i, UI_S_SCHEME, NULL), "tcp");
	assert_string_equal(ui_store_str(s, i, UI_S_HOST, NULL), "192.0.2.1");
	assert_string_equal(ui_store_str(s, i, UI_S_ERROR, NULL), "connection reset");

	f.id = "dns-1";
	f.type = SNARE__FLOW__TYPE__DNS;
	f.n_messages = 0;
	f.error = NULL;
	r.name = "example.org";
	q.questions = &rp;
	q.n_questions = 1;
	f.dns_request = &q;
	assert_int_equal(ui_store_add(s, &f, &i), 0);
	assert_int_equal(ui_store_sum(s, i)->kind, UI_DNS);
	assert_string_equal(ui_store_str(s, i, UI_S_DNS, NULL), "example.org");
	assert_string_equal(ui_kind_name(UI_DNS), "dns");

	f.id = "ws-1";
	f.type = SNARE__FLOW__TYPE__HTTP;
	f.has_websocket = f.websocket = 1;
	f.dns_request = NULL;
	assert_int_equal(ui_store_add(s, &f, &i), 0);
	assert_int_equal(ui_store_sum(s, i)->kind, UI_WEBSOCKET);
	/* no id: refused */
	f.id = NULL;
	assert_int_equal(ui_store_add(s, &f, &i), -ENOSPC);
	assert_int_equal(ui_store_count(s), 3);
	ui_store_free(s);
}

static void test_index_replace_load(void **state)
{
	struct ui_store *s = ui_store_new(spill());
	struct http_flow x;
	Snare__Flow *back;
	size_t i, n = 3000;
	char id[64];

	for (i = 0; i < n; i++) {
		size_t at;

		make_http(&x, (int)i, "/a");
		assert_int_equal(ui_store_add(s, &x.f, &at), 0);
		assert_int_equal(at, i);
	}
	assert_int_equal(ui_store_count(s), n);
	for (i = 0; i < n; i += 7) {
		snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zu", i);
		assert_int_equal(ui_store_find(s, id), (ssize_t)i);
	}
	assert_int_equal(ui_store_find(s, "00000000-0000-4000-8000-999999999999"), -1);
	/* the same id again replaces the flow, keeps its seq and its mark */
	ui_store_set_marked(s, 5, true);
	make_http(&x, 5, "/replaced");
	assert_int_equal(ui_store_add(s, &x.f, &i), 0);
	assert_int_equal(i, 5);
	assert_int_equal(ui_store_count(s), n);
	assert_int_equal(ui_store_sum(s, 5)->seq, 6);
	assert_true(ui_store_sum(s, 5)->flags & UI_F_MARKED);
	assert_string_equal(ui_store_str(s, 5, UI_S_PATH, NULL), "/replaced");
	back = ui_store_load(s, 5);
	assert_non_null(back);
	assert_string_equal(back->request->path, "/replaced");
	assert_int_equal(back->response->content.len, 7);
	assert_memory_equal(back->response->content.data, "{\"a\":1}", 7);
	snare__flow__free_unpacked(back, NULL);
	back = ui_store_load(s, n - 1);
	assert_string_equal(back->id, "00000000-0000-4000-8000-000000002999");
	snare__flow__free_unpacked(back, NULL);
	ui_store_set_marked(s, 5, false);
	assert_false(ui_store_sum(s, 5)->flags & UI_F_MARKED);
	ui_store_free(s);
}

struct scan_seen {
	size_t n, next;
	bool in_order;
};

static void scan_one(size_t i, const Snare__Flow *f, void *arg)
{
	struct scan_seen *x = arg;
	char want[64];

	snprintf(want, sizeof(want), "00000000-0000-4000-8000-%012zu", i);
	x->in_order &= i == x->next && strcmp(f->id, want) == 0 && f->response &&
		       f->response->content.len == 7;
	x->next = i + 1;
	x->n++;
}

/* The sequential scan sees every flow, in order, also across its read
 * window and after a flow was replaced (its record moved to the end). */
static void test_scan(void **state)
{
	struct ui_store *s = ui_store_new(spill());
	struct http_flow x;
	struct scan_seen seen = {.in_order = true};
	size_t i, at;

	for (i = 0; i < 6000; i++) {
		make_http(&x, (int)i, i % 3 ? "/short" : "/a-longer-path-for-some-variety");
		assert_int_equal(ui_store_add(s, &x.f, &at), 0);
	}
	make_http(&x, 10, "/moved");
	assert_int_equal(ui_store_add(s, &x.f, &at), 0);
	assert_int_equal(ui_store_scan(s, 0, ui_store_count(s), scan_one, &seen), 0);
	assert_int_equal(seen.n, 6000);
	assert_true(seen.in_order);
	seen = (struct scan_seen){.next = 5990, .in_order = true};
	assert_int_equal(ui_store_scan(s, 5990, 99999, scan_one, &seen), 0);
	assert_int_equal(seen.n, 10);
	assert_true(seen.in_order);
	ui_store_free(s);
}

static int nread;
static void count_flow(const Snare__Flow *f, void *arg)
{
	nread++;
}

static void test_spill_is_a_flow_file(void **state)
{
	int fd = spill(), dup_fd = dup(fd);
	struct ui_store *s = ui_store_new(fd);
	struct http_flow x;
	struct stat st;
	uint8_t *buf;
	char err[256];
	size_t i;

	for (i = 0; i < 10; i++) {
		make_http(&x, (int)i, "/f");
		assert_int_equal(ui_store_add(s, &x.f, &i), 0);
	}
	assert_int_equal(fstat(dup_fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, ui_store_spill_bytes(s));
	buf = malloc((size_t)st.st_size);
	assert_int_equal(pread(dup_fd, buf, (size_t)st.st_size, 0), st.st_size);
	assert_memory_equal(buf, FLOWFILE_MAGIC, 8);
	nread = 0;
	assert_int_equal(
	    flowfile_read_mem(buf, (size_t)st.st_size, "spill", count_flow, NULL, err, sizeof(err)),
	    0);
	assert_int_equal(nread, 10);
	free(buf);
	close(dup_fd);
	ui_store_free(s);
}

static void test_bounds_and_memory(void **state)
{
	struct ui_store *s = ui_store_new(spill());
	struct http_flow x;
	char *longpath = malloc(UI_STR_MAX * 3);
	size_t i, n = 20000, mem;

	memset(longpath, 'p', UI_STR_MAX * 3 - 1);
	longpath[0] = '/';
	longpath[UI_STR_MAX * 3 - 1] = '\0';
	make_http(&x, 1, longpath);
	assert_int_equal(ui_store_add(s, &x.f, &i), 0);
	assert_int_equal(strlen(ui_store_str(s, i, UI_S_PATH, NULL)), UI_STR_MAX);
	/* the whole path is kept in the spill file */
	{
		Snare__Flow *back = ui_store_load(s, i);

		assert_int_equal(strlen(back->request->path), UI_STR_MAX * 3 - 1);
		snare__flow__free_unpacked(back, NULL);
	}
	free(longpath);
	for (i = 2; i < n; i++) {
		size_t at;

		make_http(&x, (int)i, "/item/12345?q=x");
		assert_int_equal(ui_store_add(s, &x.f, &at), 0);
	}
	/* Memory per flow: the summary, its strings and the index, in pages;
	 * 200,000 flows at this size are ~60 MiB. */
	mem = ui_store_mem_bytes(s);
	assert_true(mem / n < 320);
	ui_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_summary),       cmocka_unit_test(test_other_kinds),
	    cmocka_unit_test(test_index_replace_load), cmocka_unit_test(test_spill_is_a_flow_file),
	    cmocka_unit_test(test_bounds_and_memory),  cmocka_unit_test(test_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
