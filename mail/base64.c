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
