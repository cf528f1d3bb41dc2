/* smtp.c — the pool: messages handed to an SMTP server over several
 * connections at once (see smtp.h).
 *
 * libcurl opens each connection — TCP, greeting, EHLO, STARTTLS with
 * verification, AUTH (smtp_connect.c) — in a thread of its own, because
 * opening blocks. After that the caller's thread speaks SMTP on every
 * open connection from one poll() loop, run inside smtp_pool_wait, through
 * curl_easy_send and curl_easy_recv, which keep libcurl's TLS layer.
 *
 * Why not libcurl for the mail transaction too: its SMTP code (7.88)
 * waits for the reply to the end of every message inside
 * curl_multi_perform, blocking all other connections meanwhile, and with
 * one thread per easy handle the set-up of a transfer and the hand-over
 * between threads for every message kept a loopback server at 0.6 times
 * the rate of Postfix's smtp-source. Speaking the transaction ourselves
 * also lets us pipeline MAIL, RCPT and DATA in one write when the server
 * offers PIPELINING (RFC 2920): two round trips per message instead of
 * four.
 *
 * Each connection holds a second message while it sends the first and
 * starts it as soon as the first is answered, so the server works while
 * the caller journals the reply. The promise of the journal stays: a
 * message's end of data is not sent before the result of the one before
 * it on that connection has been journalled (see smtp_pool_wait), so a
 * crash leaves at most one accepted but unjournalled message per
 * connection. */
#include "smtp.h"
#include "smtp_link.h"
#include "buf.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE 2            /* messages a connection holds: the one it sends, the next */
#define REPLY_MAX 65536    /* a longer reply line is not SMTP: the connection is dropped */
#define QUIT_WAIT_MS 1000  /* for the server's goodbye when the pool closes */

/* One message to send. */
struct job {
	void *tag;
	char *mail, *rcpt;          /* "MAIL FROM:<a>\r\n", "RCPT TO:<a>\r\n" */
	const char *msg;            /* borrowed from the caller, or `stuffed` */
	size_t len;
	char *stuffed;              /* a dot-stuffed copy when the message needs one */
	bool retried;               /* already tried again on a fresh connection */
};

/* What a reply is awaited for, oldest first. */
enum verb { V_MAIL, V_RCPT, V_DATA, V_END, V_RSET, V_QUIT };
static const char *const verb_name[] = { "MAIL", "RCPT", "DATA", "DATA", "RSET", "QUIT" };

enum conn_state {
	C_CLOSED,
	C_OPENING,      /* the opener thread runs */
	C_READY,        /* open, no transaction */
	C_BUSY,         /* a transaction for queue[0] */
	C_RESETTING,    /* RSET sent after a failed transaction */
	C_QUITTING,     /* QUIT sent, the pool is closing */
};

struct conn {
	struct smtp_pool *pool;
	struct link link;
	enum conn_state state;
	pthread_t opener;
	atomic_bool opened;         /* the opener has finished (set by it) */
	CURLcode open_rc;           /* its result, read after opened */
	bool reused;                /* has carried a transaction before this one */

	struct job queue[QUEUE];    /* queue[0] is the one being sent */
	int queued;
	int taken;                  /* submitted, result not taken by the caller */
	int returned;               /* results taken since the last acknowledgement */
	int unacked;                /* results produced, not yet journalled */

	/* The transaction in progress: */
	enum verb expect[4];        /* replies awaited, oldest first */
	int nexpect;
	int next_cmd;               /* without pipelining: 1 RCPT, 2 DATA still to send */
	bool in_body;               /* 354 received, the message is being sent */
	size_t body_off;
	bool end_sent;              /* the end of data has been written */
	bool got_reply;             /* the server answered anything for this message */
	bool failed;                /* a command of this transaction was refused */
	char fail[300];             /* that reply (its last line) */
	const char *fail_cmd;
	const char *last_cmd;       /* verb of the last command sent */
	long long deadline;         /* ms, monotonic */

	struct buf out;             /* commands not yet written */
	size_t out_off;
	char *in;                   /* bytes received, not yet a whole line */
	size_t in_len;
};

/* A finished message waiting to be taken by smtp_pool_wait. */
struct done {
	struct smtp_result r;
	struct conn *c;
};

