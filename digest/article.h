/* article.h — one feed item, normalised, whatever feed it came from.
 *
 * Every string is valid UTF-8 plain text without control characters (the
 * feed parsers guarantee it), and url is http(s). An edition freezes its
 * articles as JSON (article_to_json) so a resumed send renders exactly what
 * the first attempt rendered. */
#ifndef NK_ARTICLE_H
#define NK_ARTICLE_H

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "config.h"

struct article {
	char *key;          /* "source\tid": unique across sources, what state remembers */
	char *id;
	char *url;
	char *title;
	char *summary;      /* the dek; may be "" */
	char **authors;
	size_t nauthors;
	char **tags;
	size_t ntags;
	time_t published;   /* UTC seconds */
	int offset_min;     /* the offset the feed gave, in minutes */
	char *tier;         /* a configured tier name */
	char *source;       /* the [source "name"] it came from */
};

struct article_list {
	struct article *v;
	size_t n;
	size_t cap;
};

/* Sets a->tier from src's rules (first match) or src's default tier. */
void article_assign_tier(struct article *a, const struct source_conf *src);

/* "A", "A and B", "A, B and C"; caller frees. "" when there are none. */
char *article_authors_text(const struct article *a);

/* Appends a (moved: the list takes ownership and *a is zeroed). */
void article_list_push(struct article_list *l, struct article *a);
/* Newest first; equal times keep feed order. */
void article_list_sort(struct article_list *l);
void article_list_free(struct article_list *l);
void article_free(struct article *a);

/* The frozen form. article_from_json returns 0, or -1 when j lacks a
 * required field; the caller owns both results. */
cJSON *article_to_json(const struct article *a);
int article_from_json(const cJSON *j, struct article *a);

#endif
