/* bounces.h — acting on the mail that comes back (`nkdigest bounces`).
 *
 * Each message is taken apart by dsn.c and then:
 *   hard bounce   (the address is bad)   recorded once per bounced message;
 *                 at bounce_limit the address is suppressed, exactly as
 *                 after that many 5xx replies to RCPT;
 *   soft bounce   reported, nothing else: it never suppresses;
 *   complaint     (ARF abuse/fraud/other) suppressed at once ("complaint");
 *   opt-out ARF, or mail to [unsubscribe] mailto whose subject or first
 *                 text carries a valid token: suppressed ("unsubscribe");
 *   anything else (auto-replies, delivered notices, people's mail): ignored.
 * Hard bounces and complaints about an address nkdigest never mailed are
 * reported but change nothing: the bounce mailbox may hold other mail.
 *
 * Sources: a Maildir (new/ and cur/ messages not yet Seen; each one
 * handled is marked Seen and moved to cur/, so a rerun skips it), an mbox
 * (read only: a rerun finds each hard bounce already recorded), or one
 * message (standard input, for an MTA's pipe). */
#ifndef NK_BOUNCES_H
#define NK_BOUNCES_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "state.h"
#include "unsubscribe.h"

struct bounce_run {
	const struct config *cfg;
	struct state *st;            /* STATE_SHARED, or STATE_READ for a dry run */
	const struct unsub_key *key; /* NULL: mailto requests cannot be checked */
	bool dry_run;                /* change nothing: no state, no Maildir moves */
	FILE *report;                /* TSV lines, or NULL */
	time_t now;
	/* counts, filled in */
	long messages, hard, soft, complaints, unsubscribes, ignored, suppressed;
};

/* Each returns 0 when every message was read (unreadable ones are
 * reported as ignored), or the state file's code (see state.h), which
 * stops at the message it happened on: that one stays unmarked. Also
 * EX_NOINPUT for a Maildir or mbox that cannot be read. */
int bounces_maildir(struct bounce_run *r, const char *dir, struct nk_err *e);
int bounces_mbox(struct bounce_run *r, const char *path, struct nk_err *e);
/* One message; name labels it in the report. */
int bounces_message(struct bounce_run *r, const char *name, const char *msg, size_t len,
                    struct nk_err *e);

/* The report's first line. */
void bounces_report_header(FILE *f);

#endif