struct smtp_pool {
	struct conn *conns;
	int n;
	size_t active;                 /* messages submitted, results not taken */
	struct done *results;          /* produced results, oldest first */
	size_t nresults, results_cap;
	struct smtp_result *refused;   /* refused before sending, not yet reported */
	size_t nrefused, refused_cap;
	atomic_bool stop;              /* opener threads give up */
	int wake[2];                   /* an opener writes a byte here when done */
	char *url;                     /* the server's URL with the EHLO name as path */
	struct pollfd *fds;            /* run()'s: the pipe and every connection */
	struct conn **who;
	struct smtp_params p;
};

static int conn_number(const struct conn *c)
{
	return (int)(c - c->pool->conns) + 1;
}

/* --- Opening ------------------------------------------------------------- */

static void *opener(void *ud)
{
	struct conn *c = ud;
	c->open_rc = link_open(&c->link, &c->pool->p, c->pool->url);
	atomic_store(&c->opened, true);
	/* A full pipe already wakes the loop: nothing is lost if this fails. */
	ssize_t w = write(c->pool->wake[1], "", 1);
	(void)w;
	return NULL;
}

static void start_opening(struct conn *c)
{
	c->state = C_OPENING;
	c->reused = false;
	atomic_store(&c->opened, false);
	if (pthread_create(&c->opener, NULL, opener, c) != 0)
		xalloc_die();   /* only fails for want of memory or threads */
}

/* --- Results --------------------------------------------------------------- */

static void job_free(struct job *j)
{
	free(j->mail);
	free(j->rcpt);
	free(j->stuffed);
}

/* Queues r as the result of c's first message and drops that message. */
static void produce(struct conn *c, struct smtp_result *r)
{
	struct smtp_pool *pool = c->pool;
	r->tag = c->queue[0].tag;
	job_free(&c->queue[0]);
	c->queue[0] = c->queue[1];
	c->queued--;
	c->unacked++;
	pool->results = xgrow(pool->results, &pool->results_cap, pool->nresults + 1,
	                      sizeof *pool->results);
	pool->results[pool->nresults++] = (struct done){ *r, c };
}

/* The result of c's first message from what the transaction showed. */
static void produce_event(struct conn *c, CURLcode rc, const char *reply,
                          const char *cmd, const char *why)
{
	struct smtp_event ev = {
		.curl_code = (int)rc, .reply = reply, .cmd = cmd, .why = why,
	};
	struct smtp_result r;
	smtp_classify(&ev, &r);
	produce(c, &r);
}

/* --- Writing --------------------------------------------------------------- */

/* Queues a command line ("MAIL FROM:<a>\r\n") and the reply it awaits. */
static void send_cmd(struct conn *c, const char *line, enum verb v)
{
	buf_adds(&c->out, line);
	c->expect[c->nexpect++] = v;
	c->last_cmd = verb_name[v];
	if (log_enabled(LOG_VERBOSE))
		log_debug("smtp %d > %.*s", conn_number(c), (int)strcspn(line, "\r"), line);
}

static void start_transaction(struct conn *c)
{
	struct job *j = &c->queue[0];
	c->state = C_BUSY;
	c->nexpect = 0;
	c->in_body = c->end_sent = c->got_reply = c->failed = false;
	c->body_off = 0;
	c->fail[0] = '\0';
	c->fail_cmd = NULL;
	c->deadline = link_now_ms() + c->pool->p.timeout * 1000;
	send_cmd(c, j->mail, V_MAIL);
	if (c->link.pipelining) {
		send_cmd(c, j->rcpt, V_RCPT);
		send_cmd(c, "DATA\r\n", V_DATA);
		c->next_cmd = 3;
	} else {
		c->next_cmd = 1;
	}
}

