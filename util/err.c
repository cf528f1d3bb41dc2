/* err.c — filling struct nk_err (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int nk_fail(struct nk_err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}
