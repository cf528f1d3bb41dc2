/* test_dsn.c — mail/dsn.c on small messages written for these tests: what
 * kind of message each is, which recipient it names with which status,
 * and the verdict, where a wrong "hard" would unsubscribe a real reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dsn.h"
#include "xalloc.h"

/* A multipart/report with a notice, one delivery-status part and the
 * returned headers. LF line ends; parse() tries CRLF too. */
static char *report(const char *notice, const char *status_fields)
{
	return xasprintf(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
		"To: bounces@example.org\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Message-ID: <report-1@mx.example.net>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status;\n"
		"\tboundary=\"b1\"\n"
		"\n"
		"--b1\n"
		"Content-Type: text/plain\n"
		"\n"
		"%s\n"
		"--b1\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"%s"
		"\n"
		"--b1\n"
		"Content-Type: text/rfc822-headers\n"
		"\n"
		"From: Digest <digest@example.org>\n"
		"To: reader@example.com\n"
		"Message-ID: <nkdigest.0123456789abcdef.3.fedcba9876543210@example.org>\n"
		"Subject: Today\n"
		"\n"
		"--b1--\n", notice, status_fields);
}

static void crlf(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (*s == '\n')
			buf_addc(out, '\r');
		buf_addc(out, *s);
	}
}

/* Parses msg with LF and with CRLF line ends; both must agree. */
static void parse(const char *msg, struct dsn_message *m)
{
	struct nk_err e = {0};
	struct buf b = {0};
	crlf(msg, &b);
	struct dsn_message c;
	assert_int_equal(dsn_parse(b.s, b.len, &c, &e), 0);
	assert_int_equal(dsn_parse(msg, strlen(msg), m, &e), 0);
	assert_int_equal(c.kind, m->kind);
	assert_int_equal(c.nrcpts, m->nrcpts);
	for (size_t i = 0; i < m->nrcpts; i++) {
		assert_string_equal(c.rcpts[i].address, m->rcpts[i].address);
		assert_int_equal(dsn_classify(&c.rcpts[i]), dsn_classify(&m->rcpts[i]));
	}
	dsn_message_free(&c);
	buf_free(&b);
}

static void test_rfc3464_user_unknown_is_hard(void **state)
{
	(void)state;
	char *msg = report("The mail system could not deliver your message.",
	                   "Final-Recipient: rfc822; reader@example.com\n"
	                   "Action: failed\n"
	                   "Status: 5.1.1\n"
	                   "Diagnostic-Code: smtp; 550 5.1.1 <reader@example.com>: Recipient\n"
	                   "    address rejected: User unknown in local recipient table\n");
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.kind, DSN_REPORT);
	assert_int_equal(m.nrcpts, 1);
	assert_string_equal(m.rcpts[0].address, "reader@example.com");
	assert_string_equal(m.rcpts[0].action, "failed");
	assert_string_equal(m.rcpts[0].status, "5.1.1");
	assert_int_equal(m.rcpts[0].reply, 550);
	assert_non_null(strstr(m.rcpts[0].diagnostic, "Recipient address rejected: User unknown"));
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_HARD);
	assert_string_equal(m.original_id, "nkdigest.0123456789abcdef.3.fedcba9876543210@example.org");
	assert_string_equal(m.message_id, "report-1@mx.example.net");
	dsn_message_free(&m);
	free(msg);
}

/* A Diagnostic-Code with no type before the reply: the code is the first
 * thing in the string (reading before it was a heap overflow). */
static void test_a_reply_code_at_the_start_of_the_diagnostic(void **state)
{
	(void)state;
	char *msg = report("Delivery failed.",
	                   "Final-Recipient: rfc822; reader@example.com\n"
	                   "Action: failed\n"
	                   "Status: 5.0.0\n"
	                   "Diagnostic-Code: 550 user unknown\n");
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.nrcpts, 1);
	assert_int_equal(m.rcpts[0].reply, 550);
	assert_string_equal(m.rcpts[0].diagnostic, "550 user unknown");
	dsn_message_free(&m);
	free(msg);
}

