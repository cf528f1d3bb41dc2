/* smtp_connect.c — opening an SMTP connection with libcurl (see smtp_link.h).
 *
 * libcurl does what is hardest to get right: TLS with certificate and host
 * name checks, STARTTLS, AUTH PLAIN, LOGIN and XOAUTH2. It hides which
 * command a reply answered, so a debug callback watches the dialogue: the
 * verb of each command sent (never its arguments, which can hold AUTH
 * credentials) and the last reply line received. */
#include "smtp_link.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

long long link_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The host and whether there are credentials in url, read with libcurl's
 * own URL parser, so that the loopback check and the connection agree on
 * what the host is ("smtp://127.0.0.1@mail.example.org" is not a loopback
 * host). */
char *link_url_host(const char *url, bool *credentials)
{
	CURLU *u = curl_url();
	char *host = NULL, *user = NULL, *password = NULL, *out = NULL;
	if (!u)
		xalloc_die();
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_USER, &user, 0);
		curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
		*credentials = user || password;
		out = xstrdup(host);
	}
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return out;
}

bool link_loopback(const char *host)
{
	struct in_addr a;
	if (!strcmp(host, "localhost") || !strcmp(host, "[::1]"))
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

void link_keep_line(char *dst, size_t dstlen, const char *src, size_t len)
{
	while (len && (src[len - 1] == '\n' || src[len - 1] == '\r'))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[len] = '\0';
}

bool link_looks_like_reply(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && (!s[3] || s[3] == ' ' || s[3] == '-');
}

/* The -v line for a command sent. Only what cannot hold a secret is shown:
 * AUTH keeps its mechanism, and any other line (an AUTH LOGIN answer, a
 * token) is not shown at all. */
static void log_command(const struct link *l, const char *verb, const char *data,
                        size_t size)
{
	char line[300];
	link_keep_line(line, sizeof line, data, size);
	if (!verb)
		log_debug("smtp %d > (a login line, not shown)", l->number);
	else if (!strcmp(verb, "AUTH"))
		log_debug("smtp %d > AUTH %.*s (credentials not shown)", l->number,
		          (int)strcspn(line + 5, " "), line + 5);
	else
		log_debug("smtp %d > %s", l->number, line);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	(void)h;
	struct link *l = ud;
	if (type == CURLINFO_HEADER_IN) {
		link_keep_line(l->reply, sizeof l->reply, data, size);
		/* Before our first command only a greeting can come. libcurl
		 * waits out its timeout on anything else; on_progress ends the
		 * transfer at once instead. */
		if (!l->cmd[0] && !link_looks_like_reply(l->reply))
			l->garbage = true;
		if (!strcmp(l->cmd, "EHLO") && strlen(l->reply) >= 14 &&
		    !strncasecmp(l->reply + 4, "PIPELINING", 10) &&
		    (!l->reply[14] || l->reply[14] == ' '))
			l->pipelining = true;
		if (!l->fail_done && strcmp(l->cmd, "EHLO") &&
		    (l->reply[0] == '4' || l->reply[0] == '5') &&
		    (!l->fail[0] || !strncmp(l->fail, l->reply, 3))) {
			/* Multi-line replies: keep the last line ("550 …"). */
			memcpy(l->fail, l->reply, sizeof l->fail);
			memcpy(l->fail_cmd, l->cmd, sizeof l->fail_cmd);
			l->fail_done = l->reply[3] != '-';
		}
		if (log_enabled(LOG_VERBOSE))
			log_debug("smtp %d < %s", l->number, l->reply);
	} else if (type == CURLINFO_HEADER_OUT) {
		/* Only a known verb: the other lines sent are AUTH exchanges,
		 * which carry credentials and must not be kept at all. */
		static const char *const verbs[] = {
			"EHLO", "HELO", "STARTTLS", "AUTH", "QUIT", NULL,
		};
		const char *known = NULL;
		for (const char *const *v = verbs; *v && !known; v++) {
			size_t n = strlen(*v);
			if (size > n && !strncasecmp(data, *v, n) &&
			    (data[n] == ' ' || data[n] == '\r')) {
				known = *v;
				memcpy(l->cmd, *v, n + 1);
			}
		}
		/* EHLO is said again after STARTTLS: its offer is what counts. */
		if (known && !strcmp(known, "EHLO"))
			l->pipelining = false;
		if (log_enabled(LOG_VERBOSE))
			log_command(l, known, data, size);
	}
	return 0;
}

static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
                       curl_off_t uln)
{
	(void)dlt, (void)dln, (void)ult, (void)uln;
	const struct link *l = ud;
	/* Non-zero aborts: a greeting that is not SMTP, or the pool going
	 * away (the caller stops the run). */
	return l->garbage || (l->stop && atomic_load(l->stop));
}

CURLcode link_open(struct link *l, const struct smtp_params *p, const char *url)
{
	l->sock = CURL_SOCKET_BAD;
	l->pipelining = l->fail_done = l->garbage = false;
	l->cmd[0] = l->reply[0] = l->fail[0] = l->fail_cmd[0] = l->errbuf[0] = '\0';
	CURL *h = l->h = curl_easy_init();
	if (!h)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	/* Connect, greet, EHLO, STARTTLS and log in; send nothing else. */
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_USE_SSL, p->tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, p->verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, p->verify ? 2L : 0L);
	if (p->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, p->ca_file);
	if (p->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, p->user);
		if (p->bearer) {
			curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, p->bearer);
			curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
		} else {
			curl_easy_setopt(h, CURLOPT_PASSWORD, p->password ? p->password : "");
		}
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT, p->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, p->timeout < 30 ? p->timeout : 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, l->errbuf);
	/* VERBOSE only feeds on_debug; nothing is printed. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, l);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, l);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK &&
	    (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &l->sock) != CURLE_OK ||
	     l->sock == CURL_SOCKET_BAD))
		rc = CURLE_RECV_ERROR;
	return rc;
}

void link_result(const struct link *l, CURLcode rc, struct smtp_result *out)
{
	/* Judge a failure by the reply that caused it, not by the "221 Bye"
	 * of the QUIT libcurl sends afterwards. */
	long code = 0;
	if (l->h)
		curl_easy_getinfo(l->h, CURLINFO_RESPONSE_CODE, &code);
	bool failed = l->fail[0] != '\0';
	struct smtp_event ev = {
		.curl_code = (int)rc,
		.response_code = failed ? 0 : (int)code,
		.reply = failed ? l->fail : l->reply,
		.cmd = failed ? l->fail_cmd : l->cmd,
		.why = l->errbuf,
		.garbage = l->garbage,
	};
	smtp_classify(&ev, out);
}

void link_close(struct link *l)
{
	if (!l->h)
		return;
	/* Shut down first: libcurl would otherwise say QUIT and wait for the
	 * reply, minutes long for a server that went silent. */
	curl_socket_t s = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(l->h, CURLINFO_ACTIVESOCKET, &s) == CURLE_OK &&
	    s != CURL_SOCKET_BAD)
		shutdown(s, SHUT_RDWR);
	curl_easy_cleanup(l->h);
	l->h = NULL;
	l->sock = CURL_SOCKET_BAD;
}
