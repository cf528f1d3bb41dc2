/* datetime.c — RFC 3339 parsing and local formatting (see datetime.h). */
#include "datetime.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int rfc3339_parse(const char *s, bool assume_utc, time_t *t, int *offset_min)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec;
	if (!s || strlen(s) < 19 || digits(s, 4, &Y) || s[4] != '-' ||
	    digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60 || Y < 1970)
		return -1;
	if (D > mdays[M - 1] + (M == 2 && leap(Y)))
		return -1;
	if (sec == 60)   /* a leap second: count it as the next second */
		sec = 59;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else if (*p == '\0' && assume_utc) {
		off = 0;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
	                 .tm_hour = h, .tm_min = m, .tm_sec = sec };
	*t = timegm(&tm) - (time_t)off * 60;
	if (offset_min)
		*offset_min = off;
	return 0;
}

void dt_set_zone(const char *zone)
{
	/* The leading ':' makes glibc read the zone file and never parse the
	 * name as a POSIX TZ rule. */
	char *tz = xasprintf(":%s", zone);
	setenv("TZ", tz, 1);
	free(tz);
	tzset();
}

void dt_format(time_t t, const char *fmt, char *out, size_t outlen)
{
	struct tm tm;
	localtime_r(&t, &tm);
	/* fmt is checked at every call site (see the format attribute). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (strftime(out, outlen, fmt, &tm) == 0 && outlen)
		out[0] = '\0';
#pragma GCC diagnostic pop
}

void dt_day_key(time_t t, char out[11])
{
	dt_format(t, "%Y-%m-%d", out, 11);
}
