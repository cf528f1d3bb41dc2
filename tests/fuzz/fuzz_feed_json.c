/* fuzz_feed_json.c — the escape repair pass before JSON parsing: no crash,
 * and what it writes needs no second repair (it leaves nothing broken
 * behind and never breaks what was fine). */
#include "fuzz.h"

#include "buf.h"
#include "feed_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = {0};
	size_t n = feed_json_repair((const char *)data, size, &out);
	FUZZ_CHECK(n == 0 ? out.len == 0 : out.len >= size);
	if (n) {
		struct buf again = {0};
		FUZZ_CHECK(feed_json_repair(out.s, out.len, &again) == 0);
		buf_free(&again);
	}
	buf_free(&out);
	return 0;
}