/* What c can do next without waiting for the server. */
static void advance(struct conn *c)
{
	if (c->state == C_READY && c->queued)
		start_transaction(c);
	const struct job *j = &c->queue[0];
	if (c->state == C_BUSY && c->in_body && !c->end_sent && c->unacked == 0 &&
	    (c->body_off == 0 || c->body_off == j->len)) {
		/* The gate of the journal promise (see the top) is open. A
		 * message not begun goes out in one write with its end: one
		 * wake-up less for the server. */
		if (c->body_off == 0) {
			buf_add(&c->out, j->msg, j->len);
			c->body_off = j->len;
		}
		bool crlf = j->len >= 2 && !memcmp(j->msg + j->len - 2, "\r\n", 2);
		buf_adds(&c->out, crlf ? ".\r\n" : "\r\n.\r\n");
		c->expect[c->nexpect++] = V_END;
		c->end_sent = true;
		c->deadline = link_now_ms() + c->pool->p.timeout * 1000;
		if (log_enabled(LOG_VERBOSE))
			log_debug("smtp %d > (the message, %zu bytes) .", conn_number(c), j->len);
	}
}

/* Whether c has bytes to write now. */
static bool wants_write(const struct conn *c)
{
	return c->out_off < c->out.len ||
	       (c->state == C_BUSY && c->in_body && c->body_off < c->queue[0].len);
}

/* --- Failing --------------------------------------------------------------- */

/* Closes c. Its message in flight, if any, fails with why — or, when
 * may_retry, is tried once more on a fresh connection if c was reused and
 * the server said nothing about this message: it had closed the
 * connection meanwhile (it may hang up when idle or after each message). */
static void conn_drop(struct conn *c, CURLcode rc, const char *reply, const char *why,
                      bool may_retry)
{
	if (log_enabled(LOG_VERBOSE))
		log_debug("smtp %d: %s", conn_number(c), why);
	bool busy = c->state == C_BUSY;
	/* Pipelined, the command a reply was missing for is the oldest. */
	const char *cmd = c->nexpect ? verb_name[c->expect[0]] : c->last_cmd;
	link_close(&c->link);
	c->state = C_CLOSED;
	buf_truncate(&c->out, 0);
	c->out_off = c->in_len = 0;
	c->nexpect = 0;
	if (busy) {
		struct job *j = &c->queue[0];
		if (may_retry && c->reused && !c->got_reply && !j->retried) {
			j->retried = true;
		} else if (c->failed) {
			/* A refusal came first: it decides. */
			produce_event(c, CURLE_SEND_ERROR, c->fail, c->fail_cmd, "");
		} else {
			produce_event(c, rc, reply, cmd, why);
		}
	}
	if (c->queued && !atomic_load(&c->pool->stop))
		start_opening(c);
}

/* --- Replies ----------------------------------------------------------------- */

static void finish_transaction(struct conn *c, const char *line)
{
	if (!c->failed) {
		produce_event(c, CURLE_OK, line, "DATA", "");
		c->reused = true;
		c->state = C_READY;
	} else {
		produce_event(c, CURLE_SEND_ERROR, c->fail, c->fail_cmd, "");
		c->reused = true;
		c->state = C_RESETTING;
		c->deadline = link_now_ms() + c->pool->p.timeout * 1000;
		send_cmd(c, "RSET\r\n", V_RSET);
	}
}

static void refuse(struct conn *c, const char *line, enum verb v)
{
	if (!c->failed) {
		c->failed = true;
		snprintf(c->fail, sizeof c->fail, "%s", line);
		c->fail_cmd = verb_name[v];
	}
}

