/* fetch.c — reading a feed over HTTP(S) with libcurl, or from a file. */
#include "fetch.h"
#include "url.h"
#include "log.h"
#include "version.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_REDIRECTS 5
#define MAX_VALIDATOR 512   /* bytes of an ETag or Last-Modified we keep */

struct sink {
	struct buf *out;
	size_t max;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	/* Counted after decoding, so a small gzip bomb is stopped too. */
	if (s->out->len + len > s->max) {
		s->too_big = 1;
		return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
	}
	buf_add(s->out, p, len);
	return len;
}

/* One request, possibly through redirects. */
struct try {
	CURL *c;
	const struct source_conf *src;
	const struct fetch_prior *prior;   /* NULL unless a conditional request */
	struct fetch_result *res;
	long timeout;       /* seconds for this attempt */
	bool retry;         /* out: the failure is temporary */
	long retry_after;   /* out: the server's Retry-After in seconds, or -1 */
};

static struct curl_slist *add_header(struct curl_slist *l, const char *name,
                                     const char *value)
{
	char *h = xasprintf("%s: %s", name, value);
	struct curl_slist *n = curl_slist_append(l, h);
	free(h);
	if (!n)
		xalloc_die();
	return n;
}

static bool is_http(const char *u)
{
	return !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8);
}

static bool is_https(const char *u)
{
	return !strncasecmp(u, "https://", 8);
}

