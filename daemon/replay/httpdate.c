/* HTTP dates, read as leniently as Python's email.utils.parsedate_tz (the
 * parser mitmproxy's refresh uses) and written as IMF-fixdate.  Our own
 * code: strptime is locale-dependent and knows one layout at a time.  Input
 * is untrusted header text; calendar arithmetic without the C library's
 * time zone state. */
#include <stdio.h>
#include <string.h>

#include "replay/replay_int.h"

static const char months[12][4] = {"jan", "feb", "mar", "apr", "may", "jun",
				   "jul", "aug", "sep", "oct", "nov", "dec"};
static const char days[7][4] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char Months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char Days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct date {
	int day, mon, year, hh, mm, ss;
	long tz; /* seconds east of UTC */
	bool have_time, have_tz;
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int name_index(const char *s, size_t n, const char (*tab)[4], int count)
{
	if (n < 3)
		return -1;
	for (int i = 0; i < count; i++)
		if (lower(s[0]) == tab[i][0] && lower(s[1]) == tab[i][1] &&
		    lower(s[2]) == tab[i][2])
			return i;
	return -1;
}

/* Digits only, at most 9 of them; -1 otherwise. */
static long number(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool clock_token(struct date *d, const char *s, size_t n)
{
	const char *c1 = memchr(s, ':', n), *c2;
	long h, m, sec = 0;

	if (!c1 || d->have_time)
		return false;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
	h = number(s, (size_t)(c1 - s));
	m = number(c1 + 1, (size_t)((c2 ? c2 : s + n) - (c1 + 1)));
	if (c2)
		sec = number(c2 + 1, n - (size_t)(c2 + 1 - s));
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 61)
		return false;
	d->hh = (int)h, d->mm = (int)m, d->ss = (int)sec;
	d->have_time = true;
	return true;
}

static bool zone_token(struct date *d, const char *s, size_t n)
{
	static const char *const utc[] = {"gmt", "ut", "utc", "z"};
	long v;

	if ((s[0] == '+' || s[0] == '-') && n == 5 && (v = number(s + 1, 4)) >= 0) {
		d->tz = (v / 100 * 3600 + v % 100 * 60) * (s[0] == '-' ? -1 : 1);
		return d->have_tz = true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(utc); i++) {
		size_t k = strlen(utc[i]);

		if (n == k && lower(s[0]) == utc[i][0] && (k < 2 || lower(s[1]) == utc[i][1]) &&
		    (k < 3 || lower(s[2]) == utc[i][2]))
			return d->have_tz = true;
	}
	return false;
}

static bool word_token(struct date *d, const char *s, size_t n)
{
	long v;
	int i;

	if (memchr(s, ':', n))
		return clock_token(d, s, n);
	if ((v = number(s, n)) >= 0) {
		if (d->day == 0 && n <= 2 && v >= 1 && v <= 31)
			d->day = (int)v;
		else if (d->year < 0 && (n == 2 || n == 4))
			d->year = (int)(n == 2 ? (v > 68 ? v + 1900 : v + 2000) : v);
		else
			return false;
		return true;
	}
	if (d->mon < 0 && (i = name_index(s, n, months, 12)) >= 0)
		return d->mon = i, true;
	if (name_index(s, n, days, 7) >= 0 && !d->have_time)
		return true; /* a weekday: not checked, as parsedate_tz */
	return !d->have_tz && zone_token(d, s, n);
}

/* Splits on spaces, commas and the '-' of "06-Nov-94" (a '-' after a
 * digit or a letter; a zone's leading '-' starts a token). */
static bool tokens(struct date *d, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		if (s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == '-') {
			if (s[i] == '-' &&
			    (i + 1 >= n || s[i + 1] < '0' || s[i + 1] > '9' || d->day == 0 ||
			     d->mon < 0 || d->year < 0 || !d->have_time)) {
				i++;
				continue;
			}
			if (s[i] != '-') {
				i++;
				continue;
			}
			j = i + 1; /* a numeric zone "-0500" */
		}
		while (j < n && s[j] != ' ' && s[j] != ',' && s[j] != '\t' && s[j] != '-')
			j++;
		if (!word_token(d, s + i, j - i))
			return false;
		i = j;
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int dd)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool replay_date_parse(const char *s, size_t n, int64_t *t)
{
	struct date d = {.mon = -1, .year = -1};

	if (n == 0 || n > 128 || !tokens(&d, s, n))
		return false;
	if (d.day == 0 || d.mon < 0 || d.year < 0 || !d.have_time)
		return false;
	*t = days_from_civil(d.year, d.mon + 1, d.day) * 86400 + d.hh * 3600 + d.mm * 60 + d.ss -
	     d.tz;
	return true;
}

bool replay_date_format(int64_t t, char out[30])
{
	int64_t z, era, doe, yoe, y, doy, mp, dd, m, secs;

	if (t < 0 || t > 253402300799) /* 9999-12-31 23:59:59 */
		return false;
	z = t / 86400 + 719468;
	secs = t % 86400;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dd = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* 29 characters for every t in range; a roomy buffer first because gcc
	 * cannot see the fields' ranges (format-truncation). */
	char tmp[96];
	size_t n = (size_t)snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
				    Days[(t / 86400 + 4) % 7], (int)dd, Months[m - 1], (int)y,
				    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (n >= 30)
		return false;
	memcpy(out, tmp, n + 1);
	return true;
}
