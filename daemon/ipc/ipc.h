/* IPC between snare's processes: SEQPACKET socketpairs carrying protobuf-c
 * envelopes (proto/ipc.proto) and file descriptors (SCM_RIGHTS).
 *
 * Receive order, the same for every channel (chan.h): size cap, unpack,
 * known case, may this channel send this case in this state, then
 * validate_<msg>() -- one table, ipc_rules in ipc_validate.c, described by
 * ipc_chan -- then the receiver's handler table.  The sender is the channel
 * (enum ipc_channel), never a field. */
#ifndef SNARE_IPC_IPC_H
#define SNARE_IPC_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/util.h"
#include "ipc.pb-c.h"
#include "ipc/chan.h"

#define IPC_PROTOCOL_VERSION 1
#define IPC_MAX_FRAME (256 * 1024) /* hard cap on one frame */
#define IPC_MAX_FDS 16		   /* per frame */
#define IPC_HIGH_WATER (4u << 20)  /* queued bytes before a sender is congested */
#define IPC_LOW_WATER (1u << 20)   /* ... and when it is relieved */
#define IPC_QUEUE_MAX (16u << 20)  /* queued bytes before ipc_chan_send fails */

/* Files in a WorkerConfig or ReloadResult (OptionFile): few enough that a
 * worker configuration stays well inside one frame. */
#define IPC_MAX_OPT_FILES 256
#define IPC_MAX_OPT_FILE (128 * 1024)	     /* bytes of one */
#define IPC_MAX_OPT_FILES_TOTAL (192 * 1024) /* bytes of all */

/* Which direction of which channel a frame travels on. */
enum ipc_channel {
	IPC_CH_COORD_TO_WORKER,
	IPC_CH_WORKER_TO_COORD,
	IPC_CH_COORD_TO_CA,
	IPC_CH_CA_TO_COORD,
	IPC_CH_WORKER_TO_CA,
	IPC_CH_CA_TO_WORKER,
	IPC_CH_COORD_TO_SPAWNER,
	IPC_CH_SPAWNER_TO_COORD,
	IPC_CH_COORD_TO_UI,
	IPC_CH_UI_TO_COORD,
	IPC_CH_COUNT
};

/* Channel state, as seen by the receiver. */
enum ipc_state {
	IPC_ST_HELLO,	/* nothing received yet */
	IPC_ST_CONFIG,	/* hello done, waiting for configuration */
	IPC_ST_RUNNING, /* normal operation */
	IPC_ST_CLOSING, /* shutdown requested */
	IPC_ST_COUNT
};

/* One decoded frame.  `msg` is the envelope (its concrete type follows from
 * the channel); `body_case` is its oneof case.  fds are owned by the frame
 * until taken (set to -1 after taking). */
struct ipc_frame {
	enum ipc_channel ch;
	ProtobufCMessage *msg;
	int body_case;
	int fds[IPC_MAX_FDS];
	size_t nfds;
};

/* Low level: one sendmsg/recvmsg.
 * ipc_send_raw: 0, -EAGAIN, -EMSGSIZE (len > IPC_MAX_FRAME) or -errno.
 * ipc_recv_raw: bytes received (>0), 0 on EOF, -EAGAIN, -EMSGSIZE (MSG_TRUNC),
 * -EBADMSG (MSG_CTRUNC, or an unexpected control message), -errno.  On any
 * error every received fd is closed.  Uses MSG_CMSG_CLOEXEC. */
int ipc_send_raw(int fd, const uint8_t *buf, size_t len, const int *fds, size_t nfds);
int ipc_recv_raw(int fd, uint8_t *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds);

/* Serializes an envelope; returns the packed length or -EMSGSIZE. */
int ipc_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap);

/* Decodes a frame received on `ch` in `state`: unpack, known case,
 * authorization, validation (including the number of fds).  0 or a negative
 * code: -EBADMSG (garbage), -EPERM (not allowed now), -EINVAL (failed
 * validation).  On error the fds are closed and nothing is kept. */
int ipc_decode(enum ipc_channel ch, enum ipc_state state, const uint8_t *buf, size_t len,
	       const int *fds, size_t nfds, struct ipc_frame *out) SNARE_MUST_CHECK;
void ipc_frame_free(struct ipc_frame *f);
/* Takes fd i out of the frame (the caller owns it). */
int ipc_frame_take_fd(struct ipc_frame *f, size_t i);

/* The IPC channels' descriptor: envelopes, frame cap and the one table of
 * rules (authorisation and validation, ipc_validate.c). */
extern const struct chan_desc ipc_chan;

/* The authorization column of that table. */
bool ipc_authorized(enum ipc_channel ch, int body_case, enum ipc_state state);
/* Number of oneof cases known for a channel (for tests: cases 1..n-1 are
 * field numbers of the body; 0 is "not set"). */
