/* test_smtp_classify.c — smtp_classify(): what a finished SMTP transfer
 * means for the recipient, the run and the journal, from a table of what
 * libcurl and the server said. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "smtp.h"

struct row {
	const char *what;        /* the behaviour, for the failure message */
	CURLcode curl;
	int response;
	const char *reply, *cmd, *why;
	enum smtp_outcome outcome;
	int code;                /* the code journalled */
	int exit_code;           /* for SMTP_FATAL */
	const char *kept;        /* the reply line journalled */
};

static const struct row rows[] = {
	{ "250 after DATA is sent", CURLE_OK, 250, "250 2.0.0 Ok: queued as 1", "DATA", "",
	  SMTP_SENT, 250, 0, "250 2.0.0 Ok: queued as 1" },
	{ "550 to RCPT is this recipient's permanent failure", CURLE_SEND_ERROR, 0,
	  "550 5.1.1 <x@y>: user unknown", "RCPT", "",
	  SMTP_PERM, 550, 0, "550 5.1.1 <x@y>: user unknown (after RCPT)" },
	{ "451 to RCPT defers the recipient", CURLE_SEND_ERROR, 0, "451 4.7.1 greylisted",
	  "RCPT", "", SMTP_TEMP, 451, 0, "451 4.7.1 greylisted (after RCPT)" },
	{ "421 mid-session defers", CURLE_SEND_ERROR, 0, "421 4.3.2 going down", "MAIL", "",
	  SMTP_TEMP, 421, 0, "421 4.3.2 going down (after MAIL)" },
	{ "5xx to MAIL: the sender is refused, nothing can be sent", CURLE_SEND_ERROR, 0,
	  "553 5.7.1 sender rejected", "MAIL", "", SMTP_FATAL, 553, EX_UNAVAILABLE,
	  "553 5.7.1 sender rejected (after MAIL)" },
	{ "554 as the greeting: the server will not talk to us", CURLE_WEIRD_SERVER_REPLY, 0,
	  "554 no service", "", "", SMTP_FATAL, 554, EX_UNAVAILABLE,
	  "554 no service (after connecting)" },
	{ "a refused login stops the run as a configuration error", CURLE_LOGIN_DENIED, 0,
	  "535 5.7.8 authentication failed", "AUTH", "", SMTP_FATAL, 535, EX_CONFIG,
	  "535 5.7.8 authentication failed (after AUTH)" },
	{ "a refused connection stops the run", CURLE_COULDNT_CONNECT, 0, "", "",
	  "Failed to connect to 127.0.0.1 port 1", SMTP_FATAL, 0, EX_UNAVAILABLE,
	  "Failed to connect to 127.0.0.1 port 1" },
	{ "a TLS verification failure stops the run, with libcurl's reason",
	  CURLE_PEER_FAILED_VERIFICATION, 0, "220 2.0.0 Ready to start TLS", "STARTTLS",
	  "certificate not trusted", SMTP_FATAL, 220, EX_UNAVAILABLE, "certificate not trusted" },
	{ "a timeout defers, with libcurl's reason", CURLE_OPERATION_TIMEDOUT, 250,
	  "250 2.1.5 Ok", "RCPT", "Operation timed out after 60000 milliseconds",
	  SMTP_TEMP, 250, 0, "Operation timed out after 60000 milliseconds" },
	{ "a dropped connection without a reply defers", CURLE_RECV_ERROR, 0, "", "DATA", "",
	  SMTP_TEMP, 0, 0, "Failure when receiving data from the peer" },
	{ "5xx to EHLO is not the recipient's fault", CURLE_WEIRD_SERVER_REPLY, 0,
	  "502 command not implemented", "EHLO", "", SMTP_TEMP, 502, 0,
	  "502 command not implemented (after EHLO)" },
	{ "the response code comes from the reply when libcurl has none", CURLE_OK, 0,
	  "250 ok", "DATA", "", SMTP_SENT, 250, 0, "250 ok" },
};

static void classifies_every_row_of_the_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct smtp_event ev = { (int)r->curl, r->response, r->reply, r->cmd, r->why };
		struct smtp_result res;
		memset(&res, 0x55, sizeof res);
		res.tag = (void *)&rows[i];
		smtp_classify(&ev, &res);
		if (res.outcome != r->outcome || res.code != r->code ||
		    (r->outcome == SMTP_FATAL && res.exit_code != r->exit_code) ||
		    strcmp(res.reply, r->kept) || res.tag != &rows[i])
			fail_msg("%s: got outcome %d, code %d, exit %d, reply \"%s\"", r->what,
			         res.outcome, res.code, res.exit_code, res.reply);
	}
}

static void a_long_reply_is_cut_to_fit(void **state)
{
	(void)state;
	char reply[2000];
	memset(reply, 'x', sizeof reply - 1);
	memcpy(reply, "550 ", 4);
	reply[sizeof reply - 1] = '\0';
	struct smtp_event ev = { CURLE_SEND_ERROR, 0, reply, "RCPT", "" };
	struct smtp_result res;
	smtp_classify(&ev, &res);
	assert_int_equal(res.outcome, SMTP_PERM);
	assert_true(strlen(res.reply) < sizeof res.reply);
	assert_non_null(strstr(res.reply, "(after RCPT)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classifies_every_row_of_the_table),
		cmocka_unit_test(a_long_reply_is_cut_to_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
