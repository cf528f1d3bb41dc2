/* log.c — warning, info and debug lines on stderr (see log.h). */
#include "log.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level level = LOG_NORMAL;
static unsigned warnings;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }
unsigned log_warnings(void) { return warnings; }

/* Longest line written; longer ones end in "…". */
#define LOG_LINE_MAX 2000

/* Every line is cleaned for the terminal: its values may come from a feed
 * or a server, and a newline or an escape sequence in an item id must not
 * forge log lines or clear the screen. */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 1];
	vsnprintf(line, sizeof line, fmt, ap);
	char *clean = text_for_terminal(line, LOG_LINE_MAX);
	fprintf(stderr, "nkdigest: %s%s\n", prefix, clean);
	free(clean);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	warnings++;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (level < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (level < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}
