/* log.h — the lines nkdigest writes to stderr.
 *
 * Warnings are for input that was skipped or repaired (a bad feed item, a bad
 * subscriber row); they always print. Info lines print unless -q; debug lines
 * only with -v. Never pass a secret to these. */
#ifndef NK_LOG_H
#define NK_LOG_H

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many warnings were printed so far (for summaries and tests). */
unsigned log_warnings(void);

#endif
