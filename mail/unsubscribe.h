/* unsubscribe.h — signed one-click unsubscribe links.
 *
 * The token is base64url(email) "." base64url(HMAC-SHA256(secret, email)):
 * the site's unsubscribe page recomputes the HMAC with the same secret and
 * needs no database lookup to trust it (README: "Unsubscribe links"). */
#ifndef NK_UNSUBSCRIBE_H
#define NK_UNSUBSCRIBE_H

/* url_template with {{token}} replaced by the token and {{email}} by the
 * percent-encoded address; caller frees. Without a secret (previews only)
 * the token is the placeholder "PREVIEW-NO-SECRET". */
char *unsubscribe_url(const char *url_template, const char *secret, const char *email);

#endif