/* The last line of a whole reply (code and space) has arrived. */
static void on_reply(struct conn *c, int code, const char *line)
{
	if (c->nexpect == 0) {
		/* Nothing was asked: an idle connection the server closes
		 * ("421 … timeout"), or a server talking out of turn. */
		conn_drop(c, CURLE_RECV_ERROR, line, "a reply nobody asked for", false);
		return;
	}
	enum verb v = c->expect[0];
	memmove(c->expect, c->expect + 1, --c->nexpect * sizeof *c->expect);
	if (code == 421 && v != V_QUIT) {
		/* "Closing the connection": about the connection, not the
		 * message. As the first reply to a message on a reused
		 * connection it says the connection timed out while idle, and
		 * the message goes again on a fresh one. */
		c->last_cmd = verb_name[v];
		c->nexpect = 0;
		conn_drop(c, CURLE_RECV_ERROR, line, "the server closes the connection", true);
		return;
	}
	c->got_reply = true;
	bool ok = code / 100 == 2;
	switch (v) {
	case V_MAIL:
	case V_RCPT:
		if (!ok) {
			refuse(c, line, v);
		} else if (!c->failed && c->next_cmd == 1) {
			send_cmd(c, c->queue[0].rcpt, V_RCPT);
			c->next_cmd = 2;
		} else if (!c->failed && c->next_cmd == 2) {
			send_cmd(c, "DATA\r\n", V_DATA);
			c->next_cmd = 3;
		}
		break;
	case V_DATA:
		if (code != 354) {
			refuse(c, line, v);
		} else if (c->failed) {
			/* Pipelined: DATA accepted although a command before it
			 * was refused. An empty message ends it. */
			buf_adds(&c->out, ".\r\n");
			c->expect[c->nexpect++] = V_END;
		} else {
			c->in_body = true;
		}
		break;
	case V_END:
		if (!ok)
			refuse(c, line, V_END);
		break;
	case V_RSET:
		if (!ok) {
			conn_drop(c, CURLE_RECV_ERROR, line, "RSET refused", false);
			return;
		}
		c->state = C_READY;
		return;
	case V_QUIT:
		return;
	}
	if (c->state == C_BUSY && c->nexpect == 0 && (!c->in_body || c->end_sent))
		finish_transaction(c, line);
}

/* Splits what arrived into lines and whole replies. Returns false when c
 * was dropped. */
static bool take_lines(struct conn *c)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (c->in + start)) + 1;
		char line[300];
		link_keep_line(line, sizeof line, c->in + start, len);
		start += len;
		if (log_enabled(LOG_VERBOSE))
			log_debug("smtp %d < %s", conn_number(c), line);
		if (!link_looks_like_reply(line)) {
			char why[360];
			snprintf(why, sizeof why, "not an SMTP reply: \"%.120s\"", line);
			conn_drop(c, CURLE_WEIRD_SERVER_REPLY, "", why, false);
			return false;
		}
		if (line[3] == '-')
			continue;
		on_reply(c, smtp_reply_code(line), line);
		if (c->state < C_READY)
			return false;   /* dropped */
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == REPLY_MAX) {
		conn_drop(c, CURLE_RECV_ERROR, "", "a reply line longer than 64 KB", false);
		return false;
	}
	return true;
}

/* Reads all there is. Returns false when c was dropped. */
static bool conn_read(struct conn *c)
{
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(c->link.h, c->in + c->in_len,
		                             REPLY_MAX - c->in_len, &got);
		if (rc == CURLE_AGAIN)
			return true;
		if (rc != CURLE_OK || got == 0) {
			conn_drop(c, CURLE_RECV_ERROR, "",
			          rc != CURLE_OK ? curl_easy_strerror(rc)
			                         : "the server closed the connection", true);
			return false;
		}
		c->in_len += got;
		if (!take_lines(c))
			return false;
	}
}

/* Writes what c has to say until the socket is full. Returns false when c
 * was dropped. */
static bool conn_write(struct conn *c)
{
	for (;;) {
		advance(c);
		const char *p;
		size_t n;
		if (c->out_off < c->out.len) {
			p = c->out.s + c->out_off;
			n = c->out.len - c->out_off;
		} else if (c->state == C_BUSY && c->in_body && c->body_off < c->queue[0].len) {
			p = c->queue[0].msg + c->body_off;
			n = c->queue[0].len - c->body_off;
		} else {
			if (c->out.len)
				buf_truncate(&c->out, 0);
			c->out_off = 0;
			return true;
		}
		size_t sent = 0;
		CURLcode rc = curl_easy_send(c->link.h, p, n, &sent);
		if (rc == CURLE_AGAIN)
			return true;
		if (rc != CURLE_OK) {
			conn_drop(c, CURLE_SEND_ERROR, "", curl_easy_strerror(rc), true);
			return false;
		}
		if (c->out_off < c->out.len)
			c->out_off += sent;
		else
			c->body_off += sent;
	}
}

/* Reads and writes what c can. */
static void conn_io(struct conn *c)
{
	if (c->state >= C_READY && conn_read(c))
		conn_write(c);
}

