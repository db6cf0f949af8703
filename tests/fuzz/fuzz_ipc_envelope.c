/* libFuzzer target (test builds only): arbitrary bytes through ipc_decode on
 * every channel in every state.  The first input byte picks how many fds
 * (0..2) come with the frame; the rest is the frame.  Nothing may crash, leak
 * memory, or leave an fd open after an error. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "ipc/ipc.h"

static void fuzz_one(enum ipc_channel ch, enum ipc_state st, const uint8_t *data, size_t size,
		     size_t nfds)
{
	struct ipc_frame f;
	int fds[2];
	size_t i;

	for (i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (ipc_decode(ch, st, data, size, fds, nfds, &f) == 0) {
		if (f.ch != ch || f.nfds != nfds || !ipc_authorized(ch, f.body_case, st))
			__builtin_trap();
		ipc_frame_free(&f);
	}
	for (i = 0; i < nfds; i++)
		if (fcntl(fds[i], F_GETFD) != -1)
			__builtin_trap(); /* leaked */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nfds;
	int ch, st;

	if (size == 0)
		return 0;
	nfds = data[0] % 3;
	data++;
	size--;
	for (ch = 0; ch < IPC_CH_COUNT; ch++)
		for (st = 0; st < IPC_ST_COUNT; st++)
			fuzz_one((enum ipc_channel)ch, (enum ipc_state)st, data, size, nfds);
	return 0;
}
