/* log.c — error, warning, info and debug lines on stderr (see log.h). */
#include "log.h"
#include "buf.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_NORMAL;
static enum log_format format = LOG_FORMAT_AUTO;
static int colour = -1;     /* -1: not decided yet */
static unsigned warnings;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }
bool log_enabled(enum log_level l) { return level >= l; }
unsigned log_warnings(void) { return warnings; }

int log_set_format(const char *name)
{
	static const char *const names[] = { "auto", "plain", "timestamp", "systemd" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			format = (enum log_format)i;
			colour = -1;
			return 0;
		}
	return -1;
}

/* systemd sets JOURNAL_STREAM=DEVICE:INODE for the stream it connects to
 * the journal (systemd.exec(5)); it only counts when that is still our
 * stderr. */
static bool on_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The format lines get now, with AUTO resolved: systemd when $JOURNAL_STREAM
 * names the file stderr is (so a child whose stderr was redirected does not
 * inherit it by mistake), plain when stderr is a terminal, else timestamp. */
static enum log_format log_get_format(void)
{
	if (format != LOG_FORMAT_AUTO)
		return format;
	if (on_journal())
		return LOG_FORMAT_SYSTEMD;
	return isatty(STDERR_FILENO) ? LOG_FORMAT_PLAIN : LOG_FORMAT_TIMESTAMP;
}

/* Colour only on a terminal, never with NO_COLOR (https://no-color.org)
 * or TERM=dumb, and never into the journal. */
static bool use_colour(enum log_format f)
{
	if (colour < 0) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
		colour = f != LOG_FORMAT_SYSTEMD && isatty(STDERR_FILENO) &&
		         !(nc && *nc) && !(term && !strcmp(term, "dumb"));
	}
	return colour;
}

/* Longest message written; longer ones end in "…". */
#define LOG_LINE_MAX 2000

/* Each message is one line, cleaned for the terminal (text_for_terminal):
 * its values may come from a feed or a server, and a newline or an escape
 * sequence in an item id must not forge log lines or clear the screen. */
static void emit(int priority, const char *label, const char *ansi, const char *fmt,
                 va_list ap)
{
	char line[LOG_LINE_MAX + 1];
	vsnprintf(line, sizeof line, fmt, ap);
	char *clean = text_for_terminal(line, LOG_LINE_MAX);

	enum log_format f = log_get_format();
	bool col = label[0] && use_colour(f);
	char stamp[32] = "";
	if (f == LOG_FORMAT_TIMESTAMP) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	/* Written at once, so that lines of parallel runs do not interleave. */
	struct buf out = {0};
	if (f == LOG_FORMAT_SYSTEMD)
		buf_printf(&out, "<%d>", priority);
	buf_adds(&out, stamp);
	buf_adds(&out, "nkdigest: ");
	if (col)
		buf_printf(&out, "\033[%sm%s\033[0m", ansi, label);
	else
		buf_adds(&out, label);
	buf_adds(&out, clean);
	buf_addc(&out, '\n');
	fwrite(out.s, 1, out.len, stderr);
	buf_free(&out);
	free(clean);
}

/* syslog(3) priorities: 3 err, 4 warning, 6 info, 7 debug. */
void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(3, "error: ", "1;31", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	warnings++;
	va_start(ap, fmt);
	emit(4, "warning: ", "1;33", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (level < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(6, "", "", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (level < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(7, "", "", fmt, ap);
	va_end(ap);
}
