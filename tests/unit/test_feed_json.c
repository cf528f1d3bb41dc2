/* test_feed_json.c — the escape repair pass that runs before cJSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "feed_json.h"

/* Repairs in and checks the result (want NULL: nothing to repair). */
static void check(const char *in, size_t want_repairs, const char *want)
{
	struct buf out = {0};
	size_t n = feed_json_repair(in, strlen(in), &out);
	if (n != want_repairs)
		fail_msg("'%s': %zu repairs, wanted %zu", in, n, want_repairs);
	if (want)
		assert_string_equal(buf_str(&out), want);
	else
		assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void valid_escapes_are_left_alone(void **state)
{
	(void)state;
	check("{\"a\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \\uD83D\\uDE00\"}", 0, NULL);
	check("[1, true, null, \"plain\"]", 0, NULL);
}

static void lone_surrogates_are_replaced(void **state)
{
	(void)state;
	check("\"cut \\ud83d\"", 1, "\"cut \\ufffd\"");
	check("\"\\ude00 low first\"", 1, "\"\\ufffd low first\"");
	check("\"\\ud83d\\u0041\"", 1, "\"\\ufffd\\u0041\"");          /* high, then no low */
	check("\"\\ud83d\\ud83d\\ude00\"", 1, "\"\\ufffd\\ud83d\\ude00\""); /* the second pairs */
	check("\"\\ud83d\\u12\"", 2, "\"\\ufffd\\ufffd\"");
}

static void broken_escapes_are_replaced(void **state)
{
	(void)state;
	check("\"\\x41\"", 1, "\"\\ufffd41\"");
	check("\"it\\'s\"", 1, "\"it\\ufffds\"");
	check("\"\\u12G4\"", 1, "\"\\ufffdG4\"");
	check("\"nul \\u0000 inside\"", 1, "\"nul \\ufffd inside\"");
	check("\"\\\xC3\xA9\"", 1, "\"\\ufffd\"");   /* backslash before a two-byte letter */
}

static void only_strings_are_touched(void **state)
{
	(void)state;
	/* A backslash outside a string is the parser's to report. */
	check("{\"k\\x\": \\x}", 1, "{\"k\\ufffd\": \\x}");
	/* An escaped quote does not end the string. */
	check("[\"a\\\"\\q\", \"\\q\"]", 2, "[\"a\\\"\\ufffd\", \"\\ufffd\"]");
	/* Cut off inside an escape or a string: left for the parser. */
	check("[\"abc\\", 0, NULL);
	check("[\"abc\\u00", 1, "[\"abc\\ufffd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_escapes_are_left_alone),
		cmocka_unit_test(lone_surrogates_are_replaced),
		cmocka_unit_test(broken_escapes_are_replaced),
		cmocka_unit_test(only_strings_are_touched),
	};
	return cmocka_run_group_tests_name("feed_json", tests, NULL, NULL);
}
