/* Client replay: the queue of recorded requests to send again, one at a
 * time by default (mitmproxy's client_replay and client_replay_concurrency).
 * The flows are copies owned here until the caller reports them done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/flowfile.h"
#include "replay/replay_int.h"

struct replay_client {
	Snare__Flow **q; /* queued, q[head..n) */
	size_t n, cap, head;
	Snare__Flow **out; /* handed out, not done */
	size_t nout, capout;
	unsigned concurrency; /* 0: no limit */
};

struct replay_client *replay_client_new(unsigned concurrency)
{
	struct replay_client *c = xcalloc(1, sizeof(*c));

	c->concurrency = concurrency;
	return c;
}

void replay_client_free(struct replay_client *c)
{
	if (!c)
		return;
	for (size_t i = c->head; i < c->n; i++)
		snare__flow__free_unpacked(c->q[i], NULL);
	for (size_t i = 0; i < c->nout; i++)
		snare__flow__free_unpacked(c->out[i], NULL);
	free(c->q);
	free(c->out);
	free(c);
}

/* mitmproxy's ClientPlayback.check, in its words. */
const char *replay_client_check(const Snare__Flow *f)
{
	if (f->has_type && f->type != SNARE__FLOW__TYPE__HTTP)
		return "Can only replay HTTP flows.";
	if (f->has_live && f->live)
		return "Can't replay live flow.";
	if (!f->request)
		return "Can't replay flow with missing request.";
	if (!f->request->has_content && f->request->has_content_streamed &&
	    f->request->content_streamed)
		return "Can't replay flow with missing content.";
	if (f->has_websocket && f->websocket)
		return "Can't replay WebSocket flows.";
	return NULL;
}

int replay_client_add(struct replay_client *c, const Snare__Flow *f, char *err, size_t errlen)
{
	const char *why = replay_client_check(f);
	Snare__Flow *copy;

	if (why) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (!(copy = replay_flow_copy(f)))
		return -ENOMEM;
	/* Prepared as mitmproxy's start_replay does. */
	if (copy->response)
		snare__http_response__free_unpacked(copy->response, NULL);
	copy->response = NULL;
	free(copy->error);
	copy->error = NULL;
	free(copy->is_replay);
	copy->is_replay = xstrdup("request");
	if (c->head && c->head * 2 >= c->n) { /* drop the slots already handed out */
		memmove(c->q, c->q + c->head, (c->n - c->head) * sizeof(*c->q));
		c->n -= c->head;
		c->head = 0;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->q = xrealloc(c->q, c->cap * sizeof(*c->q));
	}
	c->q[c->n++] = copy;
	return 0;
}

struct load_ctx {
	struct replay_client *c;
	size_t skipped;
	int rc;
};

static void load_one(const Snare__Flow *f, void *arg)
{
	struct load_ctx *l = arg;
	char why[128];
	int rc = replay_client_add(l->c, f, why, sizeof(why));

	if (rc == -EINVAL)
		l->skipped++;
	else if (rc < 0 && l->rc == 0)
		l->rc = rc;
}

int replay_client_load(struct replay_client *c, const char *path, size_t *skipped, char *err,
		       size_t errlen)
{
	struct load_ctx l = {c, 0, 0};
	int rc = flowfile_read(path, load_one, &l, err, errlen);

	if (skipped)
		*skipped = l.skipped;
	return rc < 0 ? rc : l.rc;
}

Snare__Flow *replay_client_next(struct replay_client *c)
{
	Snare__Flow *f;

	if (c->head == c->n || (c->concurrency && c->nout >= c->concurrency))
		return NULL;
	f = c->q[c->head++];
	if (c->nout == c->capout) {
		c->capout = c->capout ? c->capout * 2 : 4;
		c->out = xrealloc(c->out, c->capout * sizeof(*c->out));
	}
	c->out[c->nout++] = f;
	return f;
}

void replay_client_done(struct replay_client *c, Snare__Flow *f)
{
	for (size_t i = 0; i < c->nout; i++)
		if (c->out[i] == f) {
			c->out[i] = c->out[--c->nout];
			snare__flow__free_unpacked(f, NULL);
			return;
		}
}

size_t replay_client_queued(const struct replay_client *c)
{
	return c->n - c->head;
}

size_t replay_client_inflight(const struct replay_client *c)
{
	return c->nout;
}
