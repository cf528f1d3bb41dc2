/* smtp_link.h — what the SMTP transport's files share; not for anyone else.
 *
 * A link is one connection to the server as libcurl opens it: TCP, the
 * greeting, EHLO, STARTTLS with verification and AUTH (smtp_connect.c).
 * After that the pool (smtp.c) speaks SMTP over it itself, through
 * curl_easy_send and curl_easy_recv, which keep the TLS layer. */
#ifndef NK_SMTP_LINK_H
#define NK_SMTP_LINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <curl/curl.h>

#include "smtp.h"

struct link {
	CURL *h;                 /* NULL while closed */
	curl_socket_t sock;
	int number;              /* 1, 2, …: which connection, for -v lines */
	bool pipelining;         /* the server offers PIPELINING (RFC 2920) */
	const atomic_bool *stop; /* when set, opening is abandoned; may be NULL */
	/* What libcurl's dialogue showed, from its debug callback: */
	char cmd[16];            /* verb of the last command sent */
	char reply[300];         /* last reply line received */
	char fail[300];          /* the first 4xx/5xx reply and its command */
	char fail_cmd[16];
	bool fail_done;
	bool garbage;            /* the greeting was not an SMTP reply */
	char errbuf[CURL_ERROR_SIZE];
};

/* Opens l (greeting, EHLO, TLS, login) to p's server at url, whose path
 * is the EHLO name. Blocking: run it where waiting is fine. Returns
 * libcurl's code; on CURLE_OK l->sock is the connection's socket. */
CURLcode link_open(struct link *l, const struct smtp_params *p, const char *url);

/* What a failed link_open means (see smtp_classify). */
void link_result(const struct link *l, CURLcode rc, struct smtp_result *out);

/* Closes l at once, saying nothing more to the server. */
void link_close(struct link *l);

/* Host and credentials of an smtp:// or smtps:// URL as libcurl reads it;
 * returns a host the caller frees, or NULL when url has none. */
char *link_url_host(const char *url, bool *credentials);

/* Whether host (as link_url_host gives it) is this machine. */
bool link_loopback(const char *host);

/* Copies a reply line of the server into dst for keeping and printing:
 * line end dropped, anything not printable as '?', cut to fit. */
void link_keep_line(char *dst, size_t dstlen, const char *src, size_t len);

/* "250 …" or "250-…": three digits, then a space, a hyphen or the end. */
bool link_looks_like_reply(const char *s);

/* The code of a reply line ("550 …" is 550), or 0. */
int smtp_reply_code(const char *reply);

long long link_now_ms(void);

/* A copy of msg[0..len) with a dot doubled at the start of every line
 * (RFC 5321 4.5.2), its length in *out_len; NULL when no line starts with
 * one. The MIME writer encodes such dots already: this keeps the
 * transport right for any message. */
char *smtp_dot_stuffed(const char *msg, size_t len, size_t *out_len);

#endif
