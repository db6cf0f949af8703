/* Runs in the coordinator: bodies too large for one IPC frame arrive in
 * FlowBody pieces before their FlowEvent; they are appended here (bounded
 * in total) and given back to the flow when it arrives.  Pieces whose flow
 * never comes are dropped when the total would exceed the bound. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord.h"
#include "core/buf.h"
#include "core/log.h"

#define PARTS_MAX_FLOWS 256
#define PARTS_MAX_BYTES (64u << 20)
#define PARTS_MAX_BODY (8u << 20)

struct flow_part {
	char id[72];
	unsigned part;
	struct buf data;
};

static struct flow_part parts[PARTS_MAX_FLOWS];
static size_t parts_bytes;

static void part_drop(struct flow_part *p)
{
	parts_bytes -= buf_len(&p->data);
	buf_free(&p->data);
	p->id[0] = '\0';
}

static struct flow_part *part_find(const char *id, unsigned part, bool create)
{
	struct flow_part *free_slot = NULL;
	size_t i;

	for (i = 0; i < PARTS_MAX_FLOWS; i++) {
		if (parts[i].id[0] == '\0') {
			if (free_slot == NULL)
				free_slot = &parts[i];
			continue;
		}
		if (parts[i].part == part && strcmp(parts[i].id, id) == 0)
			return &parts[i];
	}
	if (!create || free_slot == NULL)
		return NULL;
	strncpy(free_slot->id, id, sizeof(free_slot->id) - 1);
	free_slot->part = part;
	buf_init(&free_slot->data, PARTS_MAX_BODY);
	return free_slot;
}

void coord_on_flow_body(struct coord *co, const Snare__FlowBody *fb)
{
	struct flow_part *p = part_find(fb->flow_id, fb->part, true);

	if (p == NULL || parts_bytes + fb->data.len > PARTS_MAX_BYTES ||
	    buf_append(&p->data, fb->data.data, fb->data.len) < 0) {
		if (p)
			part_drop(p);
		log_debug("dropping a flow body piece (too much pending)");
		return;
	}
	parts_bytes += fb->data.len;
}

static void attach(Snare__Flow *f, unsigned part, ProtobufCBinaryData *content,
		   protobuf_c_boolean *has)
{
	struct flow_part *p = part_find(f->id, part, false);

	if (p == NULL)
		return;
	content->data = (uint8_t *)buf_ptr(&p->data);
	content->len = buf_len(&p->data);
	*has = 1;
}

/* Puts pending pieces into f (pointing at our buffers until coord_parts_release). */
void coord_parts_attach(Snare__Flow *f)
{
	if (f->id == NULL)
		return;
	if (f->request && !f->request->has_content)
		attach(f, 0, &f->request->content, &f->request->has_content);
	if (f->response && !f->response->has_content)
		attach(f, 1, &f->response->content, &f->response->has_content);
}

/* Gives the flow its own (unpacked) state back before the frame is freed,
 * and drops the pieces. */
static void detach(ProtobufCBinaryData *content, protobuf_c_boolean *has, const struct flow_part *p)
{
	if (*has && content->data == buf_ptr(&p->data)) {
		content->data = NULL;
		content->len = 0;
		*has = 0;
	}
}

void coord_parts_release(Snare__Flow *f)
{
	unsigned part;

	for (part = 0; f->id && part < 2; part++) {
		struct flow_part *p = part_find(f->id, part, false);

		if (p == NULL)
			continue;
		if (part == 0 && f->request)
			detach(&f->request->content, &f->request->has_content, p);
		if (part == 1 && f->response)
			detach(&f->response->content, &f->response->has_content, p);
		part_drop(p);
	}
}
