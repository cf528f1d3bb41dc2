/* test_subscribers.c — the subscriber CSV, read row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "state.h"
#include "subscribers.h"
#include "xalloc.h"

static struct tier_conf tiers[] = { { .name = "free", .label = "News" },
                                    { .name = "pro", .label = "NK PRO" } };
static const struct tier_list tier_list = { tiers, 2 };

/* Every valid row of a list, copied out of the reader. */
struct rows {
	struct subscriber *v;
	size_t n, cap;
	size_t skipped;
};

static void rows_free(struct rows *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].email);
		free(l->v[i].name);
		free(l->v[i].tier);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Reads the list from text, or from the file path when text is NULL; on an
 * error l is empty. */
static int read_all(const char *path, const char *text, struct rows *l, struct nk_err *e)
{
	struct address_set *seen;
	struct subscriber_reader *r;
	const struct subscriber *s;
	memset(l, 0, sizeof *l);
	assert_int_equal(state_address_set_open(&seen, e), 0);
	int rc = text ? subscribers_open_text(path, text, strlen(text), &tier_list, seen, &r, e)
	              : subscribers_open(path, &tier_list, seen, &r, e);
	while (!rc && !(rc = subscribers_next(r, &s, e)) && s) {
		l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
		l->v[l->n++] = (struct subscriber){ xstrdup(s->email), xstrdup(s->name),
		                                    xstrdup(s->tier), s->line };
	}
	if (!rc)
		l->skipped = subscribers_skipped(r);
	else
		rows_free(l);   /* what came before the error is of no use */
	subscribers_close(r);
	state_address_set_close(seen);
	return rc;
}

static int parse(const char *text, struct rows *l, struct nk_err *e)
{
	return read_all("subs.csv", text, l, e);
}

static void rows_quotes_and_columns(void **state)
{
	(void)state;
	struct rows l;
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
	assert_int_equal(l.v[0].line, 2);
	assert_string_equal(l.v[1].name, "Say \"hi\"");
	assert_string_equal(l.v[1].tier, "free");   /* empty cell: the first tier */
	assert_int_equal(l.v[1].line, 4);
	assert_string_equal(l.v[2].name, "Two Lines");   /* one line, always */
	rows_free(&l);
}

static void bad_rows_are_skipped_and_counted(void **state)
{
	(void)state;
	struct rows l;
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
	rows_free(&l);
}

/* Runs parse with stderr going to a file; returns what was written there
 * (caller frees). */
static char *warnings_of(const char *text, struct rows *l)
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
	struct rows l;
	char *w = warnings_of("email,name\n"
	                      "a@example.org,\"Two\nLines\"\n"
	                      "b@example.org,\"Three\nmore\nlines\"\n"
	                      "not-an-address,Bad\n"
	                      "A@example.org,Again\n", &l);
	assert_int_equal(l.n, 2);
	assert_non_null(strstr(w, "subs.csv:7: 'not-an-address' is not a valid address"));
	assert_non_null(strstr(w, "subs.csv:8: A@example.org is listed twice; this row skipped"));
	free(w);
	rows_free(&l);
}

/* Only a row that is given out holds its address: a row skipped for
 * another reason does not make a later good row of the same address a
 * repeat. */
static void a_skipped_row_does_not_claim_its_address(void **state)
{
	(void)state;
	struct rows l;
	char *w = warnings_of("email,tier\n"
	                      "x@example.org,gold\n"
	                      "X@example.org,pro\n"
	                      "x@example.org,free\n", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].email, "X@example.org");
	assert_string_equal(l.v[0].tier, "pro");
	assert_int_equal(l.skipped, 2);
	assert_non_null(strstr(w, "subs.csv:2: x@example.org: unknown tier 'gold'"));
	assert_non_null(strstr(w, "subs.csv:4: x@example.org is listed twice"));
	free(w);
	rows_free(&l);
}

