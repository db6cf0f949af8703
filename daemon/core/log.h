/* The event log.  Lines look like mitmdump's: "[HH:MM:SS.mmm][client] msg".
 * The coordinator prints them; workers and the ca install a sink that sends
 * them to the coordinator, which stays the single writer of output. */
#ifndef SNARE_CORE_LOG_H
#define SNARE_CORE_LOG_H

#include <stdarg.h>

#include "core/util.h"

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

typedef void (*log_sink_fn)(enum log_level lvl, const char *client, const char *msg);

void log_set_sink(log_sink_fn fn);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* client may be NULL; it is the client address as addr_format prints it. */
void log_msg(enum log_level lvl, const char *client, const char *fmt, ...) SNARE_PRINTF(3, 4);
void log_vmsg(enum log_level lvl, const char *client, const char *fmt, va_list ap);
/* Logs "<fmt...>: <strerror(-rc)>" (core/errf.h) at lvl; rc 0 logs the
 * message alone. */
void log_err(enum log_level lvl, int rc, const char *fmt, ...) SNARE_PRINTF(3, 4);
/* The default sink: formats the line with a timestamp to stdout (errors and
 * warnings to stderr).  Control bytes, DEL, C1 controls and invalid UTF-8 in
 * client and msg are written as \xNN (core/escape.h); newlines in msg stay,
 * for the process's own multi-line messages. */
void log_print(enum log_level lvl, const char *client, const char *msg);
/* The same for a line another process sent (a worker, the ca): newlines are
 * escaped too, so one event is one line and cannot forge others. */
void log_print_foreign(enum log_level lvl, const char *client, const char *msg);

#define log_error(...) log_msg(LOG_LVL_ERROR, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, NULL, __VA_ARGS__)

#endif
