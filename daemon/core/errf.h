/* Error strings for the caller: "what went wrong: why".  Most failures are
 * reported mid-sentence ("cannot open %s: <errno text>") into a caller's
 * buffer or the log; these write the errno text once, in one place. */
#ifndef SNARE_CORE_ERRF_H
#define SNARE_CORE_ERRF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/util.h"

/* Writes "<fmt...>: <strerror(-rc)>" into err (len bytes, always
 * terminated, cut if long) and returns rc.  rc is 0 or a negative errno; 0
 * writes the message alone.  err may be NULL or len 0: nothing is written. */
int errf(char *err, size_t len, int rc, const char *fmt, ...) SNARE_PRINTF(4, 5);
int verrf(char *err, size_t len, int rc, const char *fmt, va_list ap) SNARE_PRINTF(4, 0);

/* fatal() (core/util.h) with "<fmt...>: <strerror(-rc)>". */
void fatal_err(int rc, const char *fmt, ...) SNARE_PRINTF(2, 3) __attribute__((noreturn));

#endif
