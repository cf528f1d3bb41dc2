/* suppress_queue.h — unsubscribes waiting for the state file's write lock.
 *
 * serve answers a one-click unsubscribe at once (a mail provider may never
 * ask twice), but a send recording a large edition holds the state file's
 * write lock for seconds (about 10 s at 1,000,000 subscribers). When serve
 * cannot get it in time it queues the suppression in a spool beside the
 * state file (STATE.suppress-queue, see spool.h), on disk before it
 * answers, and the next writer moves the queue into the suppression list:
 * send before each message it hands over (so a queued unsubscribe still
 * stops a message not yet sent), serve before each request, and
 * unsubscribe, resubscribe, bounces and suppressions import before they
 * change the list. An address already on the list keeps its entry. */
#ifndef NK_SUPPRESS_QUEUE_H
#define NK_SUPPRESS_QUEUE_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "state.h"

/* Queues email for the list with reason (one of SUPPRESS_*) and time.
 * EX_CANTCREAT or EX_IOERR when the queue cannot be written. */
int suppress_queue_add(const char *state_path, const char *email, const char *reason,
                       time_t when, struct nk_err *e);

/* Moves what is queued for the state file at state_path into st's list, in
 * one transaction, and empties the queue; a line that is not a queued
 * suppression is reported (file:line) and dropped. *applied (if not NULL)
 * counts the lines moved. The queue stays as it was on any error: the
 * state file's (EX_TEMPFAIL when it stays busy) or the queue's (EX_IOERR,
 * EX_DATAERR when it is larger than any real queue). */
int suppress_queue_apply(struct state *st, const char *state_path, size_t *applied,
                         struct nk_err *e);

#endif