/* An opener has finished: c is open, or its first message fails. */
static void opened(struct conn *c)
{
	pthread_join(c->opener, NULL);
	if (c->open_rc == CURLE_OK) {
		c->state = C_READY;
		c->in_len = 0;
		conn_write(c);
		return;
	}
	struct smtp_result r;
	link_result(&c->link, c->open_rc, &r);
	link_close(&c->link);
	c->state = C_CLOSED;
	produce(c, &r);
	if (c->queued)
		start_opening(c);
}

static void timed_out(struct conn *c)
{
	char why[120];
	snprintf(why, sizeof why, "no reply from the server within %ld s",
	         c->pool->p.timeout);
	/* Not the drop of an idle connection: the message is not retried. */
	conn_drop(c, CURLE_OPERATION_TIMEDOUT, "", why, false);
}

/* Runs every connection until a result is ready or `until` (ms,
 * monotonic) has passed; until = 0 makes one pass without waiting. */
static void run(struct smtp_pool *pool, long long until)
{
	struct pollfd *fds = pool->fds;
	struct conn **who = pool->who;
	for (;;) {
		long long now = link_now_ms(), next = until;
		nfds_t nfds = 1;
		fds[0] = (struct pollfd){ .fd = pool->wake[0], .events = POLLIN };
		for (int i = 0; i < pool->n; i++) {
			struct conn *c = &pool->conns[i];
			if (c->state < C_READY)
				continue;
			fds[nfds] = (struct pollfd){ .fd = c->link.sock, .events = POLLIN };
			if (wants_write(c))
				fds[nfds].events |= POLLOUT;
			who[nfds++] = c;
			if (c->state != C_READY && c->deadline < next)
				next = c->deadline;
		}
		int ms = next > now ? (int)(next - now) : 0;
		if (poll(fds, nfds, ms) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			char drain[64];
			while (read(pool->wake[0], drain, sizeof drain) > 0)
				;
		}
		for (int i = 0; i < pool->n; i++) {
			struct conn *c = &pool->conns[i];
			if (c->state == C_OPENING && atomic_load(&c->opened))
				opened(c);
		}
		for (nfds_t k = 1; k < nfds; k++) {
			struct conn *c = who[k];
			if (fds[k].revents && c->state >= C_READY)
				conn_io(c);
		}
		now = link_now_ms();
		for (int i = 0; i < pool->n; i++) {
			struct conn *c = &pool->conns[i];
			if (c->state > C_READY && c->deadline <= now)
				timed_out(c);
		}
		if (pool->nresults || now >= until)
			break;
	}
}

/* --- The pool ---------------------------------------------------------------- */

int smtp_pool_new(const struct smtp_params *p, int connections,
                  struct smtp_pool **out, struct nk_err *e)
{
	*out = NULL;
	bool implicit = !strncmp(p->url, "smtps://", 8), credentials = false;
	if (!implicit && strncmp(p->url, "smtp://", 7))
		return nk_fail(e, EX_CONFIG, "%s: expected smtp:// or smtps://", p->url);
	char *host = link_url_host(p->url, &credentials);
	bool local = host && link_loopback(host);
	free(host);
	if (!host)
		return nk_fail(e, EX_CONFIG, "%s: not a URL with a host", p->url);
	if (credentials)
		return nk_fail(e, EX_CONFIG, "the SMTP url holds a user name or password: put "
		               "the user in [smtp] user and the password in password_file");
	if (!p->tls && !local)
		return nk_fail(e, EX_CONFIG, "%s: tls = none is only allowed for a server on "
		               "this machine (127.0.0.1, ::1, localhost)", p->url);
	if (!p->tls && implicit)
		return nk_fail(e, EX_CONFIG, "%s: smtps:// always uses TLS; remove tls = none",
		               p->url);
	/* Counted by libcurl: paired with the cleanup in smtp_pool_free, so
	 * nobody above this module has to know libcurl needs it. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return nk_fail(e, EX_SOFTWARE, "cannot start libcurl");
	struct smtp_pool *pool = xcalloc(1, sizeof *pool);
	if (pipe2(pool->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(pool);
		curl_global_cleanup();
		return nk_fail(e, EX_SOFTWARE, "cannot make a pipe: %s", strerror(errno));
	}
	pool->p = *p;
	/* The URL's path is the EHLO name libcurl sends. */
	const char *authority = strstr(p->url, "://") + 3;
	const char *slash = strchr(authority, '/');
	size_t base = slash ? (size_t)(slash - p->url) : strlen(p->url);
	pool->url = xasprintf("%.*s/%s", (int)base, p->url, p->helo);
	atomic_init(&pool->stop, false);
	pool->n = connections;
	pool->conns = xcalloc((size_t)connections, sizeof *pool->conns);
	pool->fds = xcalloc((size_t)connections + 1, sizeof *pool->fds);
	pool->who = xcalloc((size_t)connections + 1, sizeof *pool->who);
	for (int i = 0; i < connections; i++) {
		struct conn *c = &pool->conns[i];
		c->pool = pool;
		c->link.number = i + 1;
		c->link.stop = &pool->stop;
		c->link.sock = CURL_SOCKET_BAD;
		c->in = xmalloc(REPLY_MAX);
		atomic_init(&c->opened, false);
	}
	if (!p->verify)
		log_warn("%s: TLS certificate checking is OFF (tls_verify = no): anyone "
		         "on the path can read and change the mail", p->url);
	*out = pool;
	return 0;
}

