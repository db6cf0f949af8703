/* Envelope packing and the receive pipeline of the helper channel, used by
 * the coordinator and by every privileged helper.  Trusts nothing in the
 * bytes: the direction picks the descriptor, and a frame must pass the size
 * cap, unpack without unknown fields, carry a known case allowed in the
 * receiver's state, and validate before anyone looks at it. */
#include "privsep/privsep_proto.h"

#include <errno.h>

static const ProtobufCMessageDescriptor *const privsep_envelopes[PRIVSEP_DIR_COUNT] = {
    [PRIVSEP_COORD_TO_HELPER] = &snare__helper__coord_to_helper__descriptor,
    [PRIVSEP_HELPER_TO_COORD] = &snare__helper__helper_to_coord__descriptor,
};

int privsep_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(env);

	if (n > cap || n > PRIVSEP_MAX_FRAME)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(env, buf);
}

/* The case, the seq and the body of either envelope. */
static void privsep_env_parts(enum privsep_dir dir, const ProtobufCMessage *env, int *body_case,
			      bool *has_seq, uint64_t *seq, const ProtobufCMessage **body)
{
	if (dir == PRIVSEP_COORD_TO_HELPER) {
		const Snare__Helper__CoordToHelper *e = (const Snare__Helper__CoordToHelper *)env;

		*body_case = (int)e->body_case;
		*has_seq = e->has_seq;
		*seq = e->seq;
		*body = (const ProtobufCMessage *)e->hello;
	} else {
		const Snare__Helper__HelperToCoord *e = (const Snare__Helper__HelperToCoord *)env;

		*body_case = (int)e->body_case;
		*has_seq = e->has_seq;
		*seq = e->seq;
		*body = (const ProtobufCMessage *)e->hello;
	}
	if (*body_case == 0)
		*body = NULL;
}

int privsep_decode(enum privsep_dir dir, enum privsep_state state, const struct privsep_ctx *ctx,
		   const uint8_t *buf, size_t len, size_t nfds, struct privsep_msg *out)
{
	const ProtobufCMessage *body;
	ProtobufCMessage *env = NULL;
	bool has_seq;
	uint64_t seq;
	int body_case, rc = -EBADMSG;

	if ((unsigned)dir >= PRIVSEP_DIR_COUNT || ctx == NULL)
		return -EINVAL;
	if (len > PRIVSEP_MAX_FRAME)
		return -EMSGSIZE;
	if (len == 0)
		return -EBADMSG;
	env = protobuf_c_message_unpack(privsep_envelopes[dir], NULL, len, buf);
	if (env == NULL)
		goto out;
	privsep_env_parts(dir, env, &body_case, &has_seq, &seq, &body);
	if (!has_seq || body == NULL || env->n_unknown_fields != 0 || body->n_unknown_fields != 0)
		goto out;
	if (!privsep_authorized(dir, body_case, state)) {
		rc = -EPERM;
		goto out;
	}
	if (privsep_validate(dir, env, body_case, ctx, nfds) < 0) {
		rc = -EINVAL;
		goto out;
	}
	*out = (struct privsep_msg){.dir = dir, .msg = env, .body_case = body_case, .seq = seq};
	env = NULL;
	rc = 0;
out:
	if (env != NULL)
		protobuf_c_message_free_unpacked(env, NULL);
	return rc;
}

void privsep_msg_free(struct privsep_msg *m)
{
	if (m->msg != NULL)
		protobuf_c_message_free_unpacked(m->msg, NULL);
	m->msg = NULL;
}
