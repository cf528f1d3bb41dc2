/* test_smtp_classify.c — the SMTP transport's pure parts: smtp_classify(),
 * what a finished message means for the recipient, the run and the
 * journal, from a table of what libcurl and the server said; and the
 * dot-stuffing of a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"
#include "smtp_link.h"

struct row {
	const char *what;        /* the behaviour, for the failure message */
	CURLcode curl;
	int response;
	const char *reply, *cmd, *why;
	enum smtp_outcome outcome;
	int code;                /* the code journalled */
	int exit_code;           /* for SMTP_FATAL */
	const char *kept;        /* the reply line journalled */
	bool hard;               /* a hard bounce */
	bool garbage;            /* the greeting was not SMTP */
};

static const struct row rows[] = {
	{ "250 after DATA is sent", CURLE_OK, 250, "250 2.0.0 Ok: queued as 1", "DATA", "",
	  SMTP_SENT, 250, 0, "250 2.0.0 Ok: queued as 1", false, false },
	{ "the response code comes from the reply when libcurl has none", CURLE_OK, 0,
	  "250 ok", "DATA", "", SMTP_SENT, 250, 0, "250 ok", false, false },
	{ "5.1.1 to RCPT: the address is bad, a hard bounce", CURLE_SEND_ERROR, 0,
	  "550 5.1.1 <x@y>: user unknown", "RCPT", "",
	  SMTP_RCPT_PERM, 550, 0, "550 5.1.1 <x@y>: user unknown (after RCPT)", true, false },
	{ "5.2.1 to RCPT: the mailbox is disabled, a hard bounce", CURLE_SEND_ERROR, 0,
	  "550 5.2.1 mailbox disabled", "RCPT", "",
	  SMTP_RCPT_PERM, 550, 0, "550 5.2.1 mailbox disabled (after RCPT)", true, false },
	{ "550 without an enhanced code to RCPT counts as a hard bounce", CURLE_SEND_ERROR, 0,
	  "550 no such user", "RCPT", "", SMTP_RCPT_PERM, 550, 0,
	  "550 no such user (after RCPT)", true, false },
	{ "5.7.1 to RCPT is policy: failed, but not a bounce", CURLE_SEND_ERROR, 0,
	  "550 5.7.1 rejected by policy", "RCPT", "", SMTP_RCPT_PERM, 550, 0,
	  "550 5.7.1 rejected by policy (after RCPT)", false, false },
	{ "5.2.2 to RCPT is a full mailbox: not a bounce", CURLE_SEND_ERROR, 0,
	  "552 5.2.2 mailbox full", "RCPT", "", SMTP_RCPT_PERM, 552, 0,
	  "552 5.2.2 mailbox full (after RCPT)", false, false },
	{ "554 without an enhanced code to RCPT is not a bounce", CURLE_SEND_ERROR, 0,
	  "554 relay access denied", "RCPT", "", SMTP_RCPT_PERM, 554, 0,
	  "554 relay access denied (after RCPT)", false, false },
	{ "451 to RCPT defers the recipient", CURLE_SEND_ERROR, 0, "451 4.7.1 greylisted",
	  "RCPT", "", SMTP_RCPT_TEMP, 451, 0, "451 4.7.1 greylisted (after RCPT)", false, false },
	{ "550 after DATA is the message, never the recipient", CURLE_SEND_ERROR, 0,
	  "550 5.7.1 Message content rejected", "DATA", "", SMTP_MSG_PERM, 550, 0,
	  "550 5.7.1 Message content rejected (after DATA)", false, false },
	{ "451 after DATA is the message, later", CURLE_SEND_ERROR, 0,
	  "451 4.3.0 try again later", "DATA", "", SMTP_MSG_TEMP, 451, 0,
	  "451 4.3.0 try again later (after DATA)", false, false },
	{ "4xx to MAIL is the message, later", CURLE_SEND_ERROR, 0, "451 4.3.0 busy", "MAIL",
	  "", SMTP_MSG_TEMP, 451, 0, "451 4.3.0 busy (after MAIL)", false, false },
	{ "421 mid-session is about the connection", CURLE_SEND_ERROR, 0,
	  "421 4.3.2 going down", "MAIL", "", SMTP_CONN, 421, 0,
	  "421 4.3.2 going down (after MAIL)", false, false },
	{ "5xx to MAIL: the sender is refused, nothing can be sent", CURLE_SEND_ERROR, 0,
	  "553 5.7.1 sender rejected", "MAIL", "", SMTP_FATAL, 553, EX_UNAVAILABLE,
	  "553 5.7.1 sender rejected (after MAIL)", false, false },
	{ "554 as the greeting: the server will not talk to us", CURLE_WEIRD_SERVER_REPLY, 0,
	  "554 no service", "", "", SMTP_FATAL, 554, EX_UNAVAILABLE,
	  "554 no service (after connecting)", false, false },
	{ "421 as the greeting: about the connection", CURLE_WEIRD_SERVER_REPLY, 0,
	  "421 too busy", "", "", SMTP_CONN, 421, 0, "421 too busy (after connecting)", false, false },
	{ "a greeting that is not SMTP: the server is unusable", CURLE_ABORTED_BY_CALLBACK, 0,
	  "HTTP/1.1 400 Bad Request", "", "", SMTP_FATAL, 0, EX_UNAVAILABLE,
	  "not an SMTP server: it greeted with \"HTTP/1.1 400 Bad Request\"", false, true },
	{ "5xx to EHLO: the server will not talk to us", CURLE_WEIRD_SERVER_REPLY, 0,
	  "554 go away", "EHLO", "", SMTP_FATAL, 554, EX_UNAVAILABLE,
	  "554 go away (after EHLO)", false, false },
	{ "a refused login stops the run as a configuration error", CURLE_LOGIN_DENIED, 0,
	  "535 5.7.8 authentication failed", "AUTH", "", SMTP_FATAL, 535, EX_CONFIG,
	  "535 5.7.8 authentication failed (after AUTH)", false, false },
	{ "a refused connection stops the run", CURLE_COULDNT_CONNECT, 0, "", "",
	  "Failed to connect to 127.0.0.1 port 1", SMTP_FATAL, 0, EX_UNAVAILABLE,
	  "Failed to connect to 127.0.0.1 port 1", false, false },
	{ "a TLS verification failure stops the run, with libcurl's reason",
	  CURLE_PEER_FAILED_VERIFICATION, 0, "220 2.0.0 Ready to start TLS", "STARTTLS",
	  "certificate not trusted", SMTP_FATAL, 0, EX_UNAVAILABLE, "certificate not trusted",
	  false, false },
	{ "a timeout is about the connection and keeps no success code",
	  CURLE_OPERATION_TIMEDOUT, 250, "250 2.1.5 Ok", "RCPT",
	  "Operation timed out after 60000 milliseconds", SMTP_CONN, 0, 0,
	  "Operation timed out after 60000 milliseconds (after RCPT)", false, false },
	{ "a drop at DATA keeps no 354 or 250", CURLE_RECV_ERROR, 354, "354 go ahead", "DATA",
	  "", SMTP_CONN, 0, 0, "Failure when receiving data from the peer (after DATA)",
	  false, false },
	{ "a reply too long to read is about the connection", CURLE_RECV_ERROR, 220,
	  "250-xxxxxxxx", "EHLO", "Too large response headers: 313338 > 307200", SMTP_CONN, 0,
	  0, "Too large response headers: 313338 > 307200 (after EHLO)", false,
	  false },
};

