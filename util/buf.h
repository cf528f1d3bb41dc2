/* buf.h — a growable byte string, always NUL-terminated.
 *
 * A zeroed struct buf is an empty buffer: `struct buf b = {0};`. The bytes
 * belong to the buffer until buf_detach() hands them to the caller. */
#ifndef NK_BUF_H
#define NK_BUF_H

#include <stddef.h>

struct buf {
	char *s;        /* NULL until the first append */
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);

/* One byte; inline because encoders call it for every byte they write. */
static inline void buf_addc(struct buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->s[b->len++] = c;
		b->s[b->len] = '\0';
	} else {
		buf_add(b, &c, 1);
	}
}
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s with everything but RFC 3986's unreserved characters (letters,
 * digits, "-._~") percent-encoded: a value carried inside a URL. */
void buf_add_percent_encoded(struct buf *b, const char *s);
void buf_truncate(struct buf *b, size_t len);
/* The contents as a string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);
/* Caller frees the result; the buffer is empty afterwards. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

/* Appends the whole of the file at path ("-": standard input) to b.
 * Returns 0, or -1 with errno set: from fopen/fread, or EFBIG when the
 * file holds more than max bytes (b then holds the first max or more). */
int buf_read_file(struct buf *b, const char *path, size_t max);

#endif
