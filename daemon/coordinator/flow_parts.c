/* Runs in the coordinator: bodies too large for one IPC frame arrive in
 * FlowBody pieces before their FlowEvent, on the channel of the worker that
 * saw the flow.  They are appended here, keyed by (worker, flow id, part),
 * and given back to that worker's flow when it arrives.  Trusts nothing the
 * pieces say: a worker has a quota (PARTS_WORKER_BYTES in at most
 * PARTS_WORKER_ENTRIES bodies) that only its own pieces count against, a
 * body over its quota or PARTS_MAX_BODY is dropped whole, bodies whose
 * flow never comes age out after PARTS_AGE_MS, and everything a worker
 * left is freed when its channel closes.  PARTS_TOTAL_BYTES bounds the
 * memory of all workers together. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord.h"
#include "coordinator/flow_parts.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/unconst.h"

struct flow_part {
	struct flow_part *next;
	unsigned worker;
	unsigned part;
	char id[72];
	uint64_t last_ms; /* when a piece was last added */
	struct buf data;
};

/* Per worker index: what it has pending, and whether it was told off. */
struct parts_worker {
	size_t bytes;
	size_t entries;
	bool warned;
};

static struct flow_part *parts;
static size_t parts_bytes;
static struct parts_worker *pw;
static size_t npw;
static struct loop *age_loop;
static struct loop_timer age_timer;

static struct parts_worker *worker_use(unsigned w)
{
	if (w >= npw) {
		pw = xrealloc(pw, (w + 1) * sizeof(*pw));
		memset(pw + npw, 0, (w + 1 - npw) * sizeof(*pw));
		npw = w + 1;
	}
	return &pw[w];
}

static void part_free(struct flow_part **link)
{
	struct flow_part *p = *link;
	struct parts_worker *u = worker_use(p->worker);

	*link = p->next;
	parts_bytes -= buf_len(&p->data);
	u->bytes -= buf_len(&p->data);
	u->entries--;
	buf_free(&p->data);
	free(p);
}

static struct flow_part **part_link(unsigned w, const char *id, unsigned part)
{
	struct flow_part **l;

	for (l = &parts; *l; l = &(*l)->next)
		if ((*l)->worker == w && (*l)->part == part && strcmp((*l)->id, id) == 0)
			return l;
	return NULL;
}

static void part_new(unsigned w, const char *id, unsigned part)
{
	struct flow_part *p = xcalloc(1, sizeof(*p));

	p->worker = w;
	p->part = part;
	strncpy(p->id, id, sizeof(p->id) - 1);
	buf_init(&p->data, PARTS_MAX_BODY);
	p->next = parts;
	parts = p;
	worker_use(w)->entries++;
}

static void age_fire(struct loop_timer *t)
{
	coord_parts_expire(loop_now(age_loop));
}

static void age_arm(struct coord *co)
{
	if (age_loop == NULL) {
		age_loop = co->loop;
		loop_timer_init(&age_timer, age_fire, NULL);
	}
	if (!loop_timer_armed(&age_timer))
		loop_timer_arm(age_loop, &age_timer, PARTS_AGE_MS);
}

static void part_refuse(unsigned w, const char *why)
{
	struct parts_worker *u = worker_use(w);

	if (!u->warned)
		log_warn("worker %u: flow body dropped (%s); further drops are not logged", w, why);
	u->warned = true;
}

static const char *part_over(const struct parts_worker *u, const struct flow_part *p, size_t n)
{
	if (u->bytes + n > PARTS_WORKER_BYTES)
		return "over the worker's quota";
	if (buf_len(&p->data) + n > PARTS_MAX_BODY)
		return "over the body size limit";
	if (parts_bytes + n > PARTS_TOTAL_BYTES)
		return "too much pending from all workers";
	return NULL;
}

void coord_on_flow_body(struct coord *co, unsigned w, const Snare__FlowBody *fb)
{
	struct flow_part **l = part_link(w, fb->flow_id, fb->part);
	struct parts_worker *u = worker_use(w);
	size_t n = fb->data.len;
	const char *why;

	if (l == NULL && u->entries >= PARTS_WORKER_ENTRIES) {
		part_refuse(w, "too many bodies pending");
		return;
	}
	if (l == NULL) {
		part_new(w, fb->flow_id, fb->part);
		l = &parts; /* new parts go first */
	}
	why = part_over(u, *l, n);
	if (why != NULL || buf_append(&(*l)->data, fb->data.data, n) < 0) {
		part_free(l);
		part_refuse(w, why ? why : "out of memory");
		return;
	}
	u->bytes += n;
	parts_bytes += n;
	(*l)->last_ms = loop_now(co->loop);
	age_arm(co);
}

void coord_parts_expire(uint64_t now_ms)
{
	struct flow_part **l = &parts;

	while (*l) {
		if (now_ms - (*l)->last_ms >= PARTS_AGE_MS) {
			log_debug("worker %u: a flow body aged out without its flow", (*l)->worker);
			part_free(l);
		} else {
			l = &(*l)->next;
		}
	}
	if (parts && age_loop && !loop_timer_armed(&age_timer))
		loop_timer_arm(age_loop, &age_timer, PARTS_AGE_MS);
}

void coord_parts_drop_worker(unsigned w)
{
	struct flow_part **l = &parts;
	size_t n = 0;

	while (*l) {
		if ((*l)->worker == w) {
			part_free(l);
			n++;
		} else {
			l = &(*l)->next;
		}
	}
	if (n > 0)
		log_debug("worker %u: %zu flow bodies without their flow dropped with its channel",
			  w, n);
	if (w < npw)
		pw[w].warned = false; /* a new worker gets its own warning */
}

size_t coord_parts_pending(unsigned w, size_t *bytes)
{
	struct parts_worker *u = worker_use(w);

	*bytes = u->bytes;
	return u->entries;
}

/* A body goes back only to a flow that says it is not cut short: a worker
 * whose pieces did not all go out marks the body streamed instead. */
static void attach(unsigned w, const char *id, unsigned part, ProtobufCBinaryData *content,
		   protobuf_c_boolean *has, bool streamed)
{
	struct flow_part **l = part_link(w, id, part);

	if (l == NULL || *has || streamed)
		return;
	content->data = unconst(buf_ptr(&(*l)->data));
	content->len = buf_len(&(*l)->data);
	*has = 1;
}

void coord_parts_attach(unsigned w, Snare__Flow *f)
{
	if (f->id == NULL)
		return;
	if (f->request)
		attach(w, f->id, 0, &f->request->content, &f->request->has_content,
		       f->request->has_content_streamed && f->request->content_streamed);
	if (f->response)
		attach(w, f->id, 1, &f->response->content, &f->response->has_content,
		       f->response->has_content_streamed && f->response->content_streamed);
}

/* Gives the flow its own (unpacked) state back before the frame is freed. */
static void detach(ProtobufCBinaryData *content, protobuf_c_boolean *has, const struct flow_part *p)
{
	if (*has && content->data == buf_ptr(&p->data)) {
		content->data = NULL;
		content->len = 0;
		*has = 0;
	}
}

void coord_parts_release(unsigned w, Snare__Flow *f)
{
	unsigned part;

	for (part = 0; f->id && part < 2; part++) {
		struct flow_part **l = part_link(w, f->id, part);

		if (l == NULL)
			continue;
		if (part == 0 && f->request)
			detach(&f->request->content, &f->request->has_content, *l);
		if (part == 1 && f->response)
			detach(&f->response->content, &f->response->has_content, *l);
		part_free(l);
	}
}
