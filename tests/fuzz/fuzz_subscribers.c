/* fuzz_subscribers.c — the subscriber CSV reader on any bytes: rows that
 * load are valid (an address with no control characters, a known tier, a
 * one-line clean name), the rest are reported, never a crash. */
#include "fuzz.h"

#include "address.h"
#include "log.h"
#include "subscribers.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tier_conf tv[] = { { .name = "free", .label = "News" },
	                                 { .name = "pro", .label = "PRO" } };
	static const struct tier_list tiers = { tv, 2 };
	log_set_level(LOG_QUIET);
	struct subscriber_list l = {0};
	struct nk_err e = {0};
	int rc = subscribers_parse("fuzz.csv", (const char *)data, size, &tiers, &l, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const struct subscriber *s = &l.v[i];
		char why[200];
		FUZZ_CHECK(address_valid(s->email, why, sizeof why));
		for (const unsigned char *p = (const unsigned char *)s->email; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);   /* a quoted local part may hold spaces */
		FUZZ_CHECK(tier_index(&tiers, s->tier) >= 0);
		FUZZ_CHECK(utf8_valid(s->name, strlen(s->name)));
		FUZZ_CHECK(!strchr(s->name, '\n') && !strchr(s->name, '\r'));
	}
	subscribers_free(&l);
	return 0;
}
