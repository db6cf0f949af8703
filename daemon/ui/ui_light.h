/* Runs in the ui: matching filters that need only a flow's summary
 * (filter_needs() == 0) against a light flow rebuilt from the summary in
 * memory, so that such filters read nothing from the spill file.  A flow
 * whose summary would not rebuild it faithfully for every summary-only
 * operator (a string cut to UI_STR_MAX, a Host header naming another host,
 * ...) is not marked UI_F_LIGHT and is read back instead. */
#ifndef SNARE_UI_LIGHT_H
#define SNARE_UI_LIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "filter/filter.h"
#include "flow.pb-c.h"
#include "ui/ui_store.h"

/* Whether f's summary rebuilds it for summary-only filters (ui_summarize
 * sets UI_F_LIGHT from this). */
bool ui_light_ok(const Snare__Flow *f);
/* f (with filter_needs(f) == 0) against flow i: the light flow when i is
 * UI_F_LIGHT, else the flow read back.  False also when it cannot be read. */
bool ui_light_match(const struct ui_store *s, size_t i, const struct filter *f);

#endif
