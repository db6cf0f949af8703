/* The header lines of an HTTP/1 head snare writes itself from a flow's
 * headers: a hook's change (hooks_http.c) and an intercept edit
 * (hold_edit.c).  Runs in a worker.  It writes what it is given: the
 * callers check names and values first (daemon/script/ for a script's,
 * hold_edit.c for the web interface's), and the head they build goes
 * through the HTTP/1 parser before it is sent. */
#ifndef SNARE_WORKER_H1_HEADERS_H
#define SNARE_WORKER_H1_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "flow.pb-c.h"

/* Whether the name is Content-Length or Transfer-Encoding (any case). */
bool h1_is_framing(const ProtobufCBinaryData *name);
/* "name: value\r\n" for each header; without `framing` Content-Length and
 * Transfer-Encoding are left out (the caller writes its own).  0, or
 * -ENOBUFS when b is full. */
int h1_put_headers(struct buf *b, Snare__Header *const *hv, size_t n, bool framing);

#endif
