/* smtp_classify.c — what a finished SMTP transfer means (see smtp.h): a
 * pure mapping from libcurl's result, the reply and the command it
 * answered to an outcome, kept apart from the transport so that it can be
 * checked from a table. */
#include "smtp.h"
#include "smtp_link.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int smtp_reply_code(const char *reply)
{
	if (isdigit((unsigned char)reply[0]) && isdigit((unsigned char)reply[1]) &&
	    isdigit((unsigned char)reply[2]))
		return (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0');
	return 0;
}

/* "5.1.1" after the code of a reply: the enhanced status code (RFC 3463).
 * Sets *cls and *subject (5 and 1 for 5.1.1) and returns true when there
 * is one. */
static bool enhanced_code(const char *reply, int *cls, int *subject)
{
	const char *p = reply + 3;
	if (strlen(reply) < 4 || (*p != ' ' && *p != '-'))
		return false;
	p++;
	if (!(p[0] >= '2' && p[0] <= '5') || p[1] != '.' || !isdigit((unsigned char)p[2]))
		return false;
	*cls = p[0] - '0';
	*subject = atoi(p + 2);
	return true;
}

/* Whether a 5xx to RCPT says the address itself is bad. When in doubt it
 * is not: a false hard bounce would in time unsubscribe a real reader. */
static bool address_is_bad(const char *reply, int code)
{
	int cls, subject;
	if (enhanced_code(reply, &cls, &subject)) {
		const char *detail = strchr(reply + 6, '.');
		int d = detail ? atoi(detail + 1) : -1;
		/* X.1.x: addressing (unknown mailbox or domain, moved); 5.2.1:
		 * the mailbox is disabled. 5.2.2 (full), 5.7.x (policy), 5.3.x
		 * and 5.4.x (systems, network) say nothing about the address. */
		return cls == 5 && (subject == 1 || (subject == 2 && d == 1));
	}
	return code == 550 || code == 551 || code == 553;
}

void smtp_classify(const struct smtp_event *ev, struct smtp_result *r)
{
	CURLcode rc = (CURLcode)ev->curl_code;
	const char *reply = ev->reply ? ev->reply : "";
	const char *cmd = ev->cmd ? ev->cmd : "";
	const char *why = ev->why && *ev->why ? ev->why : curl_easy_strerror(rc);
	const char *after = cmd[0] ? cmd : "connecting";
	r->outcome = SMTP_CONN;
	r->hard = false;
	r->exit_code = 0;
	if (rc == CURLE_OK) {
		r->outcome = SMTP_SENT;
		r->code = ev->response_code ? ev->response_code : smtp_reply_code(reply);
		snprintf(r->reply, sizeof r->reply, "%s", reply);
		return;
	}
	/* A failure keeps only a code that is a failure: a drop after RCPT's
	 * 250 is not a 250. */
	int code = smtp_reply_code(reply);
	r->code = code >= 400 ? code : 0;
	if (r->code)
		snprintf(r->reply, sizeof r->reply, "%.240s (after %.15s)", reply, after);
	else
		snprintf(r->reply, sizeof r->reply, "%.240s (after %.15s)", why, after);

	if (ev->garbage) {
		r->outcome = SMTP_FATAL;
		r->exit_code = EX_UNAVAILABLE;
		snprintf(r->reply, sizeof r->reply, "not an SMTP server: it greeted with "
		         "\"%.120s\"", reply);
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_USE_SSL_FAILED:
	case CURLE_UNSUPPORTED_PROTOCOL:
		r->outcome = SMTP_FATAL;
		r->exit_code = EX_UNAVAILABLE;
		snprintf(r->reply, sizeof r->reply, "%s", why);
		return;
	case CURLE_LOGIN_DENIED:
		r->outcome = SMTP_FATAL;
		r->exit_code = EX_CONFIG;
		return;
	default:
		break;
	}
	if (!r->code) {
		/* No reply to judge by: a timeout, a drop, a reply too long. */
		r->outcome = SMTP_CONN;
		return;
	}
	bool perm = r->code >= 500;
	if (r->code == 421) {
		/* "Service not available, closing": about the connection. */
		r->outcome = SMTP_CONN;
	} else if (!cmd[0] || !strcmp(cmd, "EHLO") || !strcmp(cmd, "HELO") ||
	           !strcmp(cmd, "STARTTLS") || !strcmp(cmd, "AUTH")) {
		/* Before any mail: 554 as the greeting, EHLO refused. */
		r->outcome = perm ? SMTP_FATAL : SMTP_CONN;
		r->exit_code = perm ? EX_UNAVAILABLE : 0;
	} else if (!strcmp(cmd, "MAIL")) {
		/* The server refuses our sender: the same for every recipient. */
		r->outcome = perm ? SMTP_FATAL : SMTP_MSG_TEMP;
		r->exit_code = perm ? EX_UNAVAILABLE : 0;
	} else if (!strcmp(cmd, "RCPT")) {
		r->outcome = perm ? SMTP_RCPT_PERM : SMTP_RCPT_TEMP;
		r->hard = perm && address_is_bad(reply, r->code);
	} else if (!strcmp(cmd, "DATA")) {
		r->outcome = perm ? SMTP_MSG_PERM : SMTP_MSG_TEMP;
	} else {
		r->outcome = SMTP_CONN;
	}
}
