/* dkim_sign.c — DKIM signing with libopendkim (see dkim_sign.h). */
#include "dkim_sign.h"
#include "xalloc.h"

#include <opendkim/dkim.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The last libopendkim known to leak on Ed25519 signatures. */
#define ED25519_LEAKS 0x020B0000u

struct dkim_signer {
	DKIM_LIB *lib;
	char *domain;
	char *selector;
	char *key;          /* PEM text; wiped when freed */
	dkim_alg_t alg;
};

/* RFC 6376 §3.1: a selector is dot-separated labels. A domain too. */
static bool labels(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 253 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

int dkim_signer_new(const char *domain, const char *selector, const char *key,
                    struct dkim_signer **out, struct nk_err *e)
{
	*out = NULL;
	if (!labels(domain))
		return nk_fail(e, EX_CONFIG, "DKIM domain '%.80s' is not a domain name", domain);
	if (!labels(selector))
		return nk_fail(e, EX_CONFIG, "DKIM selector '%.80s' is not a selector "
		               "(letters, digits, '-', '_' and dots)", selector);
	/* PKCS #8 holds either kind; an Ed25519 one always begins with the
	 * same DER bytes, its algorithm's OID 1.3.101.112 among them, which
	 * are "BQYDK2Vw" in base64. */
	const char *pkcs8 = strstr(key, "-----BEGIN PRIVATE KEY-----");
	const char *body = pkcs8 ? pkcs8 + strlen("-----BEGIN PRIVATE KEY-----") : NULL;
	while (body && (*body == '\r' || *body == '\n'))
		body++;
	bool ed25519 = body && strlen(body) > 16 && !memcmp(body + 8, "BQYDK2Vw", 8);
	if (!pkcs8 && !strstr(key, "-----BEGIN RSA PRIVATE KEY-----"))
		return nk_fail(e, EX_CONFIG, "the DKIM key is not a PEM private key "
		               "(\"-----BEGIN PRIVATE KEY-----\")");
	struct dkim_signer *s = xcalloc(1, sizeof *s);
	s->lib = dkim_init(NULL, NULL);
	if (!s->lib)
		xalloc_die();
	s->domain = xstrdup(domain);
	s->selector = xstrdup(selector);
	s->key = xstrdup(key);
	s->alg = ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
	const char *oversign[] = { "From", "To", "Subject", "Date", "Message-ID", "List-Id",
	                           "List-Unsubscribe", "List-Unsubscribe-Post", NULL };
	/* libopendkim takes the list as a char ** and copies it. */
	if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, (void *)oversign,
	                 sizeof(char **)) != DKIM_STAT_OK)
		abort();
	uint32_t v = dkim_libversion();
	int rc = 0;
	if (ed25519 && !dkim_libfeature(s->lib, DKIM_FEATURE_ED25519)) {
		rc = nk_fail(e, EX_CONFIG, "this libopendkim cannot sign with Ed25519; use an "
		             "RSA key (rsa-sha256)");
	} else if (ed25519 && v <= ED25519_LEAKS) {
		/* 2.11.0 (Debian 12's) signs with Ed25519 but leaks about a
		 * kilobyte on every signature: a large list would run out of
		 * memory. */
		rc = nk_fail(e, EX_CONFIG, "this libopendkim (%u.%u.%u) leaks memory on every "
		             "Ed25519 signature; use an RSA key (rsa-sha256)", v >> 24,
		             v >> 16 & 0xff, v >> 8 & 0xff);
	} else {
		/* A small message shows whether libopendkim can use the key. */
		static const char probe[] = "From: a@example.org\r\nSubject: x\r\n\r\nx\r\n";
		struct buf sig = {0};
		struct nk_err pe = {0};
		if (dkim_sign_message(s, probe, sizeof probe - 1, &sig, &pe))
			rc = nk_fail(e, EX_CONFIG, "the DKIM key is not a usable %s private key (%s)",
			             ed25519 ? "Ed25519" : "RSA", pe.msg);
		buf_free(&sig);
	}
	if (rc) {
		dkim_signer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void dkim_signer_free(struct dkim_signer *s)
{
	if (!s)
		return;
	if (s->key) {
		explicit_bzero(s->key, strlen(s->key));
		free(s->key);
	}
	free(s->domain);
	free(s->selector);
	if (s->lib)
		dkim_close(s->lib);
	free(s);
}

int dkim_sign_message(struct dkim_signer *s, const char *msg, size_t len,
                      struct buf *out, struct nk_err *e)
{
	DKIM_STAT st;
	DKIM *d = dkim_sign(s->lib, (const unsigned char *)"nkdigest", NULL,
	                    (dkim_sigkey_t)s->key, (const unsigned char *)s->selector,
	                    (const unsigned char *)s->domain, DKIM_CANON_RELAXED,
	                    DKIM_CANON_RELAXED, s->alg, -1, &st);
	if (!d)
		return nk_fail(e, EX_DATAERR, "DKIM: cannot start a signature (%s)",
		               dkim_getresultstr(st));
	static const char name[] = "DKIM-Signature: ";
	unsigned char *hdr = NULL;
	size_t hlen = 0;
	/* 78 columns, like every other header line we write. */
	st = dkim_set_margin(d, 78);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(d, (unsigned char *)msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(d, NULL, 0);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(d, sizeof name - 1, &hdr, &hlen);
	int rc = 0;
	if (st != DKIM_STAT_OK) {
		const char *why = dkim_geterror(d);
		rc = nk_fail(e, EX_DATAERR, "DKIM: cannot sign: %s", why && *why ? why
		             : dkim_getresultstr(st));
	} else {
		buf_adds(out, name);
		/* libopendkim folds with a bare LF and a tab. */
		for (size_t i = 0; i < hlen; i++) {
			if (hdr[i] == '\n' && (i == 0 || hdr[i - 1] != '\r'))
				buf_addc(out, '\r');
			buf_addc(out, (char)hdr[i]);
		}
		buf_adds(out, "\r\n");
	}
	dkim_free(d);
	return rc;
}