static void classifies_every_row_of_the_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct smtp_event ev = { (int)r->curl, r->response, r->reply, r->cmd, r->why,
		                         r->garbage };
		struct smtp_result res;
		memset(&res, 0x55, sizeof res);
		res.tag = (void *)&rows[i];
		smtp_classify(&ev, &res);
		if (res.outcome != r->outcome || res.code != r->code || res.hard != r->hard ||
		    (r->outcome == SMTP_FATAL && res.exit_code != r->exit_code) ||
		    strcmp(res.reply, r->kept) || res.tag != &rows[i])
			fail_msg("%s: got outcome %d, code %d, hard %d, exit %d, reply \"%s\"",
			         r->what, res.outcome, res.code, res.hard, res.exit_code, res.reply);
	}
}

static void a_long_reply_is_cut_to_fit(void **state)
{
	(void)state;
	char reply[2000];
	memset(reply, 'x', sizeof reply - 1);
	memcpy(reply, "550 ", 4);
	reply[sizeof reply - 1] = '\0';
	struct smtp_event ev = { CURLE_SEND_ERROR, 0, reply, "RCPT", "", false };
	struct smtp_result res;
	smtp_classify(&ev, &res);
	assert_int_equal(res.outcome, SMTP_RCPT_PERM);
	assert_true(strlen(res.reply) < sizeof res.reply);
	assert_non_null(strstr(res.reply, "(after RCPT)"));
}

/* The transport's other pure part: a line that starts with a dot gets a
 * second one, so that the server does not take it for the end. */
static void dots_at_line_starts_are_doubled(void **state)
{
	(void)state;
	size_t n = 0;
	assert_null(smtp_dot_stuffed("a.b\r\nc.\r\n", 9, &n));
	assert_null(smtp_dot_stuffed("", 0, &n));
	static const char in[] = ".x\r\nok\r\n.\r\n..y\r\n.";
	char *out = smtp_dot_stuffed(in, sizeof in - 1, &n);
	static const char want[] = "..x\r\nok\r\n..\r\n...y\r\n..";
	assert_non_null(out);
	assert_int_equal(n, sizeof want - 1);
	assert_memory_equal(out, want, n);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classifies_every_row_of_the_table),
		cmocka_unit_test(a_long_reply_is_cut_to_fit),
		cmocka_unit_test(dots_at_line_starts_are_doubled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
