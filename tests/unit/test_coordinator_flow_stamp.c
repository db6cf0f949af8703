/* Unit test of what the coordinator adds to a flow before it writes it
 * (daemon/coordinator/events.c): the worker index and pid it knows from
 * the channel replace whatever the worker put in those fields, fields this
 * build does not know (at any depth) are not written, and a flow file
 * written this way reads back with the stamp and with a body that arrived
 * in pieces from the same worker. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/coord.h"

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Appends field `num` as a varint, or as bytes when data is set. */
static size_t put_field(uint8_t *buf, size_t len, unsigned num, uint64_t v, const uint8_t *data)
{
	uint8_t *p = buf + len;

	p = put_varint(p, (uint64_t)num << 3 | (data ? 2 : 0));
	p = put_varint(p, v);
	if (data) {
		memcpy(p, data, v);
		p += v;
	}
	return (size_t)(p - buf);
}

/* A flow as a hostile worker would pack it: a claimed worker 7 / pid 99,
 * and unknown fields in the flow, its client connection and its peer. */
static Snare__Flow *hostile_flow(void)
{
	static uint8_t addr[64], conn[128], flow[256];
	Snare__Address a = SNARE__ADDRESS__INIT;
	Snare__Connection c = SNARE__CONNECTION__INIT;
	Snare__Flow f = SNARE__FLOW__INIT;
	size_t na, nc, nf;

	a.host = "192.0.2.1";
	na = snare__address__pack(&a, addr);
	na = put_field(addr, na, 50, 5, NULL);
	c.id = "conn";
	nc = snare__connection__pack(&c, conn);
	nc = put_field(conn, nc, 2, na, addr);
	nc = put_field(conn, nc, 60, 6, NULL);
	f.id = "flow-1";
	f.has_worker = f.has_worker_pid = 1;
	f.worker = 7;
	f.worker_pid = 99;
	nf = snare__flow__pack(&f, flow);
	nf = put_field(flow, nf, 4, nc, conn);
	nf = put_field(flow, nf, 99, 1, NULL);
	return snare__flow__unpack(NULL, nf, flow);
}

static void test_stamp_replaces_and_strips(void **state)
{
	struct coord co = {0};
	struct coord_child w = {.index = 3, .pid = 4242};
	Snare__Flow *f = hostile_flow();

	assert_non_null(f);
	/* what the worker sent is there first */
	assert_int_equal(f->worker, 7);
	assert_int_equal(f->base.n_unknown_fields, 1);
	assert_non_null(f->client);
	assert_int_equal(f->client->base.n_unknown_fields, 1);
	assert_non_null(f->client->peer);
	assert_int_equal(f->client->peer->base.n_unknown_fields, 1);

	co.loop = loop_new();
	coord_on_flow(&co, &w, f);
	assert_true(f->has_worker && f->worker == 3);
	assert_true(f->has_worker_pid && f->worker_pid == 4242);
	assert_int_equal(f->base.n_unknown_fields, 0);
	assert_int_equal(f->client->base.n_unknown_fields, 0);
	assert_int_equal(f->client->peer->base.n_unknown_fields, 0);
	assert_string_equal(f->client->peer->host, "192.0.2.1");
	snare__flow__free_unpacked(f, NULL);
	loop_free(co.loop);
}

struct seen {
	unsigned n, worker, pid;
	size_t body;
	bool unknown;
};

static void on_read(const Snare__Flow *f, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->worker = f->has_worker ? f->worker : 1000;
	s->pid = f->has_worker_pid ? f->worker_pid : 0;
	s->body = f->request && f->request->has_content ? f->request->content.len : 0;
	s->unknown = f->base.n_unknown_fields != 0;
}

/* Through the flow file: the stamp and a body from FlowBody pieces. */
static void test_stamp_in_flow_file(void **state)
{
	char path[] = "/tmp/snare-stamp-XXXXXX", err[256];
	struct coord co = {0};
	struct coord_child w = {.index = 1, .pid = 777};
	static uint8_t piece[100000];
	Snare__FlowBody fb = SNARE__FLOW_BODY__INIT;
	Snare__Flow *f = hostile_flow();
	Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;
	struct seen s = {0};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	co.loop = loop_new();
	assert_int_equal(flowfile_open(path, false, &co.ff, err, sizeof(err)), 0);
	fb.flow_id = "flow-1";
	fb.has_part = fb.has_data = 1;
	fb.data.data = piece;
	fb.data.len = sizeof(piece);
	coord_on_flow_body(&co, 1, &fb); /* the same worker */
	coord_on_flow_body(&co, 2, &fb); /* another one, same flow id */
	f->request = &rq;
	coord_on_flow(&co, &w, f);
	f->request = NULL;
	assert_int_equal(flowfile_close(co.ff), 0);
	assert_int_equal(flowfile_read(path, on_read, &s, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.worker, 1);
	assert_int_equal(s.pid, 777);
	assert_int_equal(s.body, sizeof(piece));
	assert_false(s.unknown);
	assert_int_equal(coord_parts_pending(1, &(size_t){0}), 0);
	assert_int_equal(coord_parts_pending(2, &(size_t){0}), 1); /* worker 2's stays its own */
	coord_parts_drop_worker(2);
	snare__flow__free_unpacked(f, NULL);
	loop_free(co.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stamp_replaces_and_strips),
	    cmocka_unit_test(test_stamp_in_flow_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
