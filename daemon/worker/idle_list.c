/* Runs in a worker: the idle list of the upstream pools (idle_list.h).
 * Trusts its callers; holds no connection of its own. */
#include <stdlib.h>

#include "core/util.h"
#include "worker/idle_list.h"
#include "worker/worker_ctx.h"

static void entry_free(void *p)
{
	struct idle_entry *e = p;

	free(e->key);
	free(e->host);
	free(e); /* the pool's entry: e is its first member */
}

static uint64_t timeout_ms(void)
{
	return (uint64_t)wk->opts.upstream_keepalive_timeout * 1000;
}

void idle_list_arm(struct idle_list *l)
{
	uint64_t now = loop_now(wk->loop), due;

	if (l->tail == NULL) {
		if (l->timer_init)
			loop_timer_cancel(wk->loop, &l->timer);
		return;
	}
	due = l->tail->since_ms + timeout_ms();
	loop_timer_arm(wk->loop, &l->timer, due > now ? due - now : 0);
}

static void on_timer(struct loop_timer *t)
{
	struct idle_list *l = t->arg;
	uint64_t now = loop_now(wk->loop);

	while (l->tail && l->tail->since_ms + timeout_ms() <= now)
		l->drop(l->tail, "upstream_keepalive_timeout");
	idle_list_arm(l);
}

void idle_list_link(struct idle_list *l, struct idle_entry *e, const char *key, const char *host,
		    uint16_t port)
{
	e->key = xstrdup(key);
	e->host = xstrdup(host);
	e->port = port;
	e->since_ms = loop_now(wk->loop);
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	else
		l->tail = e;
	l->head = e;
	l->n++;
	if (!l->timer_init) {
		loop_timer_init(&l->timer, on_timer, l);
		l->timer_init = true;
	}
	if (!loop_timer_armed(&l->timer))
		idle_list_arm(l);
}

void idle_list_unlink(struct idle_list *l, struct idle_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	e->gone = true;
	l->n--;
	loop_defer_free(wk->loop, entry_free, e); /* its events may still be queued */
}

void idle_list_make_room(struct idle_list *l, const char *key)
{
	struct idle_entry *e, *oldest = NULL;
	size_t same = 0;

	for (e = l->head; e; e = e->next)
		if (l->same_key(e->key, key)) {
			same++;
			oldest = e;
		}
	if (oldest && same >= (size_t)wk->opts.upstream_keepalive)
		l->drop(oldest, "upstream_keepalive reached");
	else if (l->tail && l->n >= (size_t)wk->opts.upstream_keepalive_total)
		l->drop(l->tail, "upstream_keepalive_total reached");
}

bool idle_list_drop_oldest(struct idle_list *l, const char *why)
{
	if (l->tail == NULL)
		return false;
	l->drop(l->tail, why);
	return true;
}

void idle_list_close_all(struct idle_list *l)
{
	while (l->head)
		l->drop(l->head, "worker stopping");
	if (l->timer_init)
		loop_timer_cancel(wk->loop, &l->timer);
}
