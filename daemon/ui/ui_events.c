/* Runs in the ui: the event log ring (see ui_events.h).  The text is the
 * coordinator's or a worker's line, untrusted, kept as it came (JSON
 * escapes it on the way out). */
#include "ui/ui_events.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

const struct ui_event *ui_events_add(struct ui_events *e, unsigned level, const char *client,
				     const char *text, double ts)
{
	struct ui_event *ev;

	if (e->next_seq == 0)
		e->next_seq = 1;
	ev = &e->ring[(e->next_seq - 1) % UI_EVENTS_MAX];
	free(ev->text);
	ev->seq = e->next_seq++;
	ev->ts = ts;
	ev->level = level;
	ev->text = client && *client ? xasprintf("[%s] %s", client, text) : xstrdup(text);
	return ev;
}

size_t ui_events_count(const struct ui_events *e)
{
	uint64_t n = e->next_seq ? e->next_seq - 1 : 0;

	return n < UI_EVENTS_MAX ? (size_t)n : UI_EVENTS_MAX;
}

const struct ui_event *ui_events_at(const struct ui_events *e, size_t i)
{
	uint64_t first = e->next_seq - ui_events_count(e); /* seq of the oldest */

	return &e->ring[(first - 1 + i) % UI_EVENTS_MAX];
}

void ui_events_free(struct ui_events *e)
{
	size_t i;

	for (i = 0; i < UI_EVENTS_MAX; i++)
		free(e->ring[i].text);
	memset(e, 0, sizeof(*e));
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *ui_level_name(unsigned level)
{
	return level < ARRAY_SIZE(level_names) ? level_names[level] : "debug";
}

int ui_level_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}