/* Says QUIT on every idle connection and waits a little for the goodbyes:
 * a server may count a connection closed without QUIT as an error. */
static void say_goodbye(struct smtp_pool *pool)
{
	bool any = false;
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		if (c->state == C_READY) {
			c->state = C_QUITTING;
			c->deadline = link_now_ms() + QUIT_WAIT_MS;
			send_cmd(c, "QUIT\r\n", V_QUIT);
			any = conn_write(c) || any;
		}
	}
	if (!any)
		return;
	long long until = link_now_ms() + QUIT_WAIT_MS;
	struct pollfd *fds = pool->fds;
	for (;;) {
		nfds_t nfds = 0;
		for (int i = 0; i < pool->n; i++) {
			struct conn *c = &pool->conns[i];
			if (c->state == C_QUITTING && c->nexpect)
				fds[nfds++] = (struct pollfd){ .fd = c->link.sock, .events = POLLIN };
		}
		long long now = link_now_ms();
		if (!nfds || now >= until || poll(fds, nfds, (int)(until - now)) <= 0)
			break;
		for (int i = 0; i < pool->n; i++) {
			struct conn *c = &pool->conns[i];
			if (c->state == C_QUITTING && c->nexpect)
				conn_read(c);
		}
	}
}

void smtp_pool_free(struct smtp_pool *pool)
{
	if (!pool)
		return;
	atomic_store(&pool->stop, true);
	/* Openers give up within a second (link.stop). */
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		if (c->state == C_OPENING) {
			pthread_join(c->opener, NULL);
			c->state = c->open_rc == CURLE_OK ? C_READY : C_CLOSED;
		}
	}
	/* A transaction still on its way is abandoned: without its end of
	 * data the server delivers nothing. */
	say_goodbye(pool);
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		link_close(&c->link);
		for (int j = 0; j < c->queued; j++)
			job_free(&c->queue[j]);
		buf_free(&c->out);
		free(c->in);
	}
	close(pool->wake[0]);
	close(pool->wake[1]);
	free(pool->conns);
	free(pool->fds);
	free(pool->who);
	free(pool->results);
	free(pool->refused);
	free(pool->url);
	free(pool);
	curl_global_cleanup();
}

size_t smtp_pool_capacity(const struct smtp_pool *pool)
{
	return (size_t)pool->n * QUEUE;
}

bool smtp_pool_has_room(const struct smtp_pool *pool)
{
	return pool->active < (size_t)pool->n * QUEUE;
}

size_t smtp_pool_active(const struct smtp_pool *pool)
{
	return pool->active + pool->nrefused;
}

