/* The IPC channels' side of the one receive pipeline (chan.c): envelope
 * packing, ipc_decode (chan_decode with ipc_chan, plus the frame's fds) and
 * the frame's fd ownership.  Trusts nothing in the bytes: the channel they
 * came on picks the envelope and the rules. */
#include "ipc/ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

const ProtobufCMessageDescriptor *ipc_channel_descriptor(enum ipc_channel ch)
{
	if ((unsigned)ch >= IPC_CH_COUNT)
		return NULL;
	return ipc_chan.envelopes[ch];
}

int ipc_env_case(const ProtobufCMessage *env)
{
	return chan_env_case(env);
}

const ProtobufCMessage *ipc_env_body(const ProtobufCMessage *env)
{
	return chan_env_body(env);
}

uint64_t ipc_env_seq(const ProtobufCMessage *env)
{
	return chan_env_seq(env, NULL);
}

void ipc_env_set_seq(ProtobufCMessage *env, uint64_t seq)
{
	chan_env_set_seq(env, seq);
}

int ipc_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	return chan_pack(&ipc_chan, env, buf, cap);
}

static void ipc_close_fds(const int *fds, size_t nfds)
{
	size_t i;

	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int ipc_decode(enum ipc_channel ch, enum ipc_state state, const uint8_t *buf, size_t len,
	       const int *fds, size_t nfds, struct ipc_frame *out)
{
	struct chan_msg m;
	int err = -EINVAL;
	size_t i;

	if ((unsigned)ch < IPC_CH_COUNT && nfds <= IPC_MAX_FDS)
		err =
		    chan_decode(&ipc_chan, (unsigned)ch, (unsigned)state, NULL, buf, len, nfds, &m);
	if (err < 0) {
		ipc_close_fds(fds, nfds);
		return err;
	}
	out->ch = ch;
	out->msg = m.env;
	out->body_case = m.body_case;
	out->nfds = nfds;
	for (i = 0; i < IPC_MAX_FDS; i++)
		out->fds[i] = i < nfds ? fds[i] : -1;
	return 0;
}

void ipc_frame_free(struct ipc_frame *f)
{
	if (f->msg != NULL)
		protobuf_c_message_free_unpacked(f->msg, NULL);
	f->msg = NULL;
	ipc_close_fds(f->fds, f->nfds);
	f->nfds = 0;
}

int ipc_frame_take_fd(struct ipc_frame *f, size_t i)
{
	int fd;

	if (i >= f->nfds || f->fds[i] < 0)
		return -EBADF;
	fd = f->fds[i];
	f->fds[i] = -1;
	return fd;
}
