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
#include "dkim_sign.h"
#include "err.h"
#include "render.h"
#include "state.h"
#include "unsubscribe.h"

struct recipient {
	const char *email;
	const char *name;       /* may be "": cfg->default_name greets them */
};

/* What every copy of a run is made with, set up once: the unsubscribe
 * token key, the state file's instance id (for Message-IDs) and the DKIM
 * signer. */
struct personal_keys {
	bool has_unsub;              /* false: links carry a placeholder (previews) */
	struct unsub_key unsub;
	char instance[STATE_INSTANCE_LEN + 1];
	struct dkim_signer *dkim;    /* NULL: not signed */
};

/* Derives the token key from secret (may be NULL: previews only), reads
 * st's instance id (st NULL: none, for `check`) and, when sign and cfg has
 * a [dkim] section, loads the DKIM key. Release with personal_keys_close(),
 * also after a failure.
 * Errors: the state file's (see state.h); EX_CONFIG for a DKIM key that
 * cannot be read or used (see config_read_secret, dkim_signer_new). */
int personal_keys_open(const struct config *cfg, struct state *st, const char *secret,
                       bool sign, struct personal_keys *k, struct nk_err *e);
void personal_keys_close(struct personal_keys *k);

/* Appends the complete message (CRLF, ready for SMTP) for r to out, signed
 * when k has a DKIM signer. The Message-ID is
 * "nkdigest.<instance>.<edition>.<16 hex of SHA-256(address)>@<sender
 * domain>": the same for the same state file, edition and recipient, so a
 * resent copy is recognisable, and different for another state file.
 * EX_DATAERR when a value cannot go into a header or DKIM refuses the
 * message. */
int personalise_message(const struct config *cfg, const struct variant *v,
                        int64_t edition, time_t now, const struct recipient *r,
                        const struct personal_keys *k, struct buf *out, struct nk_err *e);

/* A variant made ready to be written for many recipients: its header
 * fields and every line without a per-recipient value encoded once, so a
 * copy costs only its own few lines. cfg, v and k are borrowed and must
 * outlive it. Errors: personalise_message's for the shared fields. */
struct personal_letter;
int personal_letter_new(const struct config *cfg, const struct variant *v,
                        const struct personal_keys *k, struct personal_letter **out,
                        struct nk_err *e);
/* personalise_message() for one recipient, from the letter. */
int personal_letter_write(const struct personal_letter *pl, int64_t edition, time_t now,
                          const struct recipient *r, struct buf *out, struct nk_err *e);
void personal_letter_free(struct personal_letter *pl);

/* Builds every variant's message for the most demanding recipient a valid
 * subscriber row can be — an address of 254 characters and the longest
 * name the list accepts — and throws them away: what would fail here
 * would fail for everybody, so send refuses to start and check reports
 * it. Errors: EX_CONFIG naming the tier and what cannot go into the
 * message (an unsubscribe URL the MIME layer refuses, say). */
int personalise_check(const struct config *cfg, const struct variant *v, size_t n,
                      int64_t edition, const struct personal_keys *k, struct nk_err *e);

enum personal_part { PART_SUBJECT, PART_TEXT, PART_HTML };

/* Appends one part of r's copy, slots filled, without MIME (previews). */
void personalise_part(const struct config *cfg, const struct variant *v,
                      enum personal_part part, const struct recipient *r,
                      const struct personal_keys *k, struct buf *out);

#endif