bool smtp_address_ok(const char *addr)
{
	if (!*addr || strlen(addr) > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

/* The caller has journalled every result smtp_pool_wait gave it (the
 * contract in smtp.h): the messages waiting for that may end their data. */
static void acknowledge(struct smtp_pool *pool)
{
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		if (c->returned) {
			c->unacked -= c->returned;
			c->returned = 0;
			if (c->state == C_BUSY)
				conn_write(c);
		}
	}
}

/* An idle connection first, else one with room for a next message. */
static struct conn *free_conn(struct smtp_pool *pool)
{
	for (int want = 0; want < QUEUE; want++)
		for (int i = 0; i < pool->n; i++)
			if (pool->conns[i].taken == want)
				return &pool->conns[i];
	return NULL;
}

char *smtp_dot_stuffed(const char *msg, size_t len, size_t *out_len)
{
	/* memchr line by line: several times faster here than memmem. */
	bool any = len && msg[0] == '.';
	for (const char *p = msg, *end = msg + len; !any && p < end; p++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		any = p + 1 < end && p[1] == '.';
	}
	if (!any)
		return NULL;
	struct buf b = {0};
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '.' && (i == 0 || msg[i - 1] == '\n'))
			buf_addc(&b, '.');
		buf_addc(&b, msg[i]);
	}
	*out_len = b.len;
	return buf_detach(&b);
}

void smtp_submit(struct smtp_pool *pool, const char *from, const char *rcpt,
                 const char *msg, size_t len, void *tag)
{
	acknowledge(pool);
	struct conn *c = free_conn(pool);
	if (!c)
		abort();   /* the caller must check smtp_pool_has_room */
	if (!smtp_address_ok(from) || !smtp_address_ok(rcpt)) {
		/* Validated at the edge already; this is the last line of defence
		 * against SMTP command injection. The result waits in a queue
		 * for the next smtp_pool_wait. */
		pool->refused = xgrow(pool->refused, &pool->refused_cap, pool->nrefused + 1,
		                      sizeof *pool->refused);
		struct smtp_result *r = &pool->refused[pool->nrefused++];
		*r = (struct smtp_result){ .tag = tag, .outcome = SMTP_RCPT_PERM };
		snprintf(r->reply, sizeof r->reply,
		         "address refused before sending: not a plain mailbox");
		return;
	}
	struct job j = {
		.tag = tag,
		.mail = xasprintf("MAIL FROM:<%s>\r\n", from),
		.rcpt = xasprintf("RCPT TO:<%s>\r\n", rcpt),
		.msg = msg,
		.len = len,
	};
	if ((j.stuffed = smtp_dot_stuffed(msg, len, &j.len)))
		j.msg = j.stuffed;
	c->queue[c->queued++] = j;
	c->taken++;
	pool->active++;
	if (c->state == C_CLOSED)
		start_opening(c);
	else if (c->state == C_READY)
		conn_write(c);
}

size_t smtp_pool_wait(struct smtp_pool *pool, long timeout_ms,
                      struct smtp_result *out, size_t max)
{
	acknowledge(pool);
	size_t got = 0;
	while (got < max && pool->nrefused > 0)
		out[got++] = pool->refused[--pool->nrefused];
	if (got || pool->active == 0)
		return got;
	if (!pool->nresults)
		run(pool, link_now_ms() + (timeout_ms > 0 ? timeout_ms : 0));
	size_t take = pool->nresults < max ? pool->nresults : max;
	for (size_t i = 0; i < take; i++) {
		out[got++] = pool->results[i].r;
		pool->results[i].c->taken--;
		pool->results[i].c->returned++;
	}
	if (take) {
		memmove(pool->results, pool->results + take,
		        (pool->nresults - take) * sizeof *pool->results);
		pool->nresults -= take;
		pool->active -= take;
	}
	return got;
}

int smtp_probe(const struct smtp_params *p, struct nk_err *e)
{
	struct smtp_pool *pool;
	int rc = smtp_pool_new(p, 1, &pool, e);
	if (rc)
		return rc;
	struct conn *c = &pool->conns[0];
	CURLcode cr = link_open(&c->link, p, pool->url);
	if (cr != CURLE_OK) {
		struct smtp_result r;
		link_result(&c->link, cr, &r);
		rc = nk_fail(e, r.exit_code ? r.exit_code : EX_UNAVAILABLE, "%s: %s",
		             p->url, r.reply);
	} else {
		c->state = C_READY;
	}
	smtp_pool_free(pool);
	return rc;
}
