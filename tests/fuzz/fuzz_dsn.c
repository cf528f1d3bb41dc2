/* fuzz_dsn.c — dsn_parse (libetpan's MIME parser, the header reader, the
 * report, complaint, SES and plain-text bounce readers) and dsn_classify on
 * any bytes, as `nkdigest bounces` meets them in a mailbox: no crash, and
 * every message it returns keeps the promises of dsn.h. */
#include "fuzz.h"

#include "dsn.h"
#include "log.h"

static void check_line(const char *s)
{
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(!strchr(s, '\n') && !strchr(s, '\r'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_QUIET);
	struct dsn_message m;
	struct nk_err e = {0};
	int rc = dsn_parse((const char *)data, size, &m, &e);
	FUZZ_CHECK(rc == 0 || rc == EX_DATAERR);
	if (rc != 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		dsn_message_free(&m);
		return 0;
	}
	FUZZ_CHECK(m.kind >= DSN_OTHER && m.kind <= DSN_AUTOREPLY);
	FUZZ_CHECK(m.message_id && m.original_id && m.subject && m.feedback_type);
	FUZZ_CHECK(m.text && strlen(m.text) <= 8192);
	FUZZ_CHECK(!strchr(m.text, '\r'));
	FUZZ_CHECK(m.nto == 0 || m.to);
	for (size_t i = 0; i < m.nto; i++)
		FUZZ_CHECK(m.to[i] && strchr(m.to[i], '@'));
	FUZZ_CHECK(m.nrcpts <= 100);
	FUZZ_CHECK(m.kind != DSN_COMPLAINT || m.nrcpts <= 1);
	for (size_t i = 0; i < m.nrcpts; i++) {
		const struct dsn_rcpt *r = &m.rcpts[i];
		FUZZ_CHECK(r->address && r->action && r->status && r->diagnostic);
		check_line(r->diagnostic);
		FUZZ_CHECK(strlen(r->diagnostic) <= 500 * 4);
		FUZZ_CHECK(r->reply == 0 || (r->reply >= 200 && r->reply <= 599));
		enum dsn_verdict v = dsn_classify(r);
		FUZZ_CHECK(v == DSN_NONE || v == DSN_SOFT || v == DSN_HARD);
		/* When in doubt, soft: nothing the report's own words
		 * contradict, and no 4xx status or reply, is ever hard. */
		if (v == DSN_HARD) {
			FUZZ_CHECK(!r->contradicted);
			FUZZ_CHECK(!r->status[0] || r->status[0] == '5');
			FUZZ_CHECK(!r->reply || r->reply / 100 == 5);
		}
	}
	dsn_message_free(&m);
	return 0;
}
