/* The helper channel's side of the one receive pipeline (ipc/chan.c), used
 * by the coordinator and by every privileged helper: privsep_decode is
 * chan_decode with privsep_chan (a strict channel: a seq, no unknown fields
 * in the body either).  Trusts nothing in the bytes. */
#include "privsep/privsep_proto.h"

#include <errno.h>

int privsep_pack(const ProtobufCMessage *env, uint8_t *buf, size_t cap)
{
	return chan_pack(&privsep_chan, env, buf, cap);
}

int privsep_decode(enum privsep_dir dir, enum privsep_state state, const struct privsep_ctx *ctx,
		   const uint8_t *buf, size_t len, size_t nfds, struct privsep_msg *out)
{
	struct chan_msg m;
	int rc;

	if (ctx == NULL)
		return -EINVAL;
	rc = chan_decode(&privsep_chan, (unsigned)dir, (unsigned)state, ctx, buf, len, nfds, &m);
	if (rc < 0)
		return rc;
	*out =
	    (struct privsep_msg){.dir = dir, .msg = m.env, .body_case = m.body_case, .seq = m.seq};
	return 0;
}

void privsep_msg_free(struct privsep_msg *m)
{
	if (m->msg != NULL)
		protobuf_c_message_free_unpacked(m->msg, NULL);
	m->msg = NULL;
}
