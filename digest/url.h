/* url.h — reading a URL as libcurl will read it.
 *
 * The config checks its URLs with the same parser that will use them, so
 * that the two never disagree about what a URL holds. Implemented in
 * fetch.c, the module that owns libcurl for HTTP; this header keeps the
 * config from depending on the rest of the fetcher. */
#ifndef NK_URL_H
#define NK_URL_H

#include <stdbool.h>

/* Reads url (of any scheme): *credentials says whether it holds a user
 * name or password. Returns 0, or -1 when it is not a URL with a host. */
int url_credentials(const char *url, bool *credentials);

#endif
