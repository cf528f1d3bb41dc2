/* personalise.h — one subscriber's copy of a rendered variant.
 *
 * Fills the variant's slots (name, address, unsubscribe link) and composes
 * the MIME message. Cheap by design: everything expensive happened once per
 * tier in render. */
#ifndef NK_PERSONALISE_H
#define NK_PERSONALISE_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "render.h"

struct recipient {
	const char *email;
	const char *name;       /* may be "": cfg->default_name greets them */
};

/* Appends the complete message (CRLF, ready for SMTP) for r to out.
 * secret signs the unsubscribe link (may be NULL when the link needs no
 * token). The Message-ID is the same for the same edition and recipient,
 * so a resent copy is recognisable. EX_DATAERR when a value cannot go
 * into a header. */
int personalise_message(const struct config *cfg, const struct variant *v,
                        int64_t edition, time_t now, const struct recipient *r,
                        const char *secret, struct buf *out, struct nk_err *e);

/* Builds every variant's message for the most demanding recipient a valid
 * subscriber row can be — an address of 254 characters and the longest
 * name the list accepts — and throws them away: what would fail here
 * would fail for everybody, so send refuses to start and check reports
 * it. Errors: EX_CONFIG naming the tier and what cannot go into the
 * message (an unsubscribe URL the MIME layer refuses, say). */
int personalise_check(const struct config *cfg, const struct variant *v, size_t n,
                      int64_t edition, const char *secret, struct nk_err *e);

enum personal_part { PART_SUBJECT, PART_TEXT, PART_HTML };

/* Appends one part of r's copy, slots filled, without MIME (previews). */
void personalise_part(const struct config *cfg, const struct variant *v,
                      enum personal_part part, const struct recipient *r,
                      const char *secret, struct buf *out);

#endif
