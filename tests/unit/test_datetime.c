/* test_datetime.c — RFC 3339 parsing and local dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "datetime.h"

static void offset_is_applied(void **state)
{
	(void)state;
	time_t t;
	int off;
	assert_int_equal(rfc3339_parse("2022-05-21T10:12:00+09:00", false, &t, &off), 0);
	assert_int_equal(t, 1653095520);   /* 2022-05-21T01:12:00Z */
	assert_int_equal(off, 540);
	assert_int_equal(rfc3339_parse("2022-05-20T20:42:00-04:30", false, &t, &off), 0);
	assert_int_equal(t, 1653095520);
	assert_int_equal(off, -270);
}

static void zulu_fractions_and_lowercase(void **state)
{
	(void)state;
	time_t t;
	int off;
	assert_int_equal(rfc3339_parse("2022-05-21T01:12:00Z", false, &t, &off), 0);
	assert_int_equal(t, 1653095520);
	assert_int_equal(rfc3339_parse("2022-05-21t01:12:00.123456z", false, &t, &off), 0);
	assert_int_equal(t, 1653095520);
	assert_int_equal(rfc3339_parse("2022-05-21 01:12:00Z", false, &t, &off), 0);
	assert_int_equal(off, 0);
}

static void zone_needed_unless_assumed_utc(void **state)
{
	(void)state;
	time_t t;
	int off;
	assert_int_equal(rfc3339_parse("2022-05-21T01:12:00", false, &t, &off), -1);
	assert_int_equal(rfc3339_parse("2022-05-21T01:12:00", true, &t, &off), 0);
	assert_int_equal(t, 1653095520);
}

static void impossible_dates_are_rejected(void **state)
{
	(void)state;
	time_t t;
	int off;
	const char *bad[] = {
		"2022-02-30T00:00:00Z", "2021-02-29T00:00:00Z", "2022-13-01T00:00:00Z",
		"2022-05-21T24:00:00Z", "2022-05-21T10:60:00Z", "2022-05-21T10:12:00+25:00",
		"2022-05-21", "yesterday", "", "2022-05-21T10:12:00Z trailing",
		"2022-05-21T10:12:00.Z", "1969-12-31T23:59:59Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(rfc3339_parse(bad[i], false, &t, &off), -1);
	assert_int_equal(rfc3339_parse("2024-02-29T00:00:00Z", false, &t, &off), 0);
}

static void days_follow_the_configured_zone(void **state)
{
	(void)state;
	char key[11], text[64];
	/* 2022-05-18T15:00:00Z is the 19th in Seoul and the 18th in New York. */
	dt_set_zone("Asia/Seoul");
	dt_day_key(1652886000, key);
	assert_string_equal(key, "2022-05-19");
	dt_format(1652886000, "%H:%M %Z", text, sizeof text);
	assert_string_equal(text, "00:00 KST");
	dt_set_zone("America/New_York");
	dt_day_key(1652886000, key);
	assert_string_equal(key, "2022-05-18");
	dt_format(1652886000, "%A, %-d %B %Y", text, sizeof text);
	assert_string_equal(text, "Wednesday, 18 May 2022");
	/* A zone with a 45-minute offset. */
	dt_set_zone("Asia/Kathmandu");
	dt_format(1652886000, "%H:%M", text, sizeof text);
	assert_string_equal(text, "20:45");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offset_is_applied),
		cmocka_unit_test(zulu_fractions_and_lowercase),
		cmocka_unit_test(zone_needed_unless_assumed_utc),
		cmocka_unit_test(impossible_dates_are_rejected),
		cmocka_unit_test(days_follow_the_configured_zone),
	};
	return cmocka_run_group_tests_name("datetime", tests, NULL, NULL);
}