static void broken_files_are_errors(void **state)
{
	(void)state;
	struct rows l;
	struct nk_err e = {0};
	assert_int_equal(parse("name,tier\nx,free\n", &l, &e), EX_DATAERR);
	assert_string_equal(e.msg, "subs.csv:1: the header row has no 'email' column "
	                           "(expected: email,name,tier)");
	assert_int_equal(parse("email,name\na@example.org,\"never closed\n", &l, &e), EX_DATAERR);
	assert_string_equal(e.msg, "subs.csv:2: quoted field never ends");
	rows_free(&l);
	assert_int_equal(parse("", &l, &e), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(read_all("/nonexistent/subs.csv", NULL, &l, &e), EX_NOINPUT);
	assert_non_null(strstr(e.msg, "/nonexistent/subs.csv: cannot read subscriber list"));
}

static char *temp_file(const char *text, size_t len)
{
	char *path = xstrdup("/tmp/nkdigest-test-subs.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* The file is read in chunks: rows, quoted line breaks, CRLFs and doubled
 * quotes cut by a chunk's end come out as when the whole text is read at
 * once, with the same line numbers. */
static void a_file_read_in_chunks_gives_the_rows_of_the_whole_text(void **state)
{
	(void)state;
	struct buf text = {0};
	buf_adds(&text, "\xEF\xBB\xBF" "email,name,tier\r\n");
	for (int i = 0; i < 30000; i++) {
		const char *tier = i % 3 ? "free" : "pro";
		switch (i % 5) {
		case 0: buf_printf(&text, "r%d@example.org,Reader %d,%s\r\n", i, i, tier); break;
		case 1: buf_printf(&text, "r%d@example.org,\"Line\none %*d\",%s\n", i, i % 97, i, tier); break;
		case 2: buf_printf(&text, "\"r%d@example.org\",\"Say \"\"%d\"\"\",%s\n", i, i, tier); break;
		case 3: buf_printf(&text, "r%d@example.org,\"Comma, %d\",%s\r\n\r\n", i, i, tier); break;
		default: buf_printf(&text, "r%d@example.org,%.*s,%s\n", i, i % 250,
		                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", tier);
		}
	}
	assert_true(text.len > 4 * 65536);
	char *path = temp_file(text.s, text.len);
	struct rows whole, chunked;
	struct nk_err e = {0};
	assert_int_equal(read_all(path, text.s, &whole, &e), 0);
	assert_int_equal(read_all(path, NULL, &chunked, &e), 0);
	assert_int_equal(whole.n, 30000);
	assert_int_equal(chunked.n, whole.n);
	assert_int_equal(chunked.skipped, 0);
	for (size_t i = 0; i < whole.n; i++) {
		assert_string_equal(chunked.v[i].email, whole.v[i].email);
		assert_string_equal(chunked.v[i].name, whole.v[i].name);
		assert_string_equal(chunked.v[i].tier, whole.v[i].tier);
		assert_int_equal(chunked.v[i].line, whole.v[i].line);
	}
	/* The last row starts after 30000 rows, 6000 of them two lines long
	 * and 6000 followed by a blank line. */
	assert_int_equal(whole.v[whole.n - 1].line, 1 + 30000 + 6000 + 6000);
	rows_free(&whole);
	rows_free(&chunked);
	unlink(path);
	free(path);
	buf_free(&text);
}

/* Neither a quote that never closes nor a NUL byte far into the file
 * makes the reader hold the rest of the file. */
static void a_runaway_row_and_a_late_nul_byte_are_errors(void **state)
{
	(void)state;
	struct buf text = {0};
	struct rows l;
	struct nk_err e = {0};
	buf_adds(&text, "email,name\na@example.org,A\nb@example.org,\"open\n");
	for (int i = 0; i < 40000; i++)
		buf_adds(&text, "c@example.org,C, and more text to fill the lines\n");
	char *path = temp_file(text.s, text.len);
	assert_int_equal(read_all(path, NULL, &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, ":3: a row longer than 1024 KiB"));
	unlink(path);
	free(path);

	buf_truncate(&text, 0);
	buf_adds(&text, "email\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&text, "r%d@example.org\n", i);
	buf_add(&text, "x\0y\n", 4);
	path = temp_file(text.s, text.len);
	assert_int_equal(read_all(path, NULL, &l, &e), EX_DATAERR);
	assert_non_null(strstr(e.msg, "not a text file (NUL byte)"));
	unlink(path);
	free(path);
	buf_free(&text);
}

static void many_rows_with_repeats(void **state)
{
	(void)state;
	size_t n = 50000;
	char *text = malloc(n * 40 + 64), *p = text;
	p += sprintf(p, "email\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "user%zu@example.org\n", i % (n / 2));
	struct rows l;
	struct nk_err e = {0};
	log_set_level(LOG_QUIET);
	int rc = read_all("big.csv", text, &l, &e);
	log_set_level(LOG_NORMAL);
	assert_int_equal(rc, 0);
	assert_int_equal(l.n, n / 2);
	assert_int_equal(l.skipped, n / 2);
	assert_int_equal(l.v[n / 2 - 1].line, (int)(n / 2 + 1));
	rows_free(&l);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_quotes_and_columns),
		cmocka_unit_test(bad_rows_are_skipped_and_counted),
		cmocka_unit_test(a_warning_names_the_line_counting_lines_inside_quotes),
		cmocka_unit_test(a_skipped_row_does_not_claim_its_address),
		cmocka_unit_test(broken_files_are_errors),
		cmocka_unit_test(a_file_read_in_chunks_gives_the_rows_of_the_whole_text),
		cmocka_unit_test(a_runaway_row_and_a_late_nul_byte_are_errors),
		cmocka_unit_test(many_rows_with_repeats),
	};
	return cmocka_run_group_tests_name("subscribers", tests, NULL, NULL);
}
