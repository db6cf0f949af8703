/* Event log (see log.h).  Runs in every process; the sink decides where a
 * line goes. */
#include "core/log.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

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

void log_print(enum log_level lvl, const char *client, const char *msg)
{
	struct timeval tv;
	struct tm tm;
	FILE *out = lvl <= LOG_LVL_WARN ? stderr : stdout;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	if (client && *client)
		fprintf(out, "[%02d:%02d:%02d.%03ld][%s] %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
			(long)tv.tv_usec / 1000, client, msg);
	else
		fprintf(out, "[%02d:%02d:%02d.%03ld] %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
			(long)tv.tv_usec / 1000, msg);
	fflush(out);
}
