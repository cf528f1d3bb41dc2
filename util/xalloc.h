/* xalloc.h — allocation wrappers that never return NULL.
 *
 * nkdigest is a command-line program: when memory runs out there is nothing
 * sensible left to do, so these print one line and abort instead of making
 * every caller check. This is the program's one out-of-memory path: code
 * that gets NULL from a library's allocator calls xalloc_die() too. */
#ifndef NK_XALLOC_H
#define NK_XALLOC_H

#include <stddef.h>

/* Prints "nkdigest: out of memory" and aborts. */
void xalloc_die(void) __attribute__((noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Growth helper for arrays: *cap doubles until it holds need elements. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);          /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
