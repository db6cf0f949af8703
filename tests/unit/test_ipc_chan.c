/* Unit tests (test process only) for struct ipc_chan on a real event loop and
 * SEQPACKET socketpair: delivery with sequence numbers and fds, protocol
 * violations and EOF ending the channel once, and the outbound queue with a
 * full socket buffer (congestion, order, drain, limits). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/unconst.h"
#include "ipc/ipc.h"

struct fixture {
	struct loop *loop;
	int sp[2];
	struct ipc_chan a, b;
	struct loop_timer timeout;
	int frames, closes, close_err, drains;
	uint64_t last_seq;
	int got_fd;
};

static void on_timeout(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	loop_stop(fx->loop);
	fail_msg("timed out");
}

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	fx.got_fd = -1;
	fx.a.io.fd = fx.b.io.fd = -1;
	fx.loop = loop_new();
	if (fx.loop == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fx.sp) < 0)
		return -1;
	loop_timer_init(&fx.timeout, on_timeout, &fx);
	loop_timer_arm(fx.loop, &fx.timeout, 10000);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ipc_chan_close(&fx->a);
	ipc_chan_close(&fx->b);
	loop_timer_cancel(fx->loop, &fx->timeout);
	loop_free(fx->loop);
	if (fx->got_fd >= 0)
		close(fx->got_fd);
	return 0;
}

static void on_close(struct ipc_chan *c, int err)
{
	struct fixture *fx = c->arg;

	fx->closes++;
	fx->close_err = err;
	loop_stop(fx->loop);
}

static void on_drain(struct ipc_chan *c)
{
	struct fixture *fx = c->arg;

	assert_false(c->congested);
	assert_true(c->queued < IPC_LOW_WATER);
	fx->drains++;
}

static void send_hello(struct ipc_chan *c)
{
	Snare__Hello h = SNARE__HELLO__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	h.has_version = 1;
	h.version = IPC_PROTOCOL_VERSION;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_HELLO;
	env.hello = &h;
	assert_int_equal(ipc_chan_send(c, &env.base, NULL, 0), 0);
	assert_int_equal(env.seq, c->seq);
}

/* Coordinator side: hello moves the channel to CONFIG, then logs. */
static void coord_on_frame(struct ipc_chan *c, struct ipc_frame *f)
{
	struct fixture *fx = c->arg;
	uint64_t seq = ipc_env_seq(f->msg);

	assert_true(seq > fx->last_seq);
	fx->last_seq = seq;
	if (f->body_case == SNARE__WORKER_TO_COORD__BODY_HELLO)
		c->state = IPC_ST_CONFIG;
	if (++fx->frames == 3)
		loop_stop(fx->loop);
}

static void send_log(struct ipc_chan *c, const char *text, uint64_t seq)
{
	Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

	le.has_level = 1;
	le.text = unconst(text);
	env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
	env.log = &le;
	env.seq = seq;
	env.has_seq = seq != 0;
	assert_int_equal(ipc_chan_send(c, &env.base, NULL, 0), 0);
}

static void test_delivery_and_state(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_WORKER_TO_COORD,
				       coord_on_frame, on_close, fx),
			 0);
	assert_int_equal(
	    ipc_chan_init(&fx->b, fx->loop, fx->sp[1], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
	assert_true(fcntl(fx->sp[0], F_GETFL) & O_NONBLOCK);
	send_hello(&fx->b);
	assert_int_equal(fx->b.seq, 1);
	send_log(&fx->b, "one", 0);
	send_log(&fx->b, "echo", 40); /* an explicit seq is kept */
	assert_int_equal(fx->b.seq, 2);
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->frames, 3);
	assert_int_equal(fx->last_seq, 40);
	assert_int_equal(fx->a.state, IPC_ST_CONFIG);
	assert_int_equal(fx->closes, 0);
}

/* A hello after the first is not allowed: the channel ends with -EPERM. */
static void test_violation_closes_once(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_WORKER_TO_COORD,
				       coord_on_frame, on_close, fx),
			 0);
	assert_int_equal(
	    ipc_chan_init(&fx->b, fx->loop, fx->sp[1], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
	send_hello(&fx->b);
	send_hello(&fx->b);
	send_log(&fx->b, "never seen", 0);
	ipc_chan_close(&fx->b); /* EOF afterwards must not be reported again */
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->frames, 1);
	assert_int_equal(fx->closes, 1);
	assert_int_equal(fx->close_err, -EPERM);
	assert_true(fx->a.closed);
	assert_int_equal(ipc_chan_send(&fx->a,
				       &(Snare__CoordToWorker)SNARE__COORD_TO_WORKER__INIT.base,
				       NULL, 0),
			 -EPIPE);
}

