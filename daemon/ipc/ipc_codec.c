/* Envelope packing and the receive pipeline (size cap, unpack, known case,
 * authorization, validation), used by every snare process.  Trusts nothing in
 * the bytes: the channel they came on picks the descriptor and the rules. */
#include "ipc/ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static const ProtobufCMessageDescriptor *const ipc_envelopes[IPC_CH_COUNT] = {
    [IPC_CH_COORD_TO_WORKER] = &snare__coord_to_worker__descriptor,
    [IPC_CH_WORKER_TO_COORD] = &snare__worker_to_coord__descriptor,
    [IPC_CH_COORD_TO_CA] = &snare__coord_to_ca__descriptor,
    [IPC_CH_CA_TO_COORD] = &snare__ca_to_coord__descriptor,
    [IPC_CH_WORKER_TO_CA] = &snare__worker_to_ca__descriptor,
    [IPC_CH_CA_TO_WORKER] = &snare__ca_to_worker__descriptor,
    [IPC_CH_COORD_TO_SPAWNER] = &snare__coord_to_spawner__descriptor,
    [IPC_CH_SPAWNER_TO_COORD] = &snare__spawner_to_coord__descriptor,
};

const ProtobufCMessageDescriptor *ipc_channel_descriptor(enum ipc_channel ch)
{
	if ((unsigned)ch >= IPC_CH_COUNT)
		return NULL;
	return ipc_envelopes[ch];
}

/* The first member of the envelope's oneof (all members share its offsets). */
static const ProtobufCFieldDescriptor *ipc_env_oneof(const ProtobufCMessageDescriptor *d)
{
	unsigned i;

	for (i = 0; i < d->n_fields; i++)
		if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			return &d->fields[i];
	return NULL;
}

int ipc_env_case(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f = ipc_env_oneof(env->descriptor);

	if (f == NULL)
		return 0;
	return (int)*(const uint32_t *)((const char *)env + f->quantifier_offset);
}

const ProtobufCMessage *ipc_env_body(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f;
	int body_case = ipc_env_case(env);

	if (body_case <= 0)
		return NULL;
	f = protobuf_c_message_descriptor_get_field(env->descriptor, (unsigned)body_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return NULL;
	return *(ProtobufCMessage *const *)((const char *)env + f->offset);
}

static const ProtobufCFieldDescriptor *ipc_env_seq_field(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(env->descriptor, 1);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT64 || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		fatal("ipc: %s has no seq field", env->descriptor->name);
	return f;
}

uint64_t ipc_env_seq(const ProtobufCMessage *env)
{
	const ProtobufCFieldDescriptor *f = ipc_env_seq_field(env);

	return *(const uint64_t *)((const char *)env + f->offset);
}

void ipc_env_set_seq(ProtobufCMessage *env, uint64_t seq)
{
	const ProtobufCFieldDescriptor *f = ipc_env_seq_field(env);

	*(uint64_t *)((char *)env + f->offset) = seq;
	*(protobuf_c_boolean *)((char *)env + f->quantifier_offset) = 1;
}

int ipc_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	size_t len = protobuf_c_message_get_packed_size(env);

	if (len > IPC_MAX_FRAME || len > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(env, buf);
}

static void ipc_close_fds(const int *fds, size_t nfds)
{
	size_t i;

	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Unpack and known case: 0 or -EBADMSG. */
static int ipc_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		      ProtobufCMessage **out, int *body_case)
{
	ProtobufCMessage *env = protobuf_c_message_unpack(d, NULL, len, buf);

	*out = env;
	if (env == NULL)
		return -EBADMSG;
	*body_case = ipc_env_case(env);
	/* Fields unknown to this build mean a peer we do not speak with. */
	if (env->n_unknown_fields != 0 || ipc_env_body(env) == NULL)
		return -EBADMSG;
	return 0;
}

int ipc_decode(enum ipc_channel ch, enum ipc_state state, const uint8_t *buf, size_t len,
	       const int *fds, size_t nfds, struct ipc_frame *out)
{
	const ProtobufCMessageDescriptor *d = ipc_channel_descriptor(ch);
	ProtobufCMessage *env = NULL;
	int body_case = 0, err;
	size_t i;

	if (d == NULL || nfds > IPC_MAX_FDS) {
		err = -EINVAL;
		goto out;
	}
	if (len > IPC_MAX_FRAME) {
		err = -EMSGSIZE;
		goto out;
	}
	err = ipc_unpack(d, buf, len, &env, &body_case);
	if (err < 0)
		goto out;
	if (!ipc_authorized(ch, body_case, state)) {
		err = -EPERM;
		goto out;
	}
	err = ipc_validate(ch, env, body_case, nfds);
	if (err < 0)
		goto out;
	out->ch = ch;
	out->msg = env;
	out->body_case = body_case;
	out->nfds = nfds;
	for (i = 0; i < IPC_MAX_FDS; i++)
		out->fds[i] = i < nfds ? fds[i] : -1;
	return 0;
out:
	if (env != NULL)
		protobuf_c_message_free_unpacked(env, NULL);
	ipc_close_fds(fds, nfds);
	return err;
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
