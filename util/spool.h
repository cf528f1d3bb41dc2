/* spool.h — a file of lines that several processes append to and one at a
 * time takes whole, each under flock(2).
 *
 * It hands a record over when the place it belongs cannot take it now:
 * serve must answer a one-click unsubscribe at once, but while a send
 * records a large edition the state file is write-locked for seconds. A
 * line appended here is on disk (fsync) when spool_append returns; a line
 * without its newline was never acknowledged (the writer died mid-write)
 * and is not given out. */
#ifndef NK_SPOOL_H
#define NK_SPOOL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Appends line (no newline in it) and a newline to the file at path,
 * creating it (mode 0600), and syncs it. EX_CANTCREAT or EX_IOERR. */
int spool_append(const char *path, const char *line, struct nk_err *e);

/* Locks the file at path and appends its complete lines to lines (each
 * ending in '\n'). *s is NULL, and nothing is locked, when the file is
 * absent or empty; else the caller ends the take with spool_done (the
 * lines are dealt with: the file is emptied) or spool_release (they stay).
 * EX_IOERR, or EX_DATAERR when it holds more than max bytes. */
struct spool;
int spool_take(const char *path, size_t max, struct spool **s, struct buf *lines,
               struct nk_err *e);
int spool_done(struct spool *s, struct nk_err *e);
void spool_release(struct spool *s);

#endif