static void test_garbage_and_eof(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_CA_TO_WORKER,
				       coord_on_frame, on_close, fx),
			 0);
	assert_int_equal(ipc_send_raw(fx->sp[1], (const uint8_t *)"\xff\xff", 2, NULL, 0), 0);
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->closes, 1);
	assert_int_equal(fx->close_err, -EBADMSG);
	ipc_chan_close(&fx->a);
	close(fx->sp[1]);

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fx->sp), 0);
	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_CA_TO_WORKER,
				       coord_on_frame, on_close, fx),
			 0);
	close(fx->sp[1]);
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->closes, 2);
	assert_int_equal(fx->close_err, 0);
}

/* Coordinator -> ca: AttachWorker's fd arrives and can be taken. */
static void ca_on_frame(struct ipc_chan *c, struct ipc_frame *f)
{
	struct fixture *fx = c->arg;

	assert_int_equal(f->body_case, SNARE__COORD_TO_CA__BODY_ATTACH_WORKER);
	assert_int_equal(f->nfds, 1);
	fx->got_fd = ipc_frame_take_fd(f, 0);
	fx->frames++;
	loop_stop(fx->loop);
}

static void test_fd_delivery(void **state)
{
	struct fixture *fx = *state;
	Snare__AttachWorker aw = SNARE__ATTACH_WORKER__INIT;
	Snare__CoordToCa env = SNARE__COORD_TO_CA__INIT;
	int p[2];
	char c = 0;

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_COORD_TO_CA, ca_on_frame,
				       on_close, fx),
			 0);
	assert_int_equal(
	    ipc_chan_init(&fx->b, fx->loop, fx->sp[1], IPC_CH_CA_TO_COORD, NULL, on_close, fx), 0);
	fx->a.state = IPC_ST_RUNNING;
	aw.has_worker_index = 1;
	env.body_case = SNARE__COORD_TO_CA__BODY_ATTACH_WORKER;
	env.attach_worker = &aw;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ipc_chan_send(&fx->b, &env.base, &p[1], 1), 0);
	close(p[1]); /* the caller's own copy */
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->frames, 1);
	assert_true(fx->got_fd >= 0);
	assert_int_equal(write(fx->got_fd, "z", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	close(p[0]);
}

/* --- the outbound queue --- */

struct drain {
	struct fixture *fx;
	struct loop_io io;
	int want, got, fds;
	uint64_t last_seq;
};

/* The reading end: decodes every frame, checks order and counts fds. */
static void drain_on_io(struct loop_io *io, uint32_t events)
{
	static uint8_t buf[IPC_MAX_FRAME];
	struct drain *d = io->arg;
	int fds[IPC_MAX_FDS], n;
	struct ipc_frame f;
	size_t nfds;

	while ((n = ipc_recv_raw(io->fd, buf, sizeof(buf), fds, IPC_MAX_FDS, &nfds)) > 0) {
		assert_int_equal(
		    ipc_decode(IPC_CH_WORKER_TO_COORD, IPC_ST_RUNNING, buf, (size_t)n, fds, 0, &f),
		    0);
		assert_int_equal(ipc_env_seq(f.msg), d->last_seq + 1);
		d->last_seq++;
		d->fds += (int)nfds;
		while (nfds > 0)
			close(fds[--nfds]);
		ipc_frame_free(&f);
		if (++d->got == d->want)
			loop_stop(d->fx->loop);
	}
	assert_int_equal(n, -EAGAIN);
}

static void test_queue_congestion(void **state)
{
	static char text[4001];
	struct fixture *fx = *state;
	struct drain d = {.fx = fx};
	int small = 4096, sent = 0, queued_at = -1, p[2];

	memset(text, 'q', sizeof(text) - 1);
	assert_int_equal(
	    ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
	fx->a.on_drain = on_drain;
	assert_int_equal(setsockopt(fx->sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	while (!fx->a.congested) {
		send_log(&fx->a, text, 0);
		sent++;
		if (queued_at < 0 && fx->a.queued > 0)
			queued_at = sent;
		assert_true(fx->a.congested == (fx->a.queued > IPC_HIGH_WATER));
		assert_true(sent < 10000);
	}
	assert_true(queued_at > 0 && queued_at < sent);
	/* fds on a queued frame are duplicates: ours can be closed at once */
	{
		Snare__LogEvent le = SNARE__LOG_EVENT__INIT;
		Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;

		le.has_level = 1;
		le.text = "with fds";
		env.body_case = SNARE__WORKER_TO_COORD__BODY_LOG;
		env.log = &le;
		assert_int_equal(ipc_chan_send(&fx->a, &env.base, p, 2), 0);
		sent++;
		close(p[0]);
		close(p[1]);
	}
	assert_int_equal(fx->drains, 0);

	d.want = sent;
	loop_io_init(&d.io, fx->sp[1], drain_on_io, &d);
	assert_int_equal(fd_set_nonblock(fx->sp[1]), 0);
	assert_int_equal(loop_io_set(fx->loop, &d.io, EPOLLIN), 0);
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(d.got, sent);
	assert_int_equal(d.fds, 2);
	assert_int_equal(fx->drains, 1);
	assert_false(fx->a.congested);
	assert_int_equal(fx->a.queued, 0);
	assert_null(fx->a.qhead);
	assert_int_equal(fx->closes, 0);
	loop_io_del(fx->loop, &d.io);
	close(fx->sp[1]);
}

static void test_send_limits(void **state)
{
	static uint8_t blob[IPC_MAX_FRAME];
	struct fixture *fx = *state;
	Snare__Flow fl = SNARE__FLOW__INIT;
	Snare__HttpRequest rq = SNARE__HTTP_REQUEST__INIT;
	Snare__FlowEvent fe = SNARE__FLOW_EVENT__INIT;
	Snare__WorkerToCoord env = SNARE__WORKER_TO_COORD__INIT;
	size_t n = 0;
	int err, big = IPC_MAX_FRAME;

	assert_int_equal(
	    ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
	fl.id = "id";
	fl.request = &rq;
	rq.has_content = 1;
	rq.content = (ProtobufCBinaryData){IPC_MAX_FRAME, blob};
	fe.flow = &fl;
	env.body_case = SNARE__WORKER_TO_COORD__BODY_FLOW;
	env.flow = &fe;
	assert_int_equal(ipc_chan_send(&fx->a, &env.base, NULL, 0), -EMSGSIZE);
	assert_int_equal(fx->a.queued, 0);
	assert_null(fx->a.qhead);
	/* without reading, the queue is capped */
	rq.content.len = 200 * 1024;
	(void)setsockopt(fx->sp[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	while ((err = ipc_chan_send(&fx->a, &env.base, NULL, 0)) == 0)
		assert_true(++n < 200);
	assert_int_equal(err, -ENOBUFS);
	assert_true(fx->a.congested);
	assert_true(fx->a.queued <= IPC_QUEUE_MAX);
	assert_true(fx->a.queued + 200 * 1024 > IPC_QUEUE_MAX);
	ipc_chan_close(&fx->a);
	assert_int_equal(fx->a.queued, 0);
	assert_false(fx->a.congested);
	assert_int_equal(ipc_chan_send(&fx->a, &env.base, NULL, 0), -EPIPE);
	close(fx->sp[1]);
}

/* While paused nothing is delivered; resuming delivers what waited. */
static void on_tick(struct loop_timer *t)
{
	struct fixture *fx = t->arg;

	assert_int_equal(fx->frames, 0);
	ipc_chan_pause_reading(&fx->a, false);
}

static void test_pause(void **state)
{
	struct fixture *fx = *state;
	struct loop_timer tick;

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fx->sp[0], IPC_CH_WORKER_TO_COORD,
				       coord_on_frame, on_close, fx),
			 0);
	assert_int_equal(
	    ipc_chan_init(&fx->b, fx->loop, fx->sp[1], IPC_CH_COORD_TO_WORKER, NULL, on_close, fx),
	    0);
	ipc_chan_pause_reading(&fx->a, true);
	send_hello(&fx->b);
	send_log(&fx->b, "1", 0);
	send_log(&fx->b, "2", 0);
	ipc_chan_close(&fx->b); /* the hang-up waits behind the frames */
	loop_timer_init(&tick, on_tick, fx);
	loop_timer_arm(fx->loop, &tick, 50);
	assert_int_equal(loop_run(fx->loop), 0);
	assert_int_equal(fx->frames, 3);
	assert_int_equal(fx->closes, 1);
	assert_int_equal(fx->close_err, 0);
}

static void test_init_errors(void **state)
{
	struct fixture *fx = *state;
	int fd = dup(fx->sp[0]);

	assert_int_equal(ipc_chan_init(&fx->a, fx->loop, fd, IPC_CH_COUNT, NULL, on_close, fx),
			 -EINVAL);
	assert_true(fx->a.closed);
	ipc_chan_close(&fx->a);
	assert_int_not_equal(fcntl(fd, F_GETFD), -1); /* still ours */
	close(fd);
	close(fx->sp[0]);
	close(fx->sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_delivery_and_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_violation_closes_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_and_eof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_congestion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
