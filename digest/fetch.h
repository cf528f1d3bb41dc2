/* fetch.h — getting a source's bytes: HTTP(S), a file, or standard input.
 *
 * The only module that uses libcurl for HTTP. TLS certificates and host
 * names are verified unless the source says tls_verify = no. */
#ifndef NK_FETCH_H
#define NK_FETCH_H

#include "buf.h"
#include "config.h"
#include "err.h"

/* Appends the document at src->url to out. Errors name the URL or path:
 * EX_UNAVAILABLE when a server cannot be reached, answers with an HTTP
 * error or fails TLS verification; EX_NOINPUT when a file is missing;
 * EX_DATAERR when the document is larger than src->max_bytes. */
int fetch_source(const struct source_conf *src, struct buf *out, struct nk_err *e);

#endif
