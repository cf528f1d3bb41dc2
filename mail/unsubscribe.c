/* unsubscribe.c — encrypted, authenticated unsubscribe tokens (see
 * unsubscribe.h). GnuTLS supplies HKDF, HMAC and ChaCha20-Poly1305. */
#include "unsubscribe.h"
#include "address.h"
#include "base64.h"
#include "buf.h"
#include "xalloc.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#define VERSION "v1"
#define NONCE_LEN 12
#define TAG_LEN 16
#define MAX_ADDR 254

/* GnuTLS fails these only when the algorithm is missing or memory runs
 * out; SHA-256 and ChaCha20-Poly1305 are always built in. */
static void must(int r)
{
	if (r < 0)
		abort();
}

static void hkdf(const char *secret, const char *info, unsigned char out[32])
{
	/* RFC 5869: no salt means HashLen zero bytes. */
	unsigned char zeros[32] = {0}, prk[32];
	gnutls_datum_t ikm = { (unsigned char *)secret, (unsigned)strlen(secret) };
	gnutls_datum_t salt = { zeros, sizeof zeros };
	must(gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk));
	gnutls_datum_t p = { prk, sizeof prk };
	gnutls_datum_t i = { (unsigned char *)info, (unsigned)strlen(info) };
	must(gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &p, &i, out, 32));
	gnutls_memset(prk, 0, sizeof prk);
}

void unsub_key_derive(const char *secret, struct unsub_key *k)
{
	hkdf(secret, "nkdigest unsubscribe " VERSION " key", k->aead);
	hkdf(secret, "nkdigest unsubscribe " VERSION " nonce", k->nonce);
}

void unsub_key_wipe(struct unsub_key *k)
{
	gnutls_memset(k, 0, sizeof *k);
}

static gnutls_aead_cipher_hd_t cipher(const struct unsub_key *k)
{
	gnutls_aead_cipher_hd_t h;
	gnutls_datum_t key = { (unsigned char *)k->aead, sizeof k->aead };
	must(gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_CHACHA20_POLY1305, &key));
	return h;
}

char *unsubscribe_token(const struct unsub_key *k, const char *email)
{
	size_t n = strlen(email);
	unsigned char mac[32];
	must(gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->nonce, sizeof k->nonce, email, n, mac));
	unsigned char *sealed = xmalloc(NONCE_LEN + n + TAG_LEN);
	memcpy(sealed, mac, NONCE_LEN);
	size_t clen = n + TAG_LEN;
	gnutls_aead_cipher_hd_t h = cipher(k);
	must(gnutls_aead_cipher_encrypt(h, sealed, NONCE_LEN, VERSION, strlen(VERSION),
	                                TAG_LEN, email, n, sealed + NONCE_LEN, &clen));
	gnutls_aead_cipher_deinit(h);
	struct buf b = {0};
	buf_adds(&b, VERSION ".");
	base64_encode(&b, sealed, NONCE_LEN + clen, BASE64_URL);
	free(sealed);
	return buf_detach(&b);
}

int unsubscribe_token_open(const struct unsub_key *k, const char *token, char **email,
                           struct nk_err *e)
{
	*email = NULL;
	size_t n = strlen(token);
	if (n < 3 || memcmp(token, VERSION ".", 3))
		return nk_fail(e, EX_DATAERR, "not an unsubscribe token (expected it to "
		               "start with \"" VERSION ".\")");
	if (n > UNSUB_TOKEN_MAX)
		return nk_fail(e, EX_DATAERR, "unsubscribe token too long (%zu characters)", n);
	unsigned char raw[UNSUB_TOKEN_MAX];
	long len = base64url_decode(token + 3, n - 3, raw);
	if (len < 0)
		return nk_fail(e, EX_DATAERR, "unsubscribe token is not base64url");
	if (len < NONCE_LEN + TAG_LEN + 3)
		return nk_fail(e, EX_DATAERR, "unsubscribe token too short: cut off?");
	char plain[UNSUB_TOKEN_MAX];
	size_t plen = sizeof plain - 1;
	gnutls_aead_cipher_hd_t h = cipher(k);
	int r = gnutls_aead_cipher_decrypt(h, raw, NONCE_LEN, VERSION, strlen(VERSION),
	                                   TAG_LEN, raw + NONCE_LEN,
	                                   (size_t)len - NONCE_LEN, plain, &plen);
	gnutls_aead_cipher_deinit(h);
	if (r < 0)
		return nk_fail(e, EX_DATAERR, "unsubscribe token does not verify: altered, "
		               "cut off, or made with another secret");
	plain[plen] = '\0';
	char why[160];
	/* Authentic but not an address: only a token made by another program
	 * with our key could do that. */
	if (plen > MAX_ADDR || strlen(plain) != plen || !address_valid(plain, why, sizeof why))
		return nk_fail(e, EX_DATAERR, "unsubscribe token holds no valid address");
	*email = xstrdup(plain);
	return 0;
}

char *unsubscribe_url(const char *url_template, const char *token, const char *email)
{
	struct buf b = {0};
	for (const char *p = url_template; *p;) {
		if (!strncmp(p, "{{token}}", 9)) {
			/* Only previews come without a key; they must not carry
			 * a token that looks real. */
			buf_adds(&b, token ? token : "PREVIEW-NO-SECRET");
			p += 9;
		} else if (!strncmp(p, "{{email}}", 9)) {
			buf_add_percent_encoded(&b, email);
			p += 9;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_detach(&b);
}