/* Each: Status, Diagnostic-Code, notice text, the verdict. */
static void test_verdicts(void **state)
{
	(void)state;
	static const struct {
		const char *status, *diag, *notice;
		enum dsn_verdict want;
	} c[] = {
		{ "5.1.1", "smtp; 550 5.1.1 No such user", "", DSN_HARD },
		{ "5.1.2", "smtp; 550 5.1.2 Host unknown", "", DSN_HARD },
		{ "5.1.6", "smtp; 551 5.1.6 Recipient has moved", "", DSN_HARD },
		{ "5.1.10", "smtp; 550 5.1.10 Recipient not found", "", DSN_HARD },
		{ "5.0.0", "smtp; 550 5.1.1 The email account does not exist", "", DSN_HARD },
		{ "5.4.4", "X-Postfix; Host or domain name not found. Name service error for "
		  "name=nowhere.example type=MX: Host not found", "", DSN_HARD },
		{ "5.0.0", "smtp; 550 5.5.0 Invalid recipient", "", DSN_HARD },
		/* The address is fine, or may be: soft. */
		{ "5.2.2", "smtp; 552 5.2.2 Mailbox full", "", DSN_SOFT },
		{ "5.1.1", "smtp; 550 5.1.1 Mailbox over quota", "", DSN_SOFT },
		{ "5.7.1", "smtp; 550 5.7.1 Message rejected as spam", "", DSN_SOFT },
		{ "5.7.1", "smtp; 550 5.7.1 User unknown", "", DSN_SOFT },       /* policy code */
		{ "5.2.1", "smtp; 550 5.2.1 User unknown", "", DSN_SOFT },       /* mailbox status */
		{ "5.0.0", "smtp; 550 User unknown", "", DSN_SOFT },             /* no address code */
		{ "5.0.0", "smtp; 550 : User unknown", "", DSN_SOFT },
		{ "5.1.8", "smtp; 553 5.1.8 Domain of sender address does not exist", "", DSN_SOFT },
		{ "5.1.1", "x-unix; procmail: No such user", "", DSN_SOFT },
		{ "5.4.4", "X-Postfix; Host not found, try again", "", DSN_SOFT },
		{ "5.1.1", "smtp; 550 5.1.1 User unknown", "Not enough disk space", DSN_SOFT },
		{ "5.1.1", "smtp; 550 5.1.1 Blocked by DNSBL", "", DSN_SOFT },
		{ "4.1.1", "smtp; 450 4.1.1 User unknown", "", DSN_SOFT },
		{ "5.0.0", "", "", DSN_SOFT },
		{ "5.1.1", "smtp; 421 4.7.0 Try again later", "", DSN_SOFT },
		/* An address that says "unknown" does not make it so. */
		{ "5.2.2", "smtp; 552 5.2.2 <no-such-user@example.com> mailbox full", "", DSN_SOFT },
		{ "5.1.1", "smtp; 550 5.1.1 <spam-desk@example.com> user unknown", "", DSN_HARD },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *fields = xasprintf("Final-Recipient: rfc822; reader@example.com\n"
		                         "Action: failed\nStatus: %s\n%s%s%s", c[i].status,
		                         *c[i].diag ? "Diagnostic-Code: " : "", c[i].diag,
		                         *c[i].diag ? "\n" : "");
		char *msg = report(*c[i].notice ? c[i].notice : "Delivery failed.", fields);
		struct dsn_message m;
		parse(msg, &m);
		assert_int_equal(m.nrcpts, 1);
		enum dsn_verdict v = dsn_classify(&m.rcpts[0]);
		if (v != c[i].want)
			fail_msg("case %zu (%s %s): got %d, want %d", i, c[i].status, c[i].diag, v,
			         c[i].want);
		dsn_message_free(&m);
		free(msg);
		free(fields);
	}
}

static void test_actions_other_than_failed(void **state)
{
	(void)state;
	static const struct { const char *action, *status; enum dsn_verdict want; } c[] = {
		{ "delivered", "2.0.0", DSN_NONE },
		{ "relayed", "2.0.0", DSN_NONE },
		{ "expanded", "2.0.0", DSN_NONE },
		{ "delayed", "4.4.7", DSN_SOFT },
		{ "delayed", "5.1.1", DSN_SOFT },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *fields = xasprintf("Original-Recipient: rfc822;reader@example.com\n"
		                         "Final-Recipient: rfc822;alias@example.com\n"
		                         "Action: %s\nStatus: %s\n", c[i].action, c[i].status);
		char *msg = report("Notice.", fields);
		struct dsn_message m;
		parse(msg, &m);
		/* The address as we sent it: Original-Recipient first. */
		assert_string_equal(m.rcpts[0].address, "reader@example.com");
		assert_int_equal(dsn_classify(&m.rcpts[0]), c[i].want);
		dsn_message_free(&m);
		free(msg);
		free(fields);
	}
}

static void test_several_recipients(void **state)
{
	(void)state;
	char *msg = report("Notice.",
	                   "Final-Recipient: rfc822; gone@example.com\nAction: failed\n"
	                   "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown user\n\n"
	                   "Final-Recipient: rfc822; full@example.com\nAction: failed\n"
	                   "Status: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 over quota\n\n"
	                   "Final-Recipient: rfc822; @example.com\nAction: failed\n"
	                   "Status: 5.1.1\n");
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.nrcpts, 2);   /* the one without an address is left out */
	assert_string_equal(m.rcpts[0].address, "gone@example.com");
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_HARD);
	assert_string_equal(m.rcpts[1].address, "full@example.com");
	assert_int_equal(dsn_classify(&m.rcpts[1]), DSN_SOFT);
	dsn_message_free(&m);
	free(msg);
}

