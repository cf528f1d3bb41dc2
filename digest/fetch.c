/* fetch.c — reading a feed over HTTP(S) with libcurl, or from a file. */
#include "fetch.h"
#include "url.h"
#include "log.h"
#include "version.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sink {
	struct buf *out;
	size_t max;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	if (s->out->len + len > s->max) {
		s->too_big = 1;
		return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
	}
	buf_add(s->out, p, len);
	return len;
}

static int fetch_http(const struct source_conf *src, struct buf *out, struct nk_err *e)
{
	/* libcurl counts these calls; the cleanup below pairs with this one,
	 * so its set-up stays inside the module that uses it. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return nk_fail(e, EX_SOFTWARE, "%s: cannot start libcurl", src->url);
	CURL *c = curl_easy_init();
	if (!c) {
		curl_global_cleanup();
		return nk_fail(e, EX_SOFTWARE, "%s: cannot start libcurl", src->url);
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { out, src->max_bytes, 0 };
	curl_easy_setopt(c, CURLOPT_URL, src->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "nkdigest/" NKDIGEST_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, src->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, src->timeout < 15 ? src->timeout : 15L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)src->max_bytes);
	if (src->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, src->ca_file);
	if (!src->tls_verify) {
		log_warn("%s: TLS certificate checking is OFF for this source (tls_verify = no)",
		         src->url);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_global_cleanup();

	if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return nk_fail(e, EX_DATAERR, "%s: feed is larger than max_bytes (%zu bytes)",
		               src->url, src->max_bytes);
	if (rc != CURLE_OK)
		return nk_fail(e, EX_UNAVAILABLE, "%s: %s", src->url,
		               errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (status < 200 || status > 299)
		return nk_fail(e, EX_UNAVAILABLE, "%s: server answered HTTP %ld", src->url,
		               status);
	return 0;
}

static int fetch_file(const struct source_conf *src, struct buf *out, struct nk_err *e)
{
	const char *path = src->url;
	if (!strncmp(path, "file://", 7))
		path += 7;
	if (buf_read_file(out, path, src->max_bytes) == 0)
		return 0;
	if (errno == EFBIG)
		return nk_fail(e, EX_DATAERR, "%s: feed is larger than max_bytes (%zu bytes)",
		               path, src->max_bytes);
	return nk_fail(e, EX_NOINPUT, "%s: %s", path, strerror(errno));
}

int fetch_source(const struct source_conf *src, struct buf *out, struct nk_err *e)
{
	if (!strncmp(src->url, "http://", 7) || !strncmp(src->url, "https://", 8))
		return fetch_http(src, out, e);
	return fetch_file(src, out, e);
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
