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

enum personal_part { PART_SUBJECT, PART_TEXT, PART_HTML };

/* Appends one part of r's copy, slots filled, without MIME (previews). */
void personalise_part(const struct config *cfg, const struct variant *v,
                      enum personal_part part, const struct recipient *r,
                      const char *secret, struct buf *out);

#endif
