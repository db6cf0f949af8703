/* Pages the worker answers itself: mitm.it (pages.c).  Runs in a worker. */
#ifndef SNARE_WORKER_PAGES_H
#define SNARE_WORKER_PAGES_H

#include "http1/http1.h"

struct conn;
/* Serves a mitm.it request; an unknown path gets a 404 page. */
void pages_onboarding(struct conn *c, const struct http1_head *req);

#endif
