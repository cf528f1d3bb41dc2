/* test_subscribers.c — the subscriber CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "subscribers.h"

static struct tier_conf tiers[] = { { .name = "free", .label = "News" },
                                    { .name = "pro", .label = "NK PRO" } };
static const struct tier_list tier_list = { tiers, 2 };

static int parse(const char *text, struct subscriber_list *l, struct nk_err *e)
{
	return subscribers_parse("subs.csv", text, strlen(text), &tier_list, l, e);
}

static void rows_quotes_and_columns(void **state)
{
	(void)state;
	struct subscriber_list l;
	struct nk_err e = {0};
	const char *text = "\xEF\xBB\xBFtier,Name,Email,extra\r\n"
	                   "pro,\"Doe, Jane\",jane@Example.ORG,x\r\n"
	                   "\r\n"
	                   ",\"Say \"\"hi\"\"\",hi@example.org,\n"
	                   "free,\"Two\nLines\",two@example.org\n";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].email, "jane@example.org");   /* domain lower-cased */
	assert_string_equal(l.v[0].name, "Doe, Jane");
	assert_string_equal(l.v[0].tier, "pro");
	assert_string_equal(l.v[1].name, "Say \"hi\"");
	assert_string_equal(l.v[1].tier, "free");   /* empty cell: the first tier */
	assert_string_equal(l.v[2].name, "Two Lines");   /* one line, always */
	subscribers_free(&l);
}

static void bad_rows_are_skipped_and_counted(void **state)
{
	(void)state;
	struct subscriber_list l;
	struct nk_err e = {0};
	unsigned before = log_warnings();
	const char *text = "email,name,tier\n"
	                   "ok@example.org,Ok,free\n"
	                   "no-at-sign,Bad,free\n"
	                   "\"inject@example.org>\r\nRCPT TO:<x@y.org\",Evil,free\n"
	                   "OK@example.org,Again,pro\n"
	                   "gold@example.org,Gold,gold\n"
	                   ",Nobody,free\n"
	                   "m\xc3\xbcller@example.org,Umlaut,free\n";
	assert_int_equal(parse(text, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.skipped, 6);
	assert_int_equal(log_warnings() - before, 6);
	subscribers_free(&l);
}

/* Runs parse with stderr going to a file; returns what was written there
 * (caller frees). */
static char *warnings_of(const char *text, struct subscriber_list *l)
{
	struct nk_err e = {0};
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	int saved = dup(fileno(stderr));
	dup2(fileno(tmp), fileno(stderr));
	assert_int_equal(parse(text, l, &e), 0);
	fflush(stderr);
	dup2(saved, fileno(stderr));
	close(saved);
	long n = ftell(tmp);
	char *out = calloc(1, (size_t)n + 1);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return out;
}

static void a_warning_names_the_line_counting_lines_inside_quotes(void **state)
{
	(void)state;
	struct subscriber_list l;
	char *w = warnings_of("email,name\n"
	                      "a@example.org,\"Two\nLines\"\n"
	                      "b@example.org,\"Three\nmore\nlines\"\n"
	                      "not-an-address,Bad\n", &l);
	assert_int_equal(l.n, 2);
	assert_non_null(strstr(w, "subs.csv:7: 'not-an-address' is not a valid address"));
	free(w);
	subscribers_free(&l);
}

static void broken_files_are_errors(void **state)
{
	(void)state;
	struct subscriber_list l;
	struct nk_err e = {0};
	assert_int_equal(parse("name,tier\nx,free\n", &l, &e), EX_DATAERR);
	assert_string_equal(e.msg, "subs.csv:1: the header row has no 'email' column "
	                           "(expected: email,name,tier)");
	assert_int_equal(parse("email,name\na@example.org,\"never closed\n", &l, &e), EX_DATAERR);
	assert_string_equal(e.msg, "subs.csv:2: quoted field never ends");
	assert_int_equal(parse("", &l, &e), 0);
	assert_int_equal(l.n, 0);
	subscribers_free(&l);
}

static void many_rows_with_repeats(void **state)
{
	(void)state;
	/* The repeat check is a hash set: 50 000 rows stay fast. */
	size_t n = 50000;
	char *text = malloc(n * 40 + 64), *p = text;
	p += sprintf(p, "email\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "user%zu@example.org\n", i % (n / 2));
	struct subscriber_list l;
	struct nk_err e = {0};
	log_set_level(LOG_QUIET);
	int rc = subscribers_parse("big.csv", text, (size_t)(p - text), &tier_list, &l, &e);
	assert_int_equal(rc, 0);
	assert_int_equal(l.n, n / 2);
	assert_int_equal(l.skipped, n / 2);
	subscribers_free(&l);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_quotes_and_columns),
		cmocka_unit_test(bad_rows_are_skipped_and_counted),
		cmocka_unit_test(a_warning_names_the_line_counting_lines_inside_quotes),
		cmocka_unit_test(broken_files_are_errors),
		cmocka_unit_test(many_rows_with_repeats),
	};
	return cmocka_run_group_tests_name("subscribers", tests, NULL, NULL);
}
