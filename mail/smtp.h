/* smtp.h — handing finished messages to an SMTP server, several at once.
 *
 * A pool holds `connections` connections that stay open and carry
 * message after message. libcurl opens them (TLS, required and verified
 * unless the caller says otherwise, STARTTLS, AUTH), each in a short-lived
 * thread; the mail transactions are spoken by the pool itself, pipelined
 * when the server offers it, from the caller's thread, which is the only
 * one that may call these functions. Every outcome keeps the server's
 * reply code and text, and says what the failure is about: the
 * recipient, the message (the same for everybody), the connection, or
 * the whole server. */
#ifndef NK_SMTP_H
#define NK_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct smtp_params {        /* all borrowed for the pool's lifetime */
	const char *url;        /* smtp://host:port (STARTTLS) or smtps://host:port */
	const char *helo;       /* EHLO name */
	bool tls;               /* false: no TLS at all (loopback servers only) */
	bool verify;            /* check certificate and host name */
	const char *ca_file;    /* extra CA bundle, or NULL */
	const char *user;       /* NULL: no AUTH */
	const char *password;   /* AUTH PLAIN/LOGIN, or */
	const char *bearer;     /* AUTH XOAUTH2 with this OAuth 2 token */
	long timeout;           /* seconds per message: from MAIL to the reply
	                           after its data, and for opening */
};

enum smtp_outcome {
	SMTP_SENT,        /* 250 after the message */
	SMTP_RCPT_TEMP,   /* 4xx to RCPT: this recipient, later */
	SMTP_RCPT_PERM,   /* 5xx to RCPT: not this recipient (see `hard`) */
	SMTP_MSG_TEMP,    /* 4xx to MAIL or after DATA: the message, later */
	SMTP_MSG_PERM,    /* 5xx after DATA: the message itself refused (a
	                     content or policy filter): the same for everybody,
	                     never the recipient's fault */
	SMTP_CONN,        /* the connection failed: no or a late greeting, a
	                     timeout, a drop, 421, a reply too long to read */
	SMTP_FATAL,       /* nothing can be sent this run: unreachable server,
	                     TLS failure, login refused, sender refused, not an
	                     SMTP server */
};

struct smtp_result {
	void *tag;               /* what was given to smtp_submit */
	enum smtp_outcome outcome;
	bool hard;               /* SMTP_RCPT_PERM whose reply says the address
	                            itself is bad (a hard bounce); a policy,
	                            full-mailbox or system reason is not */
	int code;                /* the code of the reply that decided it; 0
	                            when the server gave none */
	char reply[300];         /* that reply line, or libcurl's reason, with
	                            the command it answered */
	int exit_code;           /* for SMTP_FATAL: EX_UNAVAILABLE or EX_CONFIG */
};

/* What a finished message or a failed opening leaves behind, for
 * smtp_classify(). */
struct smtp_event {
	int curl_code;          /* libcurl's CURLcode (CURLE_OK = 0); for a
	                           refused command any other code but the ones
	                           for unreachable, TLS and login failures */
	int response_code;      /* CURLINFO_RESPONSE_CODE, 0 to take it from reply */
	const char *reply;      /* the reply that decided it: the first 4xx/5xx of
	                           a failed one, else the last line; may be "" */
	const char *cmd;        /* the verb that reply answered ("MAIL", "RCPT",
	                           "DATA"…), "" before any command was sent */
	const char *why;        /* libcurl's own reason, may be "" */
	bool garbage;           /* the greeting was not an SMTP reply at all */
};

/* Turns a finished message into an outcome, a code and a reply line for
 * the journal: a pure mapping (no I/O), so it can be checked from a table.
 * Leaves out->tag alone. */
void smtp_classify(const struct smtp_event *ev, struct smtp_result *out);

struct smtp_pool;

/* Checks params (tls = false only for a loopback host) and prepares the
 * pool; connects lazily on the first message. Errors: EX_CONFIG on a bad
 * URL or TLS setting, EX_SOFTWARE when libcurl cannot start. */
int smtp_pool_new(const struct smtp_params *p, int connections,
                  struct smtp_pool **out, struct nk_err *e);
void smtp_pool_free(struct smtp_pool *pool);

/* How many messages the pool holds at most: a sending one and a next one
 * per connection. */
size_t smtp_pool_capacity(const struct smtp_pool *pool);
/* Whether another message can be submitted now. */
bool smtp_pool_has_room(const struct smtp_pool *pool);
/* How many messages are on their way. */
size_t smtp_pool_active(const struct smtp_pool *pool);

/* Whether addr can go into MAIL FROM or RCPT TO as it is: 1 to 254
 * printable ASCII characters without spaces or angle brackets. The
 * subscriber list and the config are checked with this, so that nothing
 * is refused later, here. */
bool smtp_address_ok(const char *addr);

/* Queues msg[0..len) (CRLF line ends; borrowed until its result comes
 * back) from `from` to `rcpt`; the dialogue moves on inside
 * smtp_pool_wait. The caller has checked
 * smtp_pool_has_room. Addresses are checked again here (smtp_address_ok):
 * one that fails never reaches the wire (SMTP_RCPT_PERM, not hard). A
 * message that fails on a reused connection before the server said
 * anything (it had closed the connection meanwhile) is tried once more on
 * a fresh connection before its result is reported. */
void smtp_submit(struct smtp_pool *pool, const char *from, const char *rcpt,
                 const char *msg, size_t len, void *tag);

/* Waits at most timeout_ms for finished messages and stores up to max of
 * their results in out. Returns how many were stored. The caller must
 * have journalled every result it was given before it calls smtp_submit
 * or smtp_pool_wait again: a connection's next message ends its data only
 * then, so that a crash leaves at most one accepted but unjournalled
 * message per connection. */
size_t smtp_pool_wait(struct smtp_pool *pool, long timeout_ms,
                      struct smtp_result *out, size_t max);

/* Connects as a delivery would — greeting, EHLO, STARTTLS with
 * verification, AUTH — and hangs up without sending. 0, or the reason with
 * EX_UNAVAILABLE (unreachable, TLS) or EX_CONFIG (login refused). */
int smtp_probe(const struct smtp_params *p, struct nk_err *e);

#endif
