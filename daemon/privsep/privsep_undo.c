/* The undo log of a privileged helper: a bounded list of records, one per
 * change made to the system (an nftables chain, a route), each with the
 * function that reverses it.  Replayed newest first on Undo, EOF, a signal
 * or a protocol violation.  Runs in the helpers; trusts its callers. */
#include "privsep/privsep_proto.h"

#include <errno.h>
#include <stdio.h>

void privsep_undo_init(struct privsep_undo *u)
{
	u->n = 0;
}

bool privsep_undo_room(const struct privsep_undo *u, size_t n)
{
	return u->n <= PRIVSEP_UNDO_MAX && PRIVSEP_UNDO_MAX - u->n >= n;
}

int privsep_undo_push(struct privsep_undo *u, privsep_undo_fn fn, void *ctx, uint64_t id,
		      const char *what)
{
	struct privsep_undo_rec *r;

	if (fn == NULL)
		return -EINVAL;
	if (!privsep_undo_room(u, 1))
		return -ENOSPC;
	r = &u->recs[u->n];
	r->fn = fn;
	r->ctx = ctx;
	r->id = id;
	snprintf(r->what, sizeof(r->what), "%s", what != NULL ? what : "");
	u->n++;
	return 0;
}

size_t privsep_undo_run(struct privsep_undo *u)
{
	return privsep_undo_rewind(u, 0);
}

size_t privsep_undo_rewind(struct privsep_undo *u, size_t mark)
{
	size_t ran = 0;

	/* Pop before calling, so a record never runs twice even if its
	 * function ends the process or re-enters. */
	while (u->n > mark) {
		struct privsep_undo_rec r = u->recs[--u->n];

		r.fn(r.ctx, r.id);
		ran++;
	}
	return ran;
}
