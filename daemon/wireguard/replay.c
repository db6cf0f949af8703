/* Runs in the worker of a wireguard mode. The receive counter's sliding window (RFC 6479): a ring
 * of 64-bit words, whole words cleared as the window moves, so a jump ahead costs at most one
 * pass over the ring. Counters come from the network and are checked before and after decryption.
 */
#include <string.h>

#include "wireguard/wg_int.h"

void wg_replay_init(struct wg_replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool wg_replay_check(const struct wg_replay *r, uint64_t counter)
{
	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return false;
	if (counter > r->top)
		return true;
	if (r->top - counter >= WG_REPLAY_WINDOW)
		return false;
	uint64_t word = r->bits[(counter >> 6) % WG_REPLAY_WORDS];
	return !(word & (UINT64_C(1) << (counter & 63)));
}

/* Moves the top to counter, clearing the words it passes. */
static void advance(struct wg_replay *r, uint64_t counter)
{
	uint64_t cur = r->top >> 6, next = counter >> 6;
	uint64_t steps = next - cur;

	if (steps > WG_REPLAY_WORDS)
		steps = WG_REPLAY_WORDS;
	for (uint64_t i = 1; i <= steps; i++)
		r->bits[(cur + i) % WG_REPLAY_WORDS] = 0;
	r->top = counter;
}

bool wg_replay_accept(struct wg_replay *r, uint64_t counter)
{
	if (!wg_replay_check(r, counter))
		return false;
	if (counter > r->top)
		advance(r, counter);
	r->bits[(counter >> 6) % WG_REPLAY_WORDS] |= UINT64_C(1) << (counter & 63);
	return true;
}
