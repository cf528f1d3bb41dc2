/* log.h — the lines nkdigest writes to stderr.
 *
 * Errors are what stops a command (main prints them, through log_error).
 * Warnings are for input that was skipped or repaired (a bad feed item, a bad
 * subscriber row); they always print. Info lines print unless -q; debug lines
 * only with -v. Never pass a secret to these.
 *
 * Every line starts "nkdigest: " (after the priority or time stamp below);
 * a message holding several lines gets the prefix on each, and control
 * characters in it (from a feed or a server reply) print as '?', so nothing
 * logged can move the cursor or recolour a terminal. How lines look: */
#ifndef NK_LOG_H
#define NK_LOG_H

#include <stdbool.h>

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

enum log_format {
	LOG_FORMAT_AUTO,       /* systemd under journald, else plain on a terminal,
	                          else timestamp (the default) */
	LOG_FORMAT_PLAIN,      /* "nkdigest: warning: …" */
	LOG_FORMAT_TIMESTAMP,  /* "2024-05-01T07:30:00Z nkdigest: warning: …" (UTC) */
	LOG_FORMAT_SYSTEMD,    /* "<4>nkdigest: warning: …": journald keeps the
	                          level (sd-daemon(3) priority prefixes) */
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Whether a line of this level would print (to skip building one). */
bool log_enabled(enum log_level level);

/* "auto", "plain", "timestamp" or "systemd"; returns -1 for anything else
 * and changes nothing. */
int log_set_format(const char *name);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many warnings were printed so far (for summaries and tests). */
unsigned log_warnings(void);

#endif
