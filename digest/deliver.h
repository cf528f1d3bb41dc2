/* deliver.h — sending one rendered edition to its recipients, journalled.
 *
 * Reads the edition's pending and deferred deliveries from the state file,
 * a batch of rows at a time (memory does not grow with the list; the
 * rounds that retry what was deferred read it back from the journal too),
 * and hands one personalised message per recipient to the SMTP pool. Every
 * server reply is committed to the journal before the next message is
 * handed over on that connection, so an interrupted run resumes where it
 * stopped. */
#ifndef NK_DELIVER_H
#define NK_DELIVER_H

#include <stdint.h>

#include "config.h"
#include "edition.h"
#include "err.h"
#include "personalise.h"
#include "smtp.h"
#include "state.h"

struct deliver_opts {
	long limit;        /* hand over at most this many messages; 0 = all */
	long *budget;      /* shared countdown across editions when limit > 0 */
};

struct deliver_stats {
	long sent_now;                       /* accepted by the server in this run */
	long count[DELIVERY_NSTATUS];        /* the edition's journal afterwards */
};

/* Delivers ed (recorded in st and rendered; borrowed). keys make each
 * copy's unsubscribe link, Message-ID and signature (see personalise.h).
 * Returns 0 when every recipient handed over got an
 * answer (stats says which). Otherwise the run stopped early and what was
 * not handed over stays pending for the next run:
 *   EX_UNAVAILABLE or EX_CONFIG — the server cannot be used at all
 *     (unreachable, TLS, login or sender refused, not an SMTP server), or
 *     it refused the message itself several times in a row, or several
 *     connections in a row failed before anything was accepted;
 *   EX_TEMPFAIL — several connections in a row failed after some mail
 *     was accepted;
 *   EX_SOFTWARE — a message could not be built (our bug; left pending);
 *   the state file's codes (see state.h) — the journal cannot be read or
 *     written, which stops the run at the first failed commit. */
int deliver_edition(const struct config *cfg, struct state *st, const struct edition *ed,
                    const struct smtp_params *sp, const struct personal_keys *keys,
                    const struct deliver_opts *o, struct deliver_stats *stats,
                    struct nk_err *e);

#endif
