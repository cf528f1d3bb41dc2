/* dkim_sign.h — DKIM signatures (RFC 6376) for relays that do not sign.
 *
 * The only module that includes libopendkim. Signs with relaxed/relaxed
 * canonicalisation, rsa-sha256 for an RSA key and ed25519-sha256
 * (RFC 8463) for an Ed25519 key, the key given as PEM text. Ed25519 is
 * refused with libopendkim 2.11.0 and older (Debian 12's), which leak
 * memory on every Ed25519 signature. The headers a
 * reader sees or a provider acts on (From, To, Subject, Date, Message-ID,
 * List-Id, List-Unsubscribe, List-Unsubscribe-Post) are signed once more
 * than they occur ("oversigned"), so a header added on the way breaks the
 * signature instead of riding on it. */
#ifndef NK_DKIM_SIGN_H
#define NK_DKIM_SIGN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct dkim_signer;

/* A signer for domain and selector with the PEM private key in key (its
 * bytes are copied; the caller wipes its own). EX_CONFIG when the key is
 * not an RSA or Ed25519 private key, when this libopendkim cannot sign
 * with an Ed25519 one, or naming the problem of domain or selector. */
int dkim_signer_new(const char *domain, const char *selector, const char *key,
                    struct dkim_signer **out, struct nk_err *e);
void dkim_signer_free(struct dkim_signer *s);

/* Signs msg[0..len) (CRLF lines, header then body) and appends the
 * DKIM-Signature field, folded to 78 columns and ending CRLF, to out; put
 * it in front of the message. EX_DATAERR when libopendkim refuses the
 * message, with its reason. */
int dkim_sign_message(struct dkim_signer *s, const char *msg, size_t len,
                      struct buf *out, struct nk_err *e);

#endif
