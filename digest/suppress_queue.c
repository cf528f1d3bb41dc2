/* suppress_queue.c — see suppress_queue.h. A queued suppression is one
 * line, "EMAIL<TAB>REASON<TAB>TIME": an address holds no tab (address.h:
 * printable ASCII only), a reason is one nkdigest writes, the time is in
 * seconds since the epoch. */
#include "suppress_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "buf.h"
#include "log.h"
#include "spool.h"
#include "xalloc.h"

/* 16 MiB: some 60,000 queued unsubscribes, far more than any lock lasts. */
#define QUEUE_MAX (16u << 20)

static char *queue_path(const char *state_path)
{
	return xasprintf("%s.suppress-queue", state_path);
}

int suppress_queue_add(const char *state_path, const char *email, const char *reason,
                       time_t when, struct nk_err *e)
{
	char *path = queue_path(state_path);
	char *line = xasprintf("%s\t%s\t%lld", email, reason, (long long)when);
	int rc = spool_append(path, line, e);
	free(line);
	free(path);
	return rc;
}

static const char *known_reason(const char *s)
{
	static const char *const reasons[] = { SUPPRESS_UNSUBSCRIBE, SUPPRESS_COMPLAINT,
	                                       SUPPRESS_BOUNCES };
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (!strcmp(s, reasons[i]))
			return reasons[i];
	return NULL;
}

/* Splits one line (NUL-terminated, no newline) into s; false when it is
 * not a queued suppression. s->email points into line. */
static bool parse_line(char *line, struct suppression *s)
{
	char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	if (!t2)
		return false;
	*t1 = *t2 = '\0';
	char *end;
	long long when = strtoll(t2 + 1, &end, 10);
	const char *reason = known_reason(t1 + 1);
	if (!reason || *end || end == t2 + 1 || when < 0 || !address_valid(line, NULL, 0))
		return false;
	*s = (struct suppression){ .email = line, .reason = (char *)reason,
	                           .created = (time_t)when };
	return true;
}

int suppress_queue_apply(struct state *st, const char *state_path, size_t *applied,
                         struct nk_err *e)
{
	if (applied)
		*applied = 0;
	char *path = queue_path(state_path);
	struct spool *sp;
	struct buf lines = {0};
	int rc = spool_take(path, QUEUE_MAX, &sp, &lines, e);
	if (rc || !sp) {
		free(path);
		buf_free(&lines);
		return rc;
	}
	struct suppression *v = NULL;
	size_t n = 0, cap = 0;
	int lineno = 0;
	for (char *p = lines.s, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		lineno++;
		struct suppression s;
		if (!parse_line(p, &s)) {
			log_warn("%s:%d: not a queued suppression (EMAIL, REASON and TIME "
			         "separated by tabs); dropped", path, lineno);
			continue;
		}
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = s;
	}
	size_t added = 0;
	rc = n ? state_suppress_all(st, v, n, &added, e) : 0;
	if (!rc) {
		rc = spool_done(sp, e);
		if (applied)
			*applied = n;
		if (n)
			log_debug("%s: %zu queued suppression%s applied (%zu new)", path, n,
			          n == 1 ? "" : "s", added);
	} else {
		spool_release(sp);
	}
	free(v);
	buf_free(&lines);
	free(path);
	return rc;
}
