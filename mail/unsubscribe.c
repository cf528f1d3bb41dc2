/* unsubscribe.c — HMAC-signed unsubscribe tokens (see unsubscribe.h). */
#include "unsubscribe.h"
#include "base64.h"
#include "buf.h"
#include "xalloc.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

/* base64url(email) "." base64url(HMAC-SHA256(secret, email)); caller frees. */
static char *unsubscribe_token(const char *secret, const char *email)
{
	unsigned char mac[32];
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), email,
	                     strlen(email), mac) != 0)
		abort();   /* SHA-256 is always there; failing means a broken GnuTLS */
	struct buf b = {0};
	base64_encode(&b, email, strlen(email), BASE64_URL);
	buf_addc(&b, '.');
	base64_encode(&b, mac, sizeof mac, BASE64_URL);
	return buf_detach(&b);
}

static void percent_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addc(out, (char)*p);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[*p >> 4]);
			buf_addc(out, hex[*p & 15]);
		}
	}
}

char *unsubscribe_url(const char *url_template, const char *secret, const char *email)
{
	struct buf b = {0};
	for (const char *p = url_template; *p;) {
		if (!strncmp(p, "{{token}}", 9)) {
			/* Only previews come without a secret; they must not
			 * carry a token that looks real. */
			char *t = secret ? unsubscribe_token(secret, email) : NULL;
			buf_adds(&b, t ? t : "PREVIEW-NO-SECRET");
			free(t);
			p += 9;
		} else if (!strncmp(p, "{{email}}", 9)) {
			percent_encode(&b, email);
			p += 9;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_detach(&b);
}
