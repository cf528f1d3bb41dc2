/* ini.h — reading INI files, strictly.
 *
 * Our own small reader rather than libinih: Debian's libinih silently
 * splits lines longer than 200 bytes, continues values on indented lines and
 * does not tell the handler the line number. Here every key carries its
 * line, a line has no length limit, and anything unexpected is an error
 * naming file and line.
 *
 * Syntax: "[section]" or "[section "name"]", "key = value", comment lines
 * starting with ';' or '#', and inline comments starting with " ;" or " #"
 * (white space before the mark, so URLs with '#' fragments survive when
 * written without spaces). A value wholly in double quotes keeps leading or
 * trailing spaces and ';'; a value that only starts with a quote
 * ("Name" <addr>) is taken as written. Keys are lower-cased; sections are case-kept. */
#ifndef NK_INI_H
#define NK_INI_H

#include <stddef.h>

#include "err.h"

struct ini_entry {
	char *section;    /* "smtp", "source" … ("" before any section header) */
	char *name;       /* the quoted part of [source "nknews"], or NULL */
	char *key;
	char *value;
	int line;
};

struct ini {
	char *path;                 /* as given, for messages */
	struct ini_entry *entries;  /* in file order */
	size_t n;
	size_t cap;
};

/* Reads path. Returns 0, or EX_CONFIG when it cannot be read or on a
 * syntax error, with "path: what" or "path:line: what" in e. */
int ini_load(const char *path, struct ini *ini, struct nk_err *e);
/* Parses text as if read from path (for tests). */
int ini_parse(const char *path, const char *text, struct ini *ini, struct nk_err *e);
void ini_free(struct ini *ini);

#endif
