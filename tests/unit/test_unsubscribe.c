/* test_unsubscribe.c — unsubscribe tokens (mail/unsubscribe.c) and the
 * base64url decoder under them: a token opens to its address with the same
 * secret, and anything else (another secret, one character changed, cut
 * short, a second encoding of the same bytes) is refused. The recipe in the
 * README is checked against real tokens in tests/integration/test_unsubscribe.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "unsubscribe.h"
#include "xalloc.h"

static void test_base64url_round_trip(void **state)
{
	(void)state;
	unsigned char in[64], out[64];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof in; n++) {
		struct buf b = {0};
		base64_encode(&b, in, n, BASE64_URL);
		assert_int_equal(base64url_decode(b.s ? b.s : "", b.len, out), (long)n);
		assert_memory_equal(in, out, n);
		buf_free(&b);
	}
}

static void test_base64url_refuses_what_no_encoder_makes(void **state)
{
	(void)state;
	unsigned char out[16];
	const char *bad[] = {
		"QQ==",     /* padding */
		"Q",        /* one character cannot hold a byte */
		"QR",       /* "A" is "QQ": the unused bits of R are not zero */
		"QUJ",      /* "AB" is "QUI" */
		"ab+c",     /* the standard alphabet */
		"ab/c",
		"ab c",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (base64url_decode(bad[i], strlen(bad[i]), out) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(base64url_decode("QQ", 2, out), 1);
	assert_int_equal(out[0], 'A');
}

static char *open_ok(const struct unsub_key *k, const char *token)
{
	char *email = NULL;
	struct nk_err e = {0};
	if (unsubscribe_token_open(k, token, &email, &e) != 0)
		fail_msg("%s: %s", token, e.msg);
	return email;
}

static void open_fails(const struct unsub_key *k, const char *token, const char *why)
{
	char *email = (char *)"untouched";
	struct nk_err e = {0};
	int rc = unsubscribe_token_open(k, token, &email, &e);
	if (rc != EX_DATAERR)
		fail_msg("\"%s\": expected EX_DATAERR, got %d", token, rc);
	assert_null(email);
	if (!strstr(e.msg, why))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", token, e.msg, why);
}

static void test_token_opens_to_its_address_and_hides_it(void **state)
{
	(void)state;
	struct unsub_key k;
	unsub_key_derive("test-secret-123", &k);
	const char *addrs[] = { "reader@example.org", "Jane.Doe+news@sub.example.co.kr",
	                        "\"odd one\"@example.net" };
	for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
		char *t = unsubscribe_token(&k, addrs[i]);
		assert_true(strncmp(t, "v1.", 3) == 0);
		assert_int_equal(strspn(t + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		                        "qrstuvwxyz0123456789-_"), strlen(t) - 3);
		/* Opaque: neither the address nor its base64 shows. */
		struct buf b64 = {0};
		base64_encode(&b64, addrs[i], strlen(addrs[i]), BASE64_URL);
		assert_null(strstr(t, "example"));
		assert_null(strstr(t, buf_str(&b64)));
		buf_free(&b64);
		/* The same address always gets the same token. */
		char *again = unsubscribe_token(&k, addrs[i]);
		assert_string_equal(t, again);
		char *email = open_ok(&k, t);
		assert_string_equal(email, addrs[i]);
		free(email);
		free(again);
		free(t);
	}
	char *a = unsubscribe_token(&k, "a@example.org");
	char *b = unsubscribe_token(&k, "b@example.org");
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	unsub_key_wipe(&k);
}

static void test_token_from_another_secret_is_refused(void **state)
{
	(void)state;
	struct unsub_key k, other;
	unsub_key_derive("test-secret-123", &k);
	unsub_key_derive("test-secret-124", &other);
	char *t = unsubscribe_token(&other, "reader@example.org");
	open_fails(&k, t, "does not verify");
	free(t);
	/* The trailing newline is not part of the secret: the caller strips
	 * it (config_read_secret), and a key with it is a different key. */
	unsub_key_derive("test-secret-123\n", &other);
	t = unsubscribe_token(&other, "reader@example.org");
	open_fails(&k, t, "does not verify");
	free(t);
}

static void test_every_altered_character_is_refused(void **state)
{
	(void)state;
	struct unsub_key k;
	unsub_key_derive("test-secret-123", &k);
	char *t = unsubscribe_token(&k, "reader@example.org");
	size_t n = strlen(t);
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (size_t i = 3; i < n; i++) {
		char *x = xstrdup(t);
		/* Another character of the alphabet, so that only the bytes change. */
		x[i] = abc[(strchr(abc, x[i]) - abc + 1) % 64];
		char *email = NULL;
		struct nk_err e = {0};
		if (unsubscribe_token_open(&k, x, &email, &e) != EX_DATAERR)
			fail_msg("position %zu: %s accepted as %s", i, x, email);
		free(x);
	}
	/* Cut short anywhere, or lengthened. */
	for (size_t cut = 0; cut < n; cut++) {
		char *x = xstrndup(t, cut);
		char *email = NULL;
		struct nk_err e = {0};
		if (unsubscribe_token_open(&k, x, &email, &e) != EX_DATAERR)
			fail_msg("cut at %zu accepted", cut);
		free(x);
	}
	char *longer = xasprintf("%sAA", t);
	open_fails(&k, longer, "does not verify");
	free(longer);
	char *v2 = xasprintf("v2.%s", t + 3);
	open_fails(&k, v2, "start with \"v1.\"");
	free(v2);
	free(t);
}

static void test_made_up_tokens_are_refused(void **state)
{
	(void)state;
	struct unsub_key k;
	unsub_key_derive("test-secret-123", &k);
	open_fails(&k, "", "not an unsubscribe token");
	open_fails(&k, "v1.", "too short");
	open_fails(&k, "v1.cmVhZGVyQGV4YW1wbGUub3Jn", "too short");
	open_fails(&k, "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "does not verify");
	open_fails(&k, "v1.a.b", "not base64url");
	/* The old HMAC form, base64url(email).mac, is no token any more. */
	open_fails(&k, "cmVhZGVyQGV4YW1wbGUub3Jn.c2ln", "not an unsubscribe token");
	char big[UNSUB_TOKEN_MAX + 10];
	memset(big, 'A', sizeof big - 1);
	memcpy(big, "v1.", 3);
	big[sizeof big - 1] = '\0';
	open_fails(&k, big, "too long");
}

static void test_url_template(void **state)
{
	(void)state;
	struct unsub_key k;
	unsub_key_derive("s", &k);
	char *t = unsubscribe_token(&k, "a+b@example.org");
	char *u = unsubscribe_url("https://x.org/u/{{token}}?e={{email}}", t, "a+b@example.org");
	char *want = xasprintf("https://x.org/u/%s?e=a%%2Bb%%40example.org", t);
	assert_string_equal(u, want);
	free(u);
	free(want);
	free(t);
	u = unsubscribe_url("https://x.org/u?t={{token}}", NULL, "a@example.org");
	assert_string_equal(u, "https://x.org/u?t=PREVIEW-NO-SECRET");
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url_round_trip),
		cmocka_unit_test(test_base64url_refuses_what_no_encoder_makes),
		cmocka_unit_test(test_token_opens_to_its_address_and_hides_it),
		cmocka_unit_test(test_token_from_another_secret_is_refused),
		cmocka_unit_test(test_every_altered_character_is_refused),
		cmocka_unit_test(test_made_up_tokens_are_refused),
		cmocka_unit_test(test_url_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
