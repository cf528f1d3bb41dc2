/* datetime.h — feed timestamps in, local dates and times out.
 *
 * Feeds give RFC 3339 times with an offset; digests group and print them in
 * the configured zone. The zone is process-wide (TZ), set once when the
 * configuration is loaded. */
#ifndef NK_DATETIME_H
#define NK_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Parses "2022-05-21T10:12:00+09:00" (also 'Z', lower-case 't'/'z', a
 * space for 'T', fractional seconds). Without an offset the time is taken as
 * UTC when assume_utc (WordPress date_gmt), else it is an error. Returns 0
 * with *t in UTC seconds and *offset_min (when not NULL) the original
 * offset in minutes; -1 on anything else, including impossible dates
 * (2022-02-30). */
int rfc3339_parse(const char *s, bool assume_utc, time_t *t, int *offset_min);

/* Makes zone (an IANA name, already checked to exist) the zone every later
 * call formats in. */
void dt_set_zone(const char *zone);

/* strftime in the configured zone with the C locale's English names.
 * Writes into out (always NUL-terminated). */
void dt_format(time_t t, const char *fmt, char *out, size_t outlen)
	__attribute__((format(strftime, 2, 0)));

/* "2022-05-21": the calendar day of t in the configured zone. */
void dt_day_key(time_t t, char out[11]);

#endif