/* The value of header name in the last answer, or NULL (borrowed). */
static const char *header(CURL *c, const char *name)
{
	struct curl_header *h;
	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Whether v can go back to the server in a header: printable ASCII only
 * (no CR/LF to inject headers with), not too long. */
static bool validator_ok(const char *v)
{
	if (!v || !*v || strlen(v) > MAX_VALIDATOR)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

static char *validator(const char *v)
{
	return validator_ok(v) ? xstrdup(v) : NULL;
}

/* Retry-After: seconds ("120") or an HTTP date; -1 when absent or bad. */
static long retry_after(CURL *c)
{
	const char *v = header(c, "Retry-After");
	if (!v)
		return -1;
	char *end;
	errno = 0;
	long s = strtol(v, &end, 10);
	if (end != v && !*end && !errno && s >= 0)
		return s;
	time_t when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	time_t now = time(NULL);
	return when > now ? (long)(when - now) : 0;
}

/* Curl failures that may pass if we try again in a while. */
static bool temporary(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* " (redirected to URL)" when the answer came from elsewhere. */
static void where(char *out, size_t n, const char *url, const char *start)
{
	if (strcmp(url, start))
		snprintf(out, n, " (redirected to %.300s)", url);
	else
		out[0] = '\0';
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int try_once(struct try *t, struct nk_err *e)
{
	const struct source_conf *src = t->src;
	CURL *c = t->c;
	char errbuf[CURL_ERROR_SIZE];
	char *url = xstrdup(src->url);
	char via[340];
	struct sink sink = { &t->res->body, src->max_bytes, 0 };
	struct curl_slist *hdrs = NULL;
	int rc = 0;

	t->retry = false;
	t->retry_after = -1;
	/* The validators come back from the state file: checked again, so
	 * that nothing in it can add a header line. */
	if (t->prior && validator_ok(t->prior->etag))
		hdrs = add_header(hdrs, "If-None-Match", t->prior->etag);
	if (t->prior && validator_ok(t->prior->last_modified))
		hdrs = add_header(hdrs, "If-Modified-Since", t->prior->last_modified);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, t->timeout < 15 ? t->timeout : 15L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (int hop = 0;; hop++) {
		buf_truncate(&t->res->body, 0);
		errbuf[0] = '\0';
		/* The timeout covers the attempt, redirects included. */
		long left_ms = t->timeout * 1000 - (long)(seconds_since(&t0) * 1000);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left_ms > 100 ? left_ms : 100L);
		curl_easy_setopt(c, CURLOPT_URL, url);
		CURLcode cr = curl_easy_perform(c);
		long status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		where(via, sizeof via, url, src->url);
		if (sink.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
			rc = nk_fail(e, EX_DATAERR, "%s%s: feed is larger than max_bytes (%zu bytes)",
			             src->url, via, src->max_bytes);
			break;
		}
		if (cr != CURLE_OK) {
			t->retry = temporary(cr);
			rc = nk_fail(e, EX_UNAVAILABLE, "%s%s: %s%s", src->url, via,
			             errbuf[0] ? errbuf : curl_easy_strerror(cr),
			             cr == CURLE_OPERATION_TIMEDOUT ? " (timeout)" : "");
			break;
		}
		if (status == 301 || status == 302 || status == 303 || status == 307 ||
		    status == 308) {
			char *next = NULL;
			curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
			if (!next) {
				rc = nk_fail(e, EX_UNAVAILABLE, "%s%s: HTTP %ld redirect without a "
				             "Location", src->url, via, status);
				break;
			}
			if (!is_http(next)) {
				rc = nk_fail(e, EX_UNAVAILABLE, "%s%s: refusing a redirect to %.300s "
				             "(only http and https)", src->url, via, next);
				break;
			}
			if (is_https(url) && !is_https(next)) {
				/* Once on TLS, a redirect must not hand the
				 * request to anyone on the path. */
				rc = nk_fail(e, EX_UNAVAILABLE, "%s%s: refusing a redirect from https "
				             "to plain http (%.300s)", src->url, via, next);
				break;
			}
			if (hop == MAX_REDIRECTS) {
				rc = nk_fail(e, EX_UNAVAILABLE, "%s: more than %d redirects (a "
				             "redirect loop?), the last to %.300s", src->url,
				             MAX_REDIRECTS, next);
				break;
			}
			free(url);
			url = xstrdup(next);
			continue;
		}
		if (status == 304 && t->prior && t->prior->body) {
			buf_add(&t->res->body, t->prior->body, t->prior->len);
			t->res->unchanged = true;
			break;
		}
		if (status >= 200 && status <= 299) {
			t->res->etag = validator(header(c, "ETag"));
			t->res->last_modified = validator(header(c, "Last-Modified"));
			break;
		}
		t->retry = status >= 500 || status == 429 || status == 408;
		t->retry_after = t->retry ? retry_after(c) : -1;
		rc = nk_fail(e, EX_UNAVAILABLE, "%s%s: server answered HTTP %ld%s", src->url,
		             via, status, status == 304 ? " to a request that was not "
		             "conditional" : "");
		break;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	free(url);
	return rc;
}

static void pause_for(long s)
{
	struct timespec ts = { s, 0 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static CURL *new_handle(const struct source_conf *src)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);   /* see try_once */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "nkdigest/" NKDIGEST_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)src->max_bytes);
	if (src->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, src->ca_file);
	if (!src->tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return c;
}

static int fetch_http(const struct source_conf *src, const struct fetch_prior *prior,
                      struct fetch_result *res, struct nk_err *e)
{
	/* libcurl counts these calls; the cleanup below pairs with this one,
	 * so its set-up stays inside the module that uses it. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return nk_fail(e, EX_SOFTWARE, "%s: cannot start libcurl", src->url);
	CURL *c = new_handle(src);
	if (!c) {
		curl_global_cleanup();
		return nk_fail(e, EX_SOFTWARE, "%s: cannot start libcurl", src->url);
	}
	if (!src->tls_verify)
		log_warn("%s: TLS certificate checking is OFF for this source (tls_verify = no)",
		         src->url);
	res->http = true;
	bool conditional = prior && prior->body && (prior->etag || prior->last_modified);
	struct try t = { c, src, conditional ? prior : NULL, res, src->timeout, false, -1 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc;
	for (int attempt = 1;; attempt++) {
		res->attempts = attempt;
		rc = try_once(&t, e);
		if (!rc || !t.retry)
			break;
		if (attempt > src->retries) {
			if (src->retries > 0)
				snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
				         " (%d attempts)", attempt);
			break;
		}
		long wait = t.retry_after >= 0 ? t.retry_after
		          : src->retry_wait << (attempt - 1 < 10 ? attempt - 1 : 10);
		double left = (double)src->retry_for - seconds_since(&t0);
		if ((double)wait >= left) {
			snprintf(e->msg + strlen(e->msg), sizeof e->msg - strlen(e->msg),
			         "; not tried again: %s %ld s%s would end past retry_for (%ld s)",
			         t.retry_after >= 0 ? "the server asks to wait" : "waiting",
			         wait, t.retry_after >= 0 ? " (Retry-After), which" : ", which",
			         src->retry_for);
			break;
		}
		log_info("%s; trying again in %ld s (attempt %d of %d)", e->msg, wait,
		         attempt + 1, src->retries + 1);
		pause_for(wait);
		/* The retries, timeouts included, end within retry_for. */
		left = (double)src->retry_for - seconds_since(&t0);
		t.timeout = left < (double)src->timeout ? (long)left + 1 : src->timeout;
		free(res->etag);
		free(res->last_modified);
		res->etag = res->last_modified = NULL;
		res->unchanged = false;
		e->code = 0;
		e->msg[0] = '\0';
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return rc;
}

static int fetch_file(const struct source_conf *src, struct fetch_result *res,
                      struct nk_err *e)
{
	const char *path = src->url;
	if (!strncmp(path, "file://", 7))
		path += 7;
	if (buf_read_file(&res->body, path, src->max_bytes) == 0) {
		res->attempts = 1;
		return 0;
	}
	if (errno == EFBIG)
		return nk_fail(e, EX_DATAERR, "%s: feed is larger than max_bytes (%zu bytes)",
		               path, src->max_bytes);
	return nk_fail(e, EX_NOINPUT, "%s: %s", path, strerror(errno));
}

int fetch_source(const struct source_conf *src, const struct fetch_prior *prior,
                 struct fetch_result *res, struct nk_err *e)
{
	if (is_http(src->url))
		return fetch_http(src, prior, res, e);
	return fetch_file(src, res, e);
}

void fetch_result_free(struct fetch_result *res)
{
	buf_free(&res->body);
	free(res->etag);
	free(res->last_modified);
	memset(res, 0, sizeof *res);
}

int url_credentials(const char *url, bool *credentials)
{
	CURLU *u = curl_url();
	char *host = NULL, *user = NULL, *password = NULL;
	if (!u)
		xalloc_die();
	int rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	         curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK ? 0 : -1;
	if (!rc) {
		curl_url_get(u, CURLUPART_USER, &user, 0);
		curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
		*credentials = user || password;
	}
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return rc;
}
