/* Error strings (see errf.h).  Runs in every process; trusts its caller's
 * format string and nothing else. */
#include "core/errf.h"

#include <stdio.h>
#include <string.h>

int verrf(char *err, size_t len, int rc, const char *fmt, va_list ap)
{
	int n;

	if (err == NULL || len == 0)
		return rc;
	n = vsnprintf(err, len, fmt, ap);
	if (n < 0)
		err[0] = '\0';
	else if (rc != 0 && (size_t)n < len)
		snprintf(err + n, len - (size_t)n, ": %s", strerror(-rc));
	return rc;
}

int errf(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf(err, len, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void fatal_err(int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	verrf(msg, sizeof(msg), rc, fmt, ap);
	va_end(ap);
	fatal("%s", msg);
}
