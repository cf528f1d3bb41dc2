/* tier.h — the configured subscription tiers, lowest (free) first.
 *
 * Kept apart from config.h so that the modules which only need the tiers
 * (group, render, subscribers) do not see the rest of the configuration. */
#ifndef NK_TIER_H
#define NK_TIER_H

#include <stddef.h>
#include <string.h>

struct tier_conf {
	char *name;          /* "free", "pro": as listed in [digest] tiers */
	char *label;         /* section heading and badge: "NK PRO" (default: name) */
	char *upgrade_url;   /* where teasers of this tier point; may hold {{url}}
	                        (the article's, percent-encoded); may be NULL */
	char *campaign;      /* query parameters added to every upgrade link, e.g.
	                        "utm_source=digest&utm_medium=email"; may be NULL */
	char *benefit;       /* one line on what the tier gives, above the button */
	char *button;        /* the upgrade button's words; NULL: the template's */
};

struct tier_list {
	struct tier_conf *v;   /* render order, lowest first; never empty once loaded */
	size_t n;
};

/* The position of tier name in l, or -1 when it is not configured. */
static inline int tier_index(const struct tier_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return (int)i;
	return -1;
}

#endif
