/* Runs in a worker: a token bucket per UDP source (src_table.c), so that a
 * forged source address cannot turn snare into an amplifier aimed at it.
 * Buckets hold thousandths of a reply; a source that has left the table
 * starts again with a full bucket.  Trusts nothing but its parameters. */
#include "worker/client_policy.h"

#define MILLI 1000u

void reply_limit_init(struct reply_limit *l, unsigned rate, unsigned burst, size_t entries)
{
	l->rate = rate;
	l->burst = burst ? burst : 1;
	src_table_init(&l->t, entries);
}

void reply_limit_free(struct reply_limit *l)
{
	src_table_free(&l->t);
}

/* e->a: tokens (thousandths), e->b: when they were last counted. */
static void refill(const struct reply_limit *l, struct src_entry *e, uint64_t now_ms, bool fresh)
{
	uint64_t cap = l->burst * MILLI, elapsed;

	if (fresh) {
		e->a = cap;
		e->b = now_ms;
		return;
	}
	elapsed = now_ms > e->b ? now_ms - e->b : 0;
	e->b = now_ms;
	if (elapsed >= cap / l->rate + 1) /* also keeps the product below from overflowing */
		e->a = cap;
	else if ((e->a += elapsed * l->rate) > cap) /* rate per second = thousandths per ms */
		e->a = cap;
}

enum reply_verdict reply_limit_take(struct reply_limit *l, const struct sockaddr *sa,
				    uint64_t now_ms)
{
	struct src_entry *e;
	bool fresh;

	if (l->rate == 0)
		return REPLY_OK;
	e = src_table_get(&l->t, sa, now_ms, &fresh);
	refill(l, e, now_ms, fresh);
	if (e->a >= MILLI) {
		e->a -= MILLI;
		return REPLY_OK;
	}
	if (e->flag)
		return REPLY_DROP;
	e->flag = true;
	return REPLY_DROP_FIRST;
}
