/* test_shard.c — which shard an address belongs to, and each shard's state file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "xalloc.h"

/* The hash is documented (README, nkdigest(1)) so that a site can compute
 * shards itself: it must stay FNV-1a 64 (the published test vectors). */
static void hash_is_fnv1a_64(void **state)
{
	(void)state;
	assert_true(shard_hash("") == 0xcbf29ce484222325u);
	assert_true(shard_hash("a") == 0xaf63dc4c8601ec8cu);
	assert_true(shard_hash("foobar") == 0x85944171f73967e8u);
	/* A-Z only are folded, so the shard ignores the case of ASCII letters */
	assert_true(shard_hash("FooBar") == shard_hash("foobar"));
	assert_true(shard_hash("\xc3\x89") != shard_hash("\xc3\xa9"));
	assert_int_equal(shard_of("foobar", 1), 1);
	assert_int_equal(shard_of("foobar", 7), 0x85944171f73967e8u % 7 + 1);
}

static void k_of_n_is_parsed_strictly(void **state)
{
	(void)state;
	struct shard s = { 9, 9 };
	assert_int_equal(shard_parse("2/4", &s), 0);
	assert_int_equal(s.k, 2);
	assert_int_equal(s.n, 4);
	assert_int_equal(shard_parse("1/1", &s), 0);
	assert_int_equal(shard_parse("1000/1000", &s), 0);
	const char *bad[] = { "", "2", "2/", "/4", "0/4", "5/4", "2/0", "-1/4", "2/-4",
	                      " 2/4", "2/4 ", "2/4x", "+2/4", "2/ 4", "1/1001",
	                      "99999999999999999999/4" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = (struct shard){ 7, 8 };
		if (shard_parse(bad[i], &s) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(s.k, 7);
	}
}

/* Every address lands in exactly one shard, and the shards are not wildly
 * uneven (a hash that ignored part of the address would be). */
static void shards_cover_a_list_once(void **state)
{
	(void)state;
	enum { N = 5, ADDRS = 5000 };
	unsigned count[N + 1] = {0};
	for (int i = 0; i < ADDRS; i++) {
		char a[64];
		snprintf(a, sizeof a, "reader%d@example.org", i);
		unsigned k = shard_of(a, N);
		assert_in_range(k, 1, N);
		count[k]++;
	}
	for (unsigned k = 1; k <= N; k++)
		assert_in_range(count[k], ADDRS / N / 2, ADDRS / N * 2);
}

static void each_address_is_in_exactly_one_shard(void **state)
{
	(void)state;
	const char *addrs[] = { "a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org",
	                        "f@x.org", "g@x.org", "h@x.org" };
	for (size_t i = 0; i < 8; i++) {
		unsigned in = 0;
		for (unsigned k = 1; k <= 3; k++)
			if (shard_has(&(struct shard){ k, 3 }, addrs[i])) {
				assert_int_equal(shard_of(addrs[i], 3), k);
				in++;
			}
		assert_int_equal(in, 1);
		/* no shard: the whole list */
		assert_true(shard_has(&(struct shard){ 0, 0 }, addrs[i]));
	}
	/* Case does not move an address to another shard. */
	for (unsigned k = 1; k <= 3; k++)
		assert_int_equal(shard_has(&(struct shard){ k, 3 }, "A@X.org"),
		                 shard_has(&(struct shard){ k, 3 }, "a@x.org"));
}

static void each_shard_has_its_state_file(void **state)
{
	(void)state;
	struct shard s = { 2, 4 };
	const char *cases[][2] = {
		{ "/var/lib/nkdigest/state.db", "/var/lib/nkdigest/state.2-of-4.db" },
		{ "state.db", "state.2-of-4.db" },
		{ "/srv/my.dir/state", "/srv/my.dir/state.2-of-4" },
		{ "/srv/.state", "/srv/.state.2-of-4" },
		{ "a.b.sqlite", "a.b.2-of-4.sqlite" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = shard_state_path(cases[i][0], &s);
		assert_string_equal(p, cases[i][1]);
		free(p);
	}
	char *p = shard_state_path("state.db", &(struct shard){ 0, 0 });
	assert_string_equal(p, "state.db");
	free(p);
	char name[64];
	shard_edition_name(12, &s, name, sizeof name);
	assert_string_equal(name, "12 (shard 2/4)");
	shard_edition_name(12, &(struct shard){ 0, 0 }, name, sizeof name);
	assert_string_equal(name, "12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_is_fnv1a_64),
		cmocka_unit_test(k_of_n_is_parsed_strictly),
		cmocka_unit_test(shards_cover_a_list_once),
		cmocka_unit_test(each_address_is_in_exactly_one_shard),
		cmocka_unit_test(each_shard_has_its_state_file),
	};
	return cmocka_run_group_tests_name("shard", tests, NULL, NULL);
}
