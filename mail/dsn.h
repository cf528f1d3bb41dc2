/* dsn.h — reading the mail that comes back: delivery status notifications
 * (RFC 3464, and the plain-text bounces some servers still send),
 * feedback-loop complaints (ARF, RFC 5965) and automatic replies
 * (RFC 3834), parsed with libetpan's MIME parser.
 *
 * Nothing here knows nkdigest: dsn_parse() says what a message is and what
 * it says about which recipient; dsn_classify() judges one recipient's
 * status the way a mailing list must, where a wrong "hard" unsubscribes a
 * real reader: hard only when the address itself is bad (no such user or
 * domain, moved) and nothing in the server's words says otherwise
 * (mailbox full, spam, policy, blocked, disabled, try again...).
 * Everything else that failed is soft. */
#ifndef NK_DSN_H
#define NK_DSN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum dsn_kind {
	DSN_OTHER,       /* none of the below: a person's mail, a mailto request... */
	DSN_REPORT,      /* multipart/report; report-type=delivery-status */
	DSN_TEXT,        /* a bounce in words only (X-Failed-Recipients, Exim, qmail...) */
	DSN_COMPLAINT,   /* multipart/report; report-type=feedback-report */
	DSN_AUTOREPLY,   /* RFC 3834 auto-replied, vacation, out of office */
};

enum dsn_verdict {
	DSN_NONE,        /* not a failure: delivered, relayed, expanded */
	DSN_SOFT,        /* failed or delayed for a reason that may pass */
	DSN_HARD,        /* the address itself is bad */
};

struct dsn_rcpt {
	char *address;     /* the recipient (Original-Recipient, else Final-Recipient) */
	char *action;      /* "failed", "delayed", ... or "" */
	char *status;      /* "5.1.1", or "" when none was given */
	int reply;         /* the SMTP reply code found in the diagnostic, or 0 */
	char *diagnostic;  /* the server's words, one line, or "" */
	bool contradicted; /* the report's own text says something softer
	                      (mailbox full, blocked...) than its status */
};

/* Every string is owned by the struct; free with dsn_message_free(). */
struct dsn_message {
	enum dsn_kind kind;
	char *message_id;          /* of this message, without <>; "" if none */
	char *original_id;         /* of the message it returns or complains of; "" */
	char *subject;             /* raw (not RFC 2047-decoded); "" */
	char **to;                 /* To, Cc, Delivered-To, X-Original-To, Envelope-To */
	size_t nto;
	char *text;                /* the first text/plain part, decoded, LF line
	                              ends, at most 8 KiB */
	struct dsn_rcpt *rcpts;    /* DSN_REPORT, DSN_TEXT: per recipient; DSN_COMPLAINT:
	                              the one complained of (status "", action "") */
	size_t nrcpts;
	char *feedback_type;       /* DSN_COMPLAINT: "abuse", "fraud", ...; "" */
};

/* Parses msg[0..len) (CRLF or LF lines). Returns 0, or EX_DATAERR when it
 * is not a mail message at all. */
int dsn_parse(const char *msg, size_t len, struct dsn_message *out, struct nk_err *e);
void dsn_message_free(struct dsn_message *m);

/* The verdict on one recipient of a DSN_REPORT or DSN_TEXT. */
enum dsn_verdict dsn_classify(const struct dsn_rcpt *r);

#endif
