/* Event log (see log.h).  Runs in every process; the sink decides where a
 * line goes.  Lines are printed with every control byte escaped: their text
 * holds names and addresses that clients and servers chose. */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/errf.h"
#include "core/escape.h"

static log_sink_fn log_sink = log_print;
static enum log_level log_level = LOG_LVL_INFO;

void log_set_sink(log_sink_fn fn)
{
	log_sink = fn ? fn : log_print;
}

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_vmsg(enum log_level lvl, const char *client, const char *fmt, va_list ap)
{
	char msg[2048];

	if (lvl > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_sink(lvl, client, msg);
}

void log_msg(enum log_level lvl, const char *client, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, client, fmt, ap);
	va_end(ap);
}

void log_err(enum log_level lvl, int rc, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	verrf(msg, sizeof(msg), rc, fmt, ap);
	va_end(ap);
	log_sink(lvl, NULL, msg);
}

/* keep: the control bytes that stay (the newlines of our own multi-line
 * messages), "" for none. */
static void log_line(enum log_level lvl, const char *client, const char *msg, const char *keep)
{
	struct timeval tv;
	struct tm tm;
	FILE *out = lvl <= LOG_LVL_WARN ? stderr : stdout;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	fprintf(out, "[%02d:%02d:%02d.%03ld]", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(long)tv.tv_usec / 1000);
	if (client && *client) {
		fputc('[', out);
		esc_write(out, (const uint8_t *)client, strlen(client), "");
		fputc(']', out);
	}
	fputc(' ', out);
	esc_write(out, (const uint8_t *)msg, strlen(msg), keep);
	fputc('\n', out);
	fflush(out);
}

void log_print(enum log_level lvl, const char *client, const char *msg)
{
	log_line(lvl, client, msg, "\n");
}

void log_print_foreign(enum log_level lvl, const char *client, const char *msg)
{
	log_line(lvl, client, msg, "");
}
