/* article.h — one feed item, normalised, whatever feed it came from.
 *
 * Every string is valid UTF-8 plain text without control characters (the
 * feed parsers guarantee it), and url is http(s). An edition freezes its
 * articles as JSON (article_to_json) so a resumed send renders exactly what
 * the first attempt rendered. The frozen form is JSON; this header keeps
 * cJSON out of the modules that store it. */
#ifndef NK_ARTICLE_H
#define NK_ARTICLE_H

#include <stddef.h>
#include <time.h>

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
	char *tier;         /* a configured tier name */
	char *source;       /* the [source "name"] it came from */
};

struct article_list {
	struct article *v;
	size_t n;
	size_t cap;
};

/* "A", "A and B", "A, B and C"; caller frees. "" when there are none. */
char *article_authors_text(const struct article *a);

/* Appends a (moved: the list takes ownership and *a is zeroed). */
void article_list_push(struct article_list *l, struct article *a);
/* Newest first; equal times keep feed order. */
void article_list_sort(struct article_list *l);
void article_list_free(struct article_list *l);
void article_free(struct article *a);

/* The frozen form of l: a JSON array, one object per article; caller
 * frees. */
char *article_list_freeze(const struct article_list *l);
/* Appends the articles of a frozen list to out. Returns 0, or -1 when json
 * is not such an array or an article lacks a required field (out is then
 * left empty). */
int article_list_thaw(const char *json, struct article_list *out);

#endif
