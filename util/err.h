/* err.h — how failures travel back to main.
 *
 * A function that can fail takes a caller-owned `struct nk_err *`, fills it
 * and returns the exit code it stands for (a sysexits(3) value, never 0).
 * Only main prints the message and exits. */
#ifndef NK_ERR_H
#define NK_ERR_H

#include <sysexits.h>

struct nk_err {
	int code;          /* 0 = no error, else EX_* */
	char msg[1024];    /* one human-readable line, no trailing newline */
};

/* Fills e (if not NULL) and returns code. */
int nk_fail(struct nk_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
