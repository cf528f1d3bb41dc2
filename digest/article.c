/* article.c — the article model: tiers, authors, lists, frozen JSON form. */
#include "article.h"
#include "buf.h"
#include "xalloc.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

char *article_authors_text(const struct article *a)
{
	struct buf b = {0};
	for (size_t i = 0; i < a->nauthors; i++) {
		if (i > 0)
			buf_adds(&b, i + 1 == a->nauthors ? " and " : ", ");
		buf_adds(&b, a->authors[i]);
	}
	return buf_detach(&b);
}

void article_list_push(struct article_list *l, struct article *a)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = *a;
	memset(a, 0, sizeof *a);
}

/* qsort is not stable; sorting (time, index) pairs keeps feed order for
 * equal times without depending on the C library. */
struct order { time_t t; size_t i; };

static int cmp_newest(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;
	if (a->t != b->t)
		return a->t > b->t ? -1 : 1;
	return a->i < b->i ? -1 : (a->i > b->i);
}

void article_list_sort(struct article_list *l)
{
	if (l->n < 2)
		return;
	struct order *o = xmalloc(l->n * sizeof *o);
	for (size_t i = 0; i < l->n; i++)
		o[i] = (struct order){ l->v[i].published, i };
	qsort(o, l->n, sizeof *o, cmp_newest);
	struct article *sorted = xmalloc(l->n * sizeof *sorted);
	for (size_t i = 0; i < l->n; i++)
		sorted[i] = l->v[o[i].i];
	free(l->v);
	free(o);
	l->v = sorted;
	l->cap = l->n;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void article_free(struct article *a)
{
	free(a->key);
	free(a->id);
	free(a->url);
	free(a->title);
	free(a->summary);
	free_strv(a->authors, a->nauthors);
	free_strv(a->tags, a->ntags);
	free(a->tier);
	free(a->source);
	memset(a, 0, sizeof *a);
}

void article_list_free(struct article_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		article_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static cJSON *strv_to_json(char **v, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
	return arr;
}

static cJSON *article_to_json(const struct article *a)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "key", a->key);
	cJSON_AddStringToObject(j, "id", a->id);
	cJSON_AddStringToObject(j, "url", a->url);
	cJSON_AddStringToObject(j, "title", a->title);
	cJSON_AddStringToObject(j, "summary", a->summary ? a->summary : "");
	cJSON_AddItemToObject(j, "authors", strv_to_json(a->authors, a->nauthors));
	cJSON_AddItemToObject(j, "tags", strv_to_json(a->tags, a->ntags));
	cJSON_AddNumberToObject(j, "published", (double)a->published);
	cJSON_AddStringToObject(j, "tier", a->tier);
	cJSON_AddStringToObject(j, "source", a->source);
	return j;
}

static char *get_str(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static char **get_strv(const cJSON *j, const char *name, size_t *n)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, name), *it;
	*n = 0;
	if (!cJSON_IsArray(arr))
		return NULL;
	char **v = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *v);
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it))
			v[(*n)++] = xstrdup(it->valuestring);
	return v;
}

static int article_from_json(const cJSON *j, struct article *a)
{
	memset(a, 0, sizeof *a);
	const cJSON *pub = cJSON_GetObjectItemCaseSensitive(j, "published");
	a->key = get_str(j, "key");
	a->id = get_str(j, "id");
	a->url = get_str(j, "url");
	a->title = get_str(j, "title");
	a->summary = get_str(j, "summary");
	a->authors = get_strv(j, "authors", &a->nauthors);
	a->tags = get_strv(j, "tags", &a->ntags);
	a->tier = get_str(j, "tier");
	a->source = get_str(j, "source");
	if (!a->key || !a->id || !a->url || !a->title || !a->summary || !a->tier ||
	    !a->source || !cJSON_IsNumber(pub)) {
		article_free(a);
		return -1;
	}
	a->published = (time_t)pub->valuedouble;
	return 0;
}

char *article_list_freeze(const struct article_list *l)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(arr, article_to_json(&l->v[i]));
	char *json = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (!json)
		xalloc_die();   /* cJSON fails only when memory runs out */
	return json;
}

int article_list_thaw(const char *json, struct article_list *out)
{
	cJSON *arr = json ? cJSON_Parse(json) : NULL, *it;
	int rc = cJSON_IsArray(arr) ? 0 : -1;
	cJSON_ArrayForEach(it, arr) {
		struct article a;
		if (rc || (rc = article_from_json(it, &a)) != 0)
			break;
		article_list_push(out, &a);
	}
	cJSON_Delete(arr);
	if (rc)
		article_list_free(out);
	return rc;
}