/* Exim's bounce, the server's reply given after cmd. */
static char *exim(const char *cmd)
{
	return xasprintf(
		"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
		"To: bounces@example.org\n"
		"Subject: Mail delivery failed: returning message to sender\n"
		"X-Failed-Recipients: reader@example.com\n"
		"Auto-Submitted: auto-replied\n"
		"\n"
		"This message was created automatically by mail delivery software.\n"
		"\n"
		"A message that you sent could not be delivered to one or more of its\n"
		"recipients. This is a permanent error. The following address(es) failed:\n"
		"\n"
		"  reader@example.com\n"
		"    SMTP error from remote mail server after %s:\n"
		"    550 5.1.1 <reader@example.com>: no such user here\n"
		"\n"
		"------ This is a copy of the message, including all the headers. ------\n"
		"\n"
		"Message-ID: <nkdigest.0123456789abcdef.4.00@example.org>\n"
		"To: reader@example.com\n"
		"\n"
		"Hello\n", cmd);
}

static void test_exim_text_bounce(void **state)
{
	(void)state;
	char *msg = exim("RCPT TO:<reader@example.com>");
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.kind, DSN_TEXT);
	assert_int_equal(m.nrcpts, 1);
	assert_string_equal(m.rcpts[0].status, "5.1.1");
	assert_int_equal(m.rcpts[0].reply, 550);
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_HARD);
	dsn_message_free(&m);
	free(msg);
	/* The same words after MAIL FROM or DATA are about the sender or the
	 * message. */
	const char *other[] = { "MAIL FROM:<digest@example.org> SIZE=1234", "end of data" };
	for (size_t i = 0; i < 2; i++) {
		msg = exim(other[i]);
		parse(msg, &m);
		assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_SOFT);
		dsn_message_free(&m);
		free(msg);
	}
}

static void test_postfix_text_bounce_and_a_forwarded_one(void **state)
{
	(void)state;
	const char *msg =
		"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"\n"
		"I'm sorry to have to inform you that your message could not\n"
		"be delivered to one or more recipients.\n"
		"\n"
		"<reader@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"
		"    <reader@example.com>: Recipient address rejected: User unknown (in reply\n"
		"    to RCPT TO command)\n"
		"\n"
		"<other@example.com>: host mx.example.com[192.0.2.1] said: 552 5.2.2 Over\n"
		"    quota (in reply to RCPT TO command)\n";
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.kind, DSN_TEXT);
	assert_int_equal(m.nrcpts, 2);
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_SOFT);   /* "quota" in the notice */
	dsn_message_free(&m);
	/* Alone, the first is hard. */
	char *one = xstrndup(msg, (size_t)(strstr(msg, "<other@") - msg));
	parse(one, &m);
	assert_int_equal(m.nrcpts, 1);
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_HARD);
	dsn_message_free(&m);
	free(one);
	/* A person passing a bounce on is not a bounce. */
	char *fwd = xasprintf("From: Jane <jane@example.org>\nSubject: Fwd: Undelivered Mail\n\n%s",
	                      strstr(msg, "\n\n") + 2);
	parse(fwd, &m);
	assert_int_equal(m.kind, DSN_OTHER);
	assert_int_equal(m.nrcpts, 0);
	dsn_message_free(&m);
	free(fwd);
}

static void test_arf_complaint(void **state)
{
	(void)state;
	const char *msg =
		"From: <fbl@isp.example>\n"
		"To: <abuse@example.org>\n"
		"Subject: FW: Today\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"p\"\n"
		"\n"
		"--p\n"
		"Content-Type: text/plain\n"
		"\n"
		"This is an email abuse report.\n"
		"--p\n"
		"Content-Type: message/feedback-report\n"
		"\n"
		"Feedback-Type: abuse\n"
		"User-Agent: FBL/1.0\n"
		"Version: 1\n"
		"Original-Rcpt-To: <reader@example.com>\n"
		"\n"
		"--p\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: Digest <digest@example.org>\n"
		"To: someone-else@example.com\n"
		"Message-ID: <nkdigest.0123456789abcdef.5.11@example.org>\n"
		"\n"
		"Body\n"
		"--p--\n";
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.kind, DSN_COMPLAINT);
	assert_string_equal(m.feedback_type, "abuse");
	assert_int_equal(m.nrcpts, 1);
	assert_string_equal(m.rcpts[0].address, "reader@example.com");
	assert_string_equal(m.original_id, "nkdigest.0123456789abcdef.5.11@example.org");
	dsn_message_free(&m);
	/* Without Original-Rcpt-To, the reported message's To. */
	char *noorig = xstrdup(msg);
	char *o = strstr(noorig, "Original-Rcpt-To");
	memcpy(o, "X-Original-Rcpt", 15);
	parse(noorig, &m);
	assert_string_equal(m.rcpts[0].address, "someone-else@example.com");
	dsn_message_free(&m);
	free(noorig);
}

