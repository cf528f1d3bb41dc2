/* feed_json.c — the escape repair pass before JSON parsing (see feed_json.h). */
#include "feed_json.h"

#include <stdbool.h>

#define FFFD "\\ufffd"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of the "\uXXXX" at p[0..n), or -1 with *used set to the length
 * of the broken escape ("\u" and the hex digits that are there). */
static long u_escape(const unsigned char *p, size_t n, size_t *used)
{
	long v = 0;
	size_t i;
	for (i = 2; i < 6; i++) {
		int h = i < n ? hexval(p[i]) : -1;
		if (h < 0) {
			*used = i;
			return -1;
		}
		v = v * 16 + h;
	}
	*used = 6;
	return v;
}

/* Bytes of the UTF-8 character whose lead byte is c (at most avail), so
 * that an unknown escape before a non-ASCII letter is replaced whole. */
static size_t char_len(const unsigned char *p, size_t avail)
{
	size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
	size_t i = 1;
	while (i < n && i < avail && (p[i] & 0xC0) == 0x80)
		i++;
	return i;
}

size_t feed_json_repair(const char *data, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0, done = 0, repairs = 0;
	bool in_string = false;

	while (i < len) {
		unsigned char c = p[i];
		if (!in_string) {
			in_string = c == '"';
			i++;
			continue;
		}
		if (c == '"') {
			in_string = false;
			i++;
			continue;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;   /* cut off: the parser reports it */
		size_t bad = 0;   /* length of a broken escape at i, when not 0 */
		unsigned char k = p[i + 1];
		if (k == 'u') {
			size_t used;
			long v = u_escape(p + i, len - i, &used);
			if (v < 0 || v == 0 || (v >= 0xDC00 && v <= 0xDFFF)) {
				bad = used;
			} else if (v >= 0xD800 && v <= 0xDBFF) {
				size_t used2;
				long lo = i + used + 1 < len && p[i + used] == '\\' &&
				          p[i + used + 1] == 'u'
				          ? u_escape(p + i + used, len - i - used, &used2) : -1;
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					i += used + used2;   /* a proper pair */
					continue;
				}
				bad = used;   /* the next escape is judged on its own */
			} else {
				i += used;
				continue;
			}
		} else if (k == '"' || k == '\\' || k == '/' || k == 'b' || k == 'f' ||
		           k == 'n' || k == 'r' || k == 't') {
			i += 2;
			continue;
		} else {
			bad = 1 + char_len(p + i + 1, len - i - 1);
		}
		buf_add(out, data + done, i - done);
		buf_adds(out, FFFD);
		repairs++;
		i += bad;
		done = i;
	}
	if (repairs)
		buf_add(out, data + done, len - done);
	return repairs;
}
