/* log.c — warning, info and debug lines on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level level = LOG_NORMAL;
static unsigned warnings;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }
unsigned log_warnings(void) { return warnings; }

static void emit(const char *prefix, const char *fmt, va_list ap)
{
	fputs("nkdigest: ", stderr);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
