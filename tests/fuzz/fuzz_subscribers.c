/* fuzz_subscribers.c — the subscriber CSV reader on any bytes: rows that
 * load are valid (an address with no control characters, a known tier, a
 * one-line clean name), the rest are reported, never a crash. */
#include "fuzz.h"

#include "address.h"
#include "log.h"
#include "state.h"
#include "subscribers.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tier_conf tv[] = { { .name = "free", .label = "News" },
	                                 { .name = "pro", .label = "PRO" } };
	static const struct tier_list tiers = { tv, 2 };
	log_set_level(LOG_QUIET);
	struct address_set *seen;
	struct subscriber_reader *r = NULL;
	const struct subscriber *s;
	struct nk_err e = {0};
	FUZZ_CHECK(state_address_set_open(&seen, &e) == 0);
	int rc = subscribers_open_text("fuzz.csv", (const char *)data, size, &tiers, seen, &r, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	while (rc == 0 && (rc = subscribers_next(r, &s, &e)) == 0 && s) {
		char why[200];
		FUZZ_CHECK(address_valid(s->email, why, sizeof why));
		for (const unsigned char *p = (const unsigned char *)s->email; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);   /* a quoted local part may hold spaces */
		FUZZ_CHECK(tier_index(&tiers, s->tier) >= 0);
		FUZZ_CHECK(utf8_valid(s->name, strlen(s->name)));
		FUZZ_CHECK(!strchr(s->name, '\n') && !strchr(s->name, '\r'));
		FUZZ_CHECK(s->line >= 2);
	}
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	subscribers_close(r);
	state_address_set_close(seen);
	return 0;
}