static void test_auto_reply_and_ordinary_mail(void **state)
{
	(void)state;
	struct dsn_message m;
	parse("From: Jane <jane@example.com>\nTo: digest@example.org\n"
	      "Subject: Out of Office: Today\nAuto-Submitted: auto-replied\n\nAway.\n", &m);
	assert_int_equal(m.kind, DSN_AUTOREPLY);
	dsn_message_free(&m);
	parse("From: Jane <jane@example.com>\nTo: unsubscribe@example.org\n"
	      "Subject: unsubscribe v1.abc\n\nPlease.\n", &m);
	assert_int_equal(m.kind, DSN_OTHER);
	assert_string_equal(m.subject, "unsubscribe v1.abc");
	assert_int_equal(m.nto, 1);
	assert_string_equal(m.to[0], "unsubscribe@example.org");
	assert_string_equal(m.text, "Please.\n");
	dsn_message_free(&m);
}

/* An SES bounce notification (a long line wrapped with "\n "). */
static char *ses(const char *bounce_type)
{
	return xasprintf(
		"From: <no-reply@sns.amazonaws.com>\nSubject: AWS Notification Message\n"
		"Content-Type: text/plain; charset=UTF-8\n\n"
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"%s\","
		"\"bouncedRecipients\":[{\"emailAddress\":\"reader@exam\n ple.com\","
		"\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":"
		"\"smtp; 550 5.1.1 user unknown\"}]}}\n", bounce_type);
}

static void test_ses_notifications(void **state)
{
	(void)state;
	char *msg = ses("Permanent");
	struct dsn_message m;
	parse(msg, &m);
	assert_int_equal(m.kind, DSN_REPORT);
	assert_string_equal(m.rcpts[0].address, "reader@example.com");   /* unwrapped */
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_HARD);
	dsn_message_free(&m);
	free(msg);
	msg = ses("Transient");
	parse(msg, &m);
	assert_int_equal(dsn_classify(&m.rcpts[0]), DSN_SOFT);
	dsn_message_free(&m);
	free(msg);
	parse("From: <no-reply@sns.amazonaws.com>\n\n{\"notificationType\":\"Complaint\","
	      "\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"reader@example.com\"}],"
	      "\"complaintFeedbackType\":\"abuse\"}}\n", &m);
	assert_int_equal(m.kind, DSN_COMPLAINT);
	assert_string_equal(m.rcpts[0].address, "reader@example.com");
	dsn_message_free(&m);
}

static void test_odd_input(void **state)
{
	(void)state;
	struct dsn_message m;
	struct nk_err e = {0};
	assert_int_equal(dsn_parse("no header here at all", 21, &m, &e), EX_DATAERR);
	assert_int_equal(dsn_parse("", 0, &m, &e), EX_DATAERR);
	/* An mbox From line first; a boundary that never comes; binary junk. */
	char *msg = report("x", "Final-Recipient: rfc822; reader@example.com\nAction: failed\n"
	                   "Status: 5.1.1\n");
	char *from = xasprintf("From MAILER-DAEMON Fri Jan  5 10:03:20 2024\n%s", msg);
	parse(from, &m);
	assert_int_equal(m.kind, DSN_REPORT);
	assert_int_equal(m.nrcpts, 1);
	dsn_message_free(&m);
	char *broken = xstrdup(msg);
	for (char *p = strstr(broken, "--b1"); p; p = strstr(p, "--b1"))
		memcpy(p, "--zz", 4);
	parse(broken, &m);
	assert_int_equal(m.kind, DSN_REPORT);
	assert_int_equal(m.nrcpts, 1);
	assert_string_equal(m.rcpts[0].address, "reader@example.com");
	dsn_message_free(&m);
	unsigned char junk[600];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	memcpy(junk, "Subject: x\n\n", 12);
	assert_int_equal(dsn_parse((char *)junk, sizeof junk, &m, &e), 0);
	dsn_message_free(&m);
	free(broken);
	free(from);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3464_user_unknown_is_hard),
		cmocka_unit_test(test_a_reply_code_at_the_start_of_the_diagnostic),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_actions_other_than_failed),
		cmocka_unit_test(test_several_recipients),
		cmocka_unit_test(test_exim_text_bounce),
		cmocka_unit_test(test_postfix_text_bounce_and_a_forwarded_one),
		cmocka_unit_test(test_arf_complaint),
		cmocka_unit_test(test_auto_reply_and_ordinary_mail),
		cmocka_unit_test(test_ses_notifications),
		cmocka_unit_test(test_odd_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
