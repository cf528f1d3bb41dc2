/* base64.c — Base64 encoding in the two alphabets nkdigest needs. */
#include "base64.h"

void base64_encode(struct buf *out, const void *data, size_t n, enum base64_alphabet a)
{
	static const char std[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *abc = a == BASE64_URL ? url : std;
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char e[4] = { abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63] };
		size_t keep = i + 2 < n ? 4 : i + 1 < n ? 3 : 2;
		buf_add(out, e, keep);
		if (a == BASE64_STD)
			buf_add(out, "==", 4 - keep);
	}
}

static int url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long base64url_decode(const char *s, size_t n, unsigned char *out)
{
	if (n % 4 == 1)
		return -1;
	size_t len = 0;
	for (size_t i = 0; i < n; i += 4) {
		size_t k = n - i < 4 ? n - i : 4;
		unsigned v = 0;
		for (size_t j = 0; j < 4; j++) {
			int d = j < k ? url_value((unsigned char)s[i + j]) : 0;
			if (d < 0)
				return -1;
			v = v << 6 | (unsigned)d;
		}
		/* k characters carry k * 6 bits: the bytes they fill and a
		 * remainder that an encoder leaves zero. */
		size_t bytes = k * 6 / 8;
		if (k < 4 && (v & ((1u << (24 - bytes * 8)) - 1)))
			return -1;
		for (size_t j = 0; j < bytes; j++)
			out[len++] = (unsigned char)(v >> (16 - 8 * j));
	}
	return (long)len;
}
