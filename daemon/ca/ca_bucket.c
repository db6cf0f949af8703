/* The ca's per-worker signing rate limit: a token bucket in thousandths of
 * a token, on the monotonic clock the caller passes.  Trusts its caller. */
#include "ca/ca_int.h"

void ca_bucket_init(struct ca_bucket *b, uint32_t burst, uint32_t rate, uint64_t now_ms)
{
	b->burst = burst;
	b->rate = rate;
	b->milli = (uint64_t)burst * 1000;
	b->last_ms = now_ms;
}

bool ca_bucket_take(struct ca_bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)b->burst * 1000;

	if (now_ms > b->last_ms) {
		uint64_t elapsed = now_ms - b->last_ms;

		/* elapsed ms x tokens/s = thousandths; never multiplied past
		 * what fills the bucket, so nothing overflows */
		if (b->rate > 0 && elapsed > (cap - b->milli) / b->rate)
			b->milli = cap;
		else
			b->milli += elapsed * b->rate;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}
