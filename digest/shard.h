/* shard.h — splitting one subscriber list over N machines or timers.
 *
 * `send --shard K/N` delivers only to the subscribers whose address falls
 * in shard K of N:
 *
 *     shard = FNV-1a-64(address with A-Z lower-cased) mod N, plus 1
 *
 * (FNV-1a 64-bit: start at 14695981039346656037; for each byte, XOR it in,
 * then multiply by 1099511628211 modulo 2^64.) The hash depends on the
 * address alone, never on the order of the list or the machine, so the N
 * shards together cover every subscriber exactly once, and an address stays
 * in its shard while N stays the same. Each shard keeps its own state file
 * beside the configured one: "state.db" becomes "state.2-of-4.db". */
#ifndef NK_SHARD_H
#define NK_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHARD_MAX 1000

struct shard {
	unsigned k, n;   /* shard k of n, 1 <= k <= n; n == 0: the whole list */
};

/* Parses "K/N" (1 <= K <= N <= SHARD_MAX). Returns 0, or -1 and leaves
 * out alone. */
int shard_parse(const char *s, struct shard *out);

uint64_t shard_hash(const char *email);
/* The shard (1..n) email belongs to; n >= 1. */
unsigned shard_of(const char *email, unsigned n);

/* The state file of shard s, derived from the configured path: ".K-of-N"
 * goes before the last extension of its file name, or at the end when it
 * has none. For n == 0 a copy of state. Caller frees. */
char *shard_state_path(const char *state, const struct shard *s);

/* Whether shard s delivers to email: always when s->n == 0 (the whole
 * list). Asked of each row as the list is read. */
bool shard_has(const struct shard *s, const char *email);

/* "12" or "12 (shard 2/4)": how an edition is named in messages. */
void shard_edition_name(int64_t id, const struct shard *s, char *out, size_t outlen);

#endif