const ProtobufCMessageDescriptor *ipc_channel_descriptor(enum ipc_channel ch);

/* Generic access to any of the eight envelopes (through their descriptors):
 * the oneof case (0 when not set), the body message (NULL when not set) and
 * the sequence number. */
int ipc_env_case(const ProtobufCMessage *env);
const ProtobufCMessage *ipc_env_body(const ProtobufCMessage *env);
uint64_t ipc_env_seq(const ProtobufCMessage *env);
void ipc_env_set_seq(ProtobufCMessage *env, uint64_t seq);

/* Roles the spawner starts (SpawnChild.role) and the bounds it checks. */
enum ipc_spawn_role { IPC_SPAWN_CA = 1, IPC_SPAWN_WORKER = 2, IPC_SPAWN_UI = 3 };
#define IPC_SPAWN_FD_SLOTS 6 /* child fds 3..8 */
#define IPC_MAX_WORKERS 256

/* The validation column of that table: lengths, ranges, counts, fds. */
int ipc_validate(enum ipc_channel ch, const ProtobufCMessage *env, int body_case, size_t nfds);

/* A LogEvent with client and text copied into b, cut to the limits the
 * receiver's validation allows. */
struct ipc_log_buf {
	char client[256];
	char text[4096];
};
void ipc_log_event(Snare__LogEvent *ev, struct ipc_log_buf *b, int level, const char *client,
		   const char *msg);

struct ipc_chan;
/* Sends msg as a LogEvent on c, the ca's or a worker's channel to the
 * coordinator (c->rx says which envelope): 0, -EINVAL on any other channel,
 * or ipc_chan_send's error. */
int ipc_log_send(struct ipc_chan *c, int level, const char *client, const char *msg);

/* A non-blocking channel endpoint with an outbound queue and water marks. */
struct ipc_queued;
struct ipc_chan;
typedef void (*ipc_frame_fn)(struct ipc_chan *c, struct ipc_frame *f);
typedef void (*ipc_close_fn)(struct ipc_chan *c, int err);
typedef void (*ipc_drain_fn)(struct ipc_chan *c);

/* One row of a receiver's handler table: the message it handles and how.
 * The rows sit beside the rule that lets the message in (ipc_validate.c's
 * table names the same case and the receiver's states). */
struct ipc_handler {
	int body_case;
	ipc_frame_fn fn;
};

struct ipc_chan {
	struct loop *loop;
	struct loop_io io;
	enum ipc_channel rx; /* what we receive on this fd */
	enum ipc_state state;
	struct ipc_queued *qhead, *qtail;
	size_t queued;
	bool congested;
	bool closed;
	uint64_t seq;
	ipc_frame_fn on_frame; /* the frame is freed after the call */
	/* Or, instead of on_frame, a handler table (ipc_chan_handlers): a
	 * frame no row handles is a protocol violation, never ignored. */
	const struct ipc_handler *handlers;
	size_t nhandlers;
	ipc_close_fn on_close; /* EOF, I/O error or a protocol violation */
	ipc_drain_fn on_drain; /* queued fell below IPC_LOW_WATER */
	void *arg;
};

/* Takes ownership of fd (made non-blocking) on success; on failure the fd
 * stays the caller's and the channel is closed.  The state
 * starts at IPC_ST_HELLO; on_drain may be set afterwards.  on_close gets 0 on
 * EOF, else a negative code; it is called at most once. */
int ipc_chan_init(struct ipc_chan *c, struct loop *l, int fd, enum ipc_channel rx,
		  ipc_frame_fn on_frame, ipc_close_fn on_close, void *arg) SNARE_MUST_CHECK;
/* Dispatches frames by the table h[0..n) from now on (instead of on_frame).
 * A decoded frame with no row closes the channel: on_close gets -EPROTO. */
void ipc_chan_handlers(struct ipc_chan *c, const struct ipc_handler *h, size_t n);
/* Packs and sends env (its seq is set when 0), queueing on EAGAIN; the fds
 * are dup'ed when queued, so the caller keeps its own.  -EPIPE once closed. */
int ipc_chan_send(struct ipc_chan *c, ProtobufCMessage *env, const int *fds, size_t nfds);
/* Fills the Hello every role sends first: protocol version and pid. */
void ipc_hello_fill(Snare__Hello *h);
/* Stops (true) or resumes (false) reading frames, e.g. while the owner's
 * own output is congested.  Sending continues. */
void ipc_chan_pause_reading(struct ipc_chan *c, bool paused);
/* Closes the fd and drops the queue (does not call on_close). */
void ipc_chan_close(struct ipc_chan *c);

#endif
