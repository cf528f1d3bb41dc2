/* fuzz_token.c — what serve and bounces do with a token from the outside
 * world (a URL path, a mailto subject): unsubscribe_token_open on any
 * bytes never crashes and never names an address that is not valid; and
 * when the bytes are a valid address, its token opens to exactly it and
 * any one changed character is refused. The address parser that reads
 * From and To lines is fed the same bytes. */
#include "fuzz.h"

#include "address.h"
#include "log.h"
#include "unsubscribe.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct unsub_key k;
	static int ready;
	if (!ready) {
		log_set_level(LOG_QUIET);
		unsub_key_derive("fuzzing secret", &k);
		ready = 1;
	}
	char *s = fuzz_cstr(data, size);
	struct nk_err e = {0};
	char why[200];

	char *email = NULL;
	int rc = unsubscribe_token_open(&k, s, &email, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	FUZZ_CHECK((rc == 0) == (email != NULL));
	if (email)
		FUZZ_CHECK(address_valid(email, why, sizeof why));
	free(email);

	if (address_valid(s, why, sizeof why)) {
		char *t = unsubscribe_token(&k, s);
		FUZZ_CHECK(strlen(t) <= UNSUB_TOKEN_MAX);
		FUZZ_CHECK(unsubscribe_token_open(&k, t, &email, &e) == 0);
		FUZZ_CHECK(!strcmp(email, s));
		free(email);
		/* Flip one character of the sealed part. */
		size_t at = 3 + size % (strlen(t) - 3);
		t[at] = t[at] == 'A' ? 'B' : 'A';
		FUZZ_CHECK(unsubscribe_token_open(&k, t, &email, &e) == EX_DATAERR);
		FUZZ_CHECK(email == NULL);
		free(t);
	}

	char *name = NULL, *addr = NULL;
	if (address_parse_mailbox(s, &name, &addr, why, sizeof why) == 0) {
		FUZZ_CHECK(name && addr);
		FUZZ_CHECK(address_valid(addr, why, sizeof why));
		free(name);
		free(addr);
	}
	free(s);
	return 0;
}
