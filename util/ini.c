/* ini.c — a strict INI reader that keeps line numbers (see ini.h). */
#include "ini.h"
#include "buf.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Config files are small; anything bigger is a mistake (or not a config). */
#define INI_MAX_BYTES (1024 * 1024)

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Cuts an inline comment: ';' or '#' preceded by white space, outside a
 * double-quoted value. */
static void cut_comment(char *s)
{
	int quoted = 0;
	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ';' || *p == '#') && p > s &&
		         (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static int parse_section(struct ini *ini, char *line, int lineno,
                         char **section, char **name, struct nk_err *e)
{
	char *close = strrchr(line, ']');
	if (!close || trim(close + 1)[0] != '\0')
		return nk_fail(e, EX_CONFIG, "%s:%d: section header must end with ']'",
		               ini->path, lineno);
	*close = '\0';
	char *s = trim(line + 1), *quoted = NULL;
	char *q = strchr(s, '"');
	if (q) {
		char *end = strrchr(q + 1, '"');
		if (!end || end == q + 1 || trim(end + 1)[0] != '\0')
			return nk_fail(e, EX_CONFIG,
			               "%s:%d: expected [section \"name\"] with a non-empty name",
			               ini->path, lineno);
		*end = '\0';
		quoted = q + 1;
		*q = '\0';
		s = trim(s);
	}
	if (!*s)
		return nk_fail(e, EX_CONFIG, "%s:%d: empty section name", ini->path, lineno);
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return nk_fail(e, EX_CONFIG, "%s:%d: bad section name '%s'",
			               ini->path, lineno, s);
	free(*section);
	free(*name);
	*section = xstrdup(s);
	*name = xstrdup(quoted);
	return 0;
}

static int parse_pair(struct ini *ini, char *line, int lineno,
                      const char *section, const char *name, struct nk_err *e)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return nk_fail(e, EX_CONFIG, "%s:%d: expected 'key = value'", ini->path, lineno);
	*eq = '\0';
	char *key = trim(line);
	if (!*key)
		return nk_fail(e, EX_CONFIG, "%s:%d: missing key before '='", ini->path, lineno);
	for (char *p = key; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return nk_fail(e, EX_CONFIG, "%s:%d: bad key name '%s'",
			               ini->path, lineno, key);
		*p = (char)tolower((unsigned char)*p);
	}
	char *val = eq + 1;
	cut_comment(val);
	val = trim(val);
	/* "…" around the whole value keeps its spaces and ';'. A value that
	 * merely starts with a quote ("Name" <addr>) is taken as written. */
	size_t n = strlen(val);
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"' && !memchr(val + 1, '"', n - 2)) {
		val[n - 1] = '\0';
		val++;
	}
	ini->entries = xgrow(ini->entries, &ini->cap, ini->n + 1, sizeof *ini->entries);
	struct ini_entry *en = &ini->entries[ini->n++];
	en->section = xstrdup(section);
	en->name = xstrdup(name);
	en->key = xstrdup(key);
	en->value = xstrdup(val);
	en->line = lineno;
	return 0;
}

int ini_parse(const char *path, const char *text, struct ini *ini, struct nk_err *e)
{
	memset(ini, 0, sizeof *ini);
	ini->path = xstrdup(path);
	char *section = xstrdup(""), *name = NULL;
	int rc = 0, lineno = 0;
	const char *p = text;
	/* A UTF-8 byte order mark is what some editors write; skip it. */
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p && !rc) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		lineno++;
		p += len + (nl ? 1 : 0);
		char *s = trim(line);
		if (*s == '\0' || *s == ';' || *s == '#')
			;
		else if (*s == '[')
			rc = parse_section(ini, s, lineno, &section, &name, e);
		else
			rc = parse_pair(ini, s, lineno, section, name, e);
		free(line);
	}
	free(section);
	free(name);
	if (rc)
		ini_free(ini);
	return rc;
}

int ini_load(const char *path, struct ini *ini, struct nk_err *e)
{
	struct buf b = {0};
	int rc = 0;
	if (buf_read_file(&b, path, INI_MAX_BYTES) != 0)
		rc = errno == EFBIG
		   ? nk_fail(e, EX_CONFIG, "%s: config larger than %d bytes", path, INI_MAX_BYTES)
		   : nk_fail(e, EX_CONFIG, "%s: cannot read config: %s", path, strerror(errno));
	else if (memchr(buf_str(&b), '\0', b.len))
		rc = nk_fail(e, EX_CONFIG, "%s: not a text file (NUL byte)", path);
	else
		rc = ini_parse(path, buf_str(&b), ini, e);
	buf_free(&b);
	return rc;
}

void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->entries[i].section);
		free(ini->entries[i].name);
		free(ini->entries[i].key);
		free(ini->entries[i].value);
	}
	free(ini->entries);
	free(ini->path);
	memset(ini, 0, sizeof *ini);
}
