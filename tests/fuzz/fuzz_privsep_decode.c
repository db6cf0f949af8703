/* libFuzzer target (test builds only): arbitrary bytes through
 * privsep_decode, the helper channel's receive pipeline, in both directions
 * and every state, with a root and a non-root peer.  The first byte picks
 * the number of fds declared (0..1) and the fds an Ok expects; the rest is
 * the frame.  Nothing may crash or leak, and whatever is accepted must be
 * authorized for that state and survive validation a second time. */
#include <stddef.h>
#include <stdint.h>

#include "privsep/privsep_proto.h"

static void fuzz_one(enum privsep_dir dir, enum privsep_state st, const struct privsep_ctx *ctx,
		     const uint8_t *data, size_t size, size_t nfds)
{
	struct privsep_msg m = {0};

	if (privsep_decode(dir, st, ctx, data, size, nfds, &m) != 0)
		return;
	if (m.dir != dir || !privsep_authorized(dir, m.body_case, st) ||
	    privsep_validate(dir, m.msg, m.body_case, ctx, nfds) != 0)
		__builtin_trap();
	privsep_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct privsep_ctx ctx = {.helper_name = "netfilter"};
	size_t nfds;
	int dir, st;

	if (size == 0)
		return 0;
	nfds = data[0] & 1;
	ctx.ok_fds = (data[0] >> 1) & 1;
	ctx.peer_uid = (data[0] & 4) ? 0 : 1000;
	for (dir = 0; dir < PRIVSEP_DIR_COUNT; dir++)
		for (st = 0; st < PRIVSEP_ST_COUNT; st++)
			fuzz_one(dir, st, &ctx, data + 1, size - 1, nfds);
	return 0;
}
