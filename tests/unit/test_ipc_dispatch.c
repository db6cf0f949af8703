/* Unit tests (test process only) for the one channel pipeline's dispatch
 * step: a channel with a handler table delivers the frames it has rows for,
 * and a frame the rules let in but no row handles ends the channel with
 * -EPROTO (a violation, never ignored).  Also checks that each descriptor's
 * rules name a body type and a validator for every row. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/ipc.h"

struct fixture {
	struct loop *loop;
	int sp[2];
	struct ipc_chan rx, tx;
	struct loop_timer timeout;
	int logs, closes, close_err;
};

static void on_timeout(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	loop_stop(fx->loop);
	fail_msg("timed out: the frame was neither handled nor refused");
}

static void on_log(struct ipc_chan *c, struct ipc_frame *f)
{
	struct fixture *fx = c->arg;

	assert_int_equal(f->body_case, SNARE__WORKER_TO_COORD__BODY_LOG);
	fx->logs++;
	loop_stop(fx->loop);
}

static void on_close(struct ipc_chan *c, int err)
{
	struct fixture *fx = c->arg;

	fx->closes++;
	fx->close_err = err;
	loop_stop(fx->loop);
}

/* Only log: a flow (permitted in RUNNING) has no row. */
static const struct ipc_handler log_only[] = {
    {SNARE__WORKER_TO_COORD__BODY_LOG, on_log},
};

static void setup_pair(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->loop = loop_new();
	assert_non_null(fx->loop);
	loop_timer_init(&fx->timeout, on_timeout, fx);
	loop_timer_arm(fx->loop, &fx->timeout, 10000);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fx->sp), 0);
	assert_int_equal(
	    ipc_chan_init(&fx->rx, fx->loop, fx->sp[0], IPC_CH_WORKER_TO_COORD, NULL, on_close, fx),
	    0);
	ipc_chan_handlers(&fx->rx, log_only, ARRAY_SIZE(log_only));
	fx->rx.state = IPC_ST_RUNNING;
	assert_int_equal(
	    ipc_chan_init(&fx->tx, fx->loop, fx->sp[1], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
}

static void teardown_pair(struct fixture *fx)
{
	ipc_chan_close(&fx->rx);
	ipc_chan_close(&fx->tx);
	loop_timer_cancel(fx->loop, &fx->timeout);
	loop_free(fx->loop);
}

static void send_log(struct fixture *fx)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__LogEvent le = SNARE__LOG_EVENT__INIT;

	le.has_level = 1;
	le.level = 1;
	le.text = "hello";
	env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
	env.log = &le;
	assert_int_equal(ipc_chan_send(&fx->tx, &env.base, NULL, 0), 0);
}

static void send_flow(struct fixture *fx)
{
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	Snare__FlowEvent fe = SNARE__FLOW_EVENT__INIT;
	Snare__Flow flow = SNARE__FLOW__INIT;

	flow.id = "f1";
	fe.flow = &flow;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW;
	env.flow = &fe;
	assert_int_equal(ipc_chan_send(&fx->tx, &env.base, NULL, 0), 0);
}

static void test_handled(void **state)
{
	struct fixture fx;

	setup_pair(&fx);
	send_log(&fx);
	loop_run(fx.loop);
	assert_int_equal(fx.logs, 1);
	assert_int_equal(fx.closes, 0);
	teardown_pair(&fx);
}

static void test_unhandled_is_violation(void **state)
{
	struct fixture fx;

	setup_pair(&fx);
	/* The rules let a flow in on this channel in this state ... */
	assert_true(ipc_authorized(IPC_CH_WORKER_TO_COORD, SNARE__WORKER_TO_COORD__BODY_FLOW,
				   IPC_ST_RUNNING));
	send_flow(&fx);
	loop_run(fx.loop);
	/* ... but the receiver has no row for it: the channel ends. */
	assert_int_equal(fx.logs, 0);
	assert_int_equal(fx.closes, 1);
	assert_int_equal(fx.close_err, -EPROTO);
	assert_true(fx.rx.closed);
	teardown_pair(&fx);
}

static void test_rules_complete(void **state)
{
	const struct chan_desc *d = &ipc_chan;

	assert_int_equal(d->ndirs, IPC_CH_COUNT);
	assert_true(d->nrules > 0);
	for (size_t i = 0; i < d->nrules; i++) {
		const struct chan_rule *r = &d->rules[i];

		assert_true(r->dir < d->ndirs);
		assert_non_null(r->body);
		assert_non_null(r->validate);
		assert_non_null(r->name);
		assert_true(r->states != 0);
		/* one rule per (direction, case) */
		assert_ptr_equal(chan_rule(d, r->dir, r->body_case), r);
		/* the rule's body type is the envelope's field for the case */
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
		    d->envelopes[r->dir], (unsigned)r->body_case);
		assert_non_null(f);
		assert_ptr_equal(f->descriptor, r->body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handled),
	    cmocka_unit_test(test_unhandled_is_violation),
	    cmocka_unit_test(test_rules_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
