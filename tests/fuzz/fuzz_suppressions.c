/* fuzz_suppressions.c — the suppression list CSV (`suppressions import`)
 * on any bytes: rows that load are valid addresses with a reason nkdigest
 * knows and a time not in the future; the rest are reported and counted,
 * never a crash. */
#include "fuzz.h"

#include "address.h"
#include "log.h"
#include "suppressions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_QUIET);
	const time_t now = 1800000000;
	struct suppression_list l;
	struct nk_err e = {0};
	int rc = suppressions_parse("fuzz.csv", (const char *)data, size, now, &l, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	FUZZ_CHECK(rc == 0 || (l.n == 0 && e.msg[0]));
	for (size_t i = 0; i < l.n; i++) {
		char why[200];
		FUZZ_CHECK(address_valid(l.v[i].email, why, sizeof why));
		FUZZ_CHECK(!strcmp(l.v[i].reason, SUPPRESS_UNSUBSCRIBE) ||
		           !strcmp(l.v[i].reason, SUPPRESS_COMPLAINT) ||
		           !strcmp(l.v[i].reason, SUPPRESS_BOUNCES));
		FUZZ_CHECK(l.v[i].created <= now + 24 * 3600);
	}
	suppression_list_free(&l);
	return 0;
}
