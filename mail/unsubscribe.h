/* unsubscribe.h — opaque one-click unsubscribe tokens.
 *
 * A token names one address without showing it: the address encrypted and
 * authenticated with ChaCha20-Poly1305 (RFC 8439) under a key derived from
 * the operator's secret with HKDF-SHA256 (RFC 5869):
 *
 *     key   = HKDF(salt = none, ikm = secret, info = "nkdigest unsubscribe v1 key", 32)
 *     nkey  = HKDF(salt = none, ikm = secret, info = "nkdigest unsubscribe v1 nonce", 32)
 *     nonce = HMAC-SHA256(nkey, address)[0..12)
 *     token = "v1." base64url(nonce || ChaCha20-Poly1305(key, nonce, address, aad = "v1"))
 *
 * base64url without padding. The nonce is derived from the address (a
 * synthetic IV), so an address always gets the same token and a resent
 * copy carries the same link; two different addresses share a nonce only
 * by a 2^-96 accident. A site checks a token with the key alone and needs
 * no database (README "Unsubscribe links" has the Python). The secret is
 * the key file's text without its trailing newlines (see
 * config_read_secret). Anything altered, cut short or made up fails the
 * Poly1305 check and is refused. */
#ifndef NK_UNSUBSCRIBE_H
#define NK_UNSUBSCRIBE_H

#include <stddef.h>

#include "err.h"

/* Longest token unsubscribe_token() makes (a 254-byte address) plus room. */
#define UNSUB_TOKEN_MAX 400

struct unsub_key {
	unsigned char aead[32];
	unsigned char nonce[32];
};

/* Derives both keys from secret (NUL-terminated text). Wipe k with
 * unsub_key_wipe() when done. */
void unsub_key_derive(const char *secret, struct unsub_key *k);
void unsub_key_wipe(struct unsub_key *k);

/* The token for email; caller frees. */
char *unsubscribe_token(const struct unsub_key *k, const char *email);

/* Opens token: on success *email is the address it names (caller frees).
 * EX_DATAERR, with why in e and *email NULL, for anything that is not a
 * token made with this key: wrong version, bad characters, too short or
 * long, failed authentication, or a plaintext that is not an address. */
int unsubscribe_token_open(const struct unsub_key *k, const char *token, char **email,
                           struct nk_err *e);

/* url_template with {{token}} replaced by token (email's, from
 * unsubscribe_token) and {{email}} by the percent-encoded address; caller
 * frees. token may be NULL (previews without the secret): the
 * placeholder "PREVIEW-NO-SECRET" stands in. */
char *unsubscribe_url(const char *url_template, const char *token, const char *email);

#endif
