/* Intercept in the web interface (ui_intercept.c): the flows the workers
 * hold, as the coordinator reports them, and the API that resumes, edits
 * and kills them and sets the intercept filter (docs/web-api.md,
 * "Intercept"); an edit is answered once the worker saved or refused it.  Runs in the ui; every
 * command goes to the coordinator, which routes it to the worker holding the flow. */
#ifndef SNARE_UI_UI_INTERCEPT_H
#define SNARE_UI_UI_INTERCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"

struct ui;
struct ui_conn;
struct ui_req;

#define UI_HELD_MAX 4096 /* held flows the ui keeps track of */

/* The filter at start (UiConfig.intercept; NULL: none). */
void ui_hold_configure(const char *filter);
/* The current intercept filter ("" when off). */
const char *ui_hold_filter(void);
/* Whether the flow with this id is held, and in which phase (0 request,
 * 1 response). */
bool ui_hold_is_held(const char *id, unsigned *phase);
size_t ui_hold_count(void);

/* COORD_TO_UI handlers: held and released. */
void ui_on_held(struct ipc_chan *ch, struct ipc_frame *f);
void ui_on_released(struct ipc_chan *ch, struct ipc_frame *f);
/* COORD_TO_UI intercept: the filter a reload set. */
void ui_on_intercept(struct ipc_chan *ch, struct ipc_frame *f);
/* COORD_TO_UI edit_result: the proxy saved or refused an edit; the page
 * waiting for it gets its answer, and a saved edit is stored and pushed to
 * the pages even when it comes after the page was told 504. */
void ui_on_edit_result(struct ipc_chan *ch, struct ipc_frame *f);
/* A page's connection closed while its edit waited (ui_conn.c): the
 * answer has nowhere to go, the edit is still stored if saved. */
void ui_hold_conn_closed(struct ui_conn *c);

/* The API (routes in ui_api.c). */
void ui_api_resume(struct ui *ui, struct ui_conn *c, struct ui_req *r);
void ui_api_kill(struct ui *ui, struct ui_conn *c, struct ui_req *r);
void ui_api_resume_all(struct ui *ui, struct ui_conn *c, struct ui_req *r);
void ui_api_kill_all(struct ui *ui, struct ui_conn *c, struct ui_req *r);
void ui_api_edit(struct ui *ui, struct ui_conn *c, struct ui_req *r);
void ui_api_options(struct ui *ui, struct ui_conn *c, struct ui_req *r);

#ifdef SNARE_TEST_HOOKS
/* How long a page waits for an edit's answer (UI_EDIT_WAIT_MS otherwise),
 * for edits sent from now on. */
void ui_hold_test_edit_wait(uint64_t ms);
#endif

#endif
