/* The ui's event log: the last UI_EVENTS_MAX log lines the coordinator sent
 * (its own, the workers', the ca's), in a ring.  Runs in the ui. */
#ifndef SNARE_UI_EVENTS_H
#define SNARE_UI_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define UI_EVENTS_MAX 1000

struct ui_event {
	uint64_t seq;
	double ts;
	unsigned level; /* enum log_level */
	char *text;	/* "[client] text" or "text" */
};

struct ui_events {
	struct ui_event ring[UI_EVENTS_MAX];
	uint64_t next_seq; /* the seq of the next event, from 1 */
};

/* Adds a line (copied); returns it. */
const struct ui_event *ui_events_add(struct ui_events *e, unsigned level, const char *client,
				     const char *text, double ts);
/* The i-th oldest event kept (i < ui_events_count). */
size_t ui_events_count(const struct ui_events *e);
const struct ui_event *ui_events_at(const struct ui_events *e, size_t i);
void ui_events_free(struct ui_events *e);
/* "error", "warn", "info", "debug"; and back (-1: unknown). */
const char *ui_level_name(unsigned level);
int ui_level_parse(const char *name);

#endif
