/* csv.c — RFC 4180 records (see csv.h). */
#include "csv.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void csv_row_clear(struct csv_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

int csv_next_row(const char **p, const char *end, int *line, struct csv_row *r)
{
	csv_row_clear(r);
	if (*p >= end)
		return 0;
	r->line = *line;
	struct buf field = {0};
	const char *s = *p;
	for (;;) {
		if (s < end && *s == '"') {
			s++;
			for (;;) {
				if (s >= end) {
					buf_free(&field);
					return -1;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						buf_addc(&field, '"');
						s += 2;
						continue;
					}
					s++;
					break;
				}
				if (*s == '\n')
					(*line)++;
				buf_addc(&field, *s++);
			}
		}
		/* Unquoted text, or what follows a closing quote, kept as is. */
		while (s < end && *s != ',' && *s != '\n' && *s != '\r')
			buf_addc(&field, *s++);
		if (r->n < CSV_MAX_FIELDS)
			r->f[r->n++] = buf_detach(&field);
		else
			buf_free(&field);
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
		(*line)++;
		break;
	}
	*p = s;
	return 1;
}

char *csv_trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

bool csv_row_blank(const struct csv_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (const char *p = r->f[i]; *p; p++)
			if (!isspace((unsigned char)*p))
				return false;
	return true;
}

void csv_field(struct buf *out, const char *s)
{
	size_t n = strlen(s);
	bool quote = strpbrk(s, ",\"\r\n") || (n && (isspace((unsigned char)s[0]) ||
	                                          isspace((unsigned char)s[n - 1])));
	if (!quote) {
		buf_add(out, s, n);
		return;
	}
	buf_addc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(out, '"');
		buf_addc(out, *s);
	}
	buf_addc(out, '"');
}
