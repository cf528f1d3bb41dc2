/* shard.c — which subscribers a shard delivers to (see shard.h). */
#include "shard.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int shard_parse(const char *s, struct shard *out)
{
	char *end;
	errno = 0;
	unsigned long k = strtoul(s, &end, 10);
	if (errno || end == s || *end != '/' || s[0] < '0' || s[0] > '9')
		return -1;
	const char *ns = end + 1;
	unsigned long n = strtoul(ns, &end, 10);
	if (errno || end == ns || *end || ns[0] < '0' || ns[0] > '9')
		return -1;
	if (k < 1 || n < 1 || k > n || n > SHARD_MAX)
		return -1;
	out->k = (unsigned)k;
	out->n = (unsigned)n;
	return 0;
}

uint64_t shard_hash(const char *email)
{
	uint64_t h = 14695981039346656037u;
	for (const unsigned char *p = (const unsigned char *)email; *p; p++) {
		unsigned char c = *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p;
		h ^= c;
		h *= 1099511628211u;
	}
	return h;
}

unsigned shard_of(const char *email, unsigned n)
{
	return (unsigned)(shard_hash(email) % n) + 1;
}

char *shard_state_path(const char *state, const struct shard *s)
{
	if (s->n == 0)
		return xstrdup(state);
	const char *base = strrchr(state, '/');
	base = base ? base + 1 : state;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)   /* no extension, or a name like ".state" */
		return xasprintf("%s.%u-of-%u", state, s->k, s->n);
	return xasprintf("%.*s.%u-of-%u%s", (int)(dot - state), state, s->k, s->n, dot);
}

bool shard_has(const struct shard *s, const char *email)
{
	return s->n == 0 || shard_of(email, s->n) == s->k;
}

void shard_edition_name(int64_t id, const struct shard *s, char *out, size_t outlen)
{
	if (s->n)
		snprintf(out, outlen, "%lld (shard %u/%u)", (long long)id, s->k, s->n);
	else
		snprintf(out, outlen, "%lld", (long long)id);
}
