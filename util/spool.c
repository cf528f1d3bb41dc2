/* spool.c — see spool.h. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

struct spool {
	int fd;
	char *path;
};

int spool_append(const char *path, const char *line, struct nk_err *e)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return nk_fail(e, EX_CANTCREAT, "%s: %s", path, strerror(errno));
	/* The taker empties the file under the same lock, so a line is
	 * either read before the file is emptied or written after. */
	size_t n = strlen(line);
	char *rec = xmalloc(n + 1);
	memcpy(rec, line, n);
	rec[n] = '\n';
	int rc = 0;
	if (flock(fd, LOCK_EX) != 0)
		rc = nk_fail(e, EX_IOERR, "%s: cannot lock: %s", path, strerror(errno));
	else if (write(fd, rec, n + 1) != (ssize_t)(n + 1))
		rc = nk_fail(e, EX_IOERR, "%s: cannot write: %s", path,
		             errno ? strerror(errno) : "short write");
	else if (fsync(fd) != 0)
		rc = nk_fail(e, EX_IOERR, "%s: cannot sync: %s", path, strerror(errno));
	free(rec);
	close(fd);   /* and the lock with it */
	return rc;
}

int spool_take(const char *path, size_t max, struct spool **s, struct buf *lines,
               struct nk_err *e)
{
	*s = NULL;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : nk_fail(e, EX_IOERR, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || sb.st_size == 0) {
		close(fd);
		return 0;
	}
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return nk_fail(e, EX_IOERR, "%s: cannot lock: %s", path, strerror(errno));
	}
	size_t start = lines->len;
	char chunk[65536];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof chunk)) > 0) {
		if (lines->len - start + (size_t)got > max) {
			close(fd);
			buf_truncate(lines, start);
			return nk_fail(e, EX_DATAERR, "%s: more than %zu bytes", path, max);
		}
		buf_add(lines, chunk, (size_t)got);
	}
	if (got < 0) {
		int err = errno;
		close(fd);
		buf_truncate(lines, start);
		return nk_fail(e, EX_IOERR, "%s: cannot read: %s", path, strerror(err));
	}
	/* A last line without its newline was never acknowledged. */
	size_t keep = lines->len;
	while (keep > start && lines->s[keep - 1] != '\n')
		keep--;
	buf_truncate(lines, keep);
	*s = xmalloc(sizeof **s);
	(*s)->fd = fd;
	(*s)->path = xstrdup(path);
	return 0;
}

int spool_done(struct spool *s, struct nk_err *e)
{
	int rc = 0;
	if (ftruncate(s->fd, 0) != 0 || fsync(s->fd) != 0)
		rc = nk_fail(e, EX_IOERR, "%s: cannot empty: %s", s->path, strerror(errno));
	spool_release(s);
	return rc;
}

void spool_release(struct spool *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->path);
	free(s);
}
