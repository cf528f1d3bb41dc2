/* fetch.h — getting a source's bytes: HTTP(S), a file, or standard input.
 *
 * The only module that uses libcurl for HTTP. TLS certificates and host
 * names are verified unless the source says tls_verify = no. A temporary
 * failure (no connection, a timeout, a cut-off body, HTTP 5xx, 408, 429) is
 * tried again after a pause that doubles, or as long as the server's
 * Retry-After asks, within the source's retries and retry_for. Redirects
 * are followed by hand, at most 5, and never from https to plain http. */
#ifndef NK_FETCH_H
#define NK_FETCH_H

#include <stdbool.h>

#include "buf.h"
#include "config.h"
#include "err.h"

/* What an earlier fetch of the same URL left, for a conditional request
 * (If-None-Match / If-Modified-Since). All borrowed; any may be NULL. */
struct fetch_prior {
	const char *etag;
	const char *last_modified;
	const char *body;      /* handed back on 304 Not Modified */
	size_t len;
};

struct fetch_result {
	struct buf body;       /* the document (decoded when it came compressed) */
	bool unchanged;        /* 304 Not Modified: body is a copy of prior->body */
	bool http;             /* fetched over HTTP(S), not read from a file */
	char *etag;            /* validators of a 200 answer (printable ASCII), or NULL */
	char *last_modified;
	int attempts;          /* 1 unless retried */
};

/* Fetches src->url into res (zeroed by the caller; release with
 * fetch_result_free, also after a failure). prior may be NULL. Errors name
 * the URL (and where a redirect led): EX_UNAVAILABLE when a server cannot
 * be reached or still fails after the retries, answers with an HTTP error,
 * redirects too often or from https to http, or fails TLS verification;
 * EX_NOINPUT when a file is missing; EX_DATAERR when the document is
 * larger than src->max_bytes. */
int fetch_source(const struct source_conf *src, const struct fetch_prior *prior,
                 struct fetch_result *res, struct nk_err *e);
void fetch_result_free(struct fetch_result *res);

#endif
