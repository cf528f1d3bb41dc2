/* smtp.c — SMTP transport over libcurl (see smtp.h).
 *
 * One thread per connection, each with its own libcurl easy handle that
 * keeps its connection open from message to message. Not libcurl's multi
 * interface: its SMTP code waits for the reply to the end of every message
 * inside curl_multi_perform, blocking all the other connections meanwhile,
 * so N connections over a 10 ms round trip sent barely more than one. The
 * caller's thread only hands messages over and takes results; the
 * workers touch nothing but their own connection.
 *
 * Each connection takes a second message while it sends the first, so it
 * goes on at once instead of waiting for the caller to journal the reply
 * and build the next one. The promise of the journal stays: a message's
 * end of data is not sent before the result of the one before it on that
 * connection has been taken (and so journalled, see smtp_pool_wait), so a
 * crash can leave at most one accepted but unjournalled message per
 * connection.
 *
 * libcurl speaks the protocol; we classify its results. It hides which
 * command a reply answered, so a debug callback watches the dialogue: the
 * verb of each command sent (never its arguments, which can hold AUTH
 * credentials) and the last reply line received. */
#include "smtp.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

struct smtp_pool;

/* One message to send. */
struct job {
	void *tag;
	char *from;                 /* "<addr>" */
	struct curl_slist *rcpt;    /* "<addr>" */
	const char *msg;            /* borrowed from the caller */
	size_t len;
};

#define QUEUE 2   /* messages a connection holds: the one it sends, the next */

struct conn {
	struct smtp_pool *pool;
	CURL *h;
	pthread_t thread;
	bool started;           /* the thread runs (it starts with the first job) */
	int taken;              /* handed over, result not taken yet (caller only) */
	int returned;           /* results taken since the last acknowledgement
	                           (caller only) */
	/* Under pool->lock: */
	struct job queue[QUEUE];
	int queued;             /* jobs in the queue, the one being sent first */
	int unacked;            /* results queued or taken, not yet journalled */
	pthread_cond_t wake;    /* signals a job, an acknowledgement or quit */
	/* The worker's own, for the transfer in progress: */
	void *tag;
	const char *msg;
	size_t len, off;
	char cmd[16];           /* verb of the last command sent: MAIL, RCPT, DATA… */
	char reply[300];        /* last reply line received */
	/* The first 4xx/5xx reply of the transfer and the command it answered:
	 * libcurl sends QUIT after a failure, whose "221 Bye" must not hide it. */
	char fail[300];
	char fail_cmd[16];
	bool fail_done;         /* its last line (code + space) has arrived */
	bool got_reply;         /* the server said anything in this transfer */
	bool garbage;           /* its greeting was not an SMTP reply */
	bool retried;           /* already tried again on a fresh connection */
	long long quit_at;      /* when libcurl sent QUIT (ms, monotonic); 0: not */
	char errbuf[CURL_ERROR_SIZE];
};

/* A finished transfer waiting to be taken by smtp_pool_wait. */
struct done {
	struct smtp_result r;
	struct conn *c;
};

struct smtp_pool {
	struct conn *conns;
	int n;
	size_t active;                 /* messages handed over, results not taken */
	pthread_mutex_t lock;          /* guards what follows */
	pthread_cond_t finished;       /* a result was queued */
	struct done *results;          /* queued results, oldest first */
	size_t nresults, results_cap;
	atomic_bool quit;              /* workers stop, transfers are abandoned */
	char *url;
	struct smtp_params p;
	struct smtp_result *refused;   /* refused before sending, not yet reported */
	size_t nrefused, refused_cap;
};

/* The host and whether there are credentials in url, read with libcurl's
 * own URL parser, so that this check and the connection agree on what the
 * host is ("smtp://127.0.0.1@mail.example.org" is not a loopback host).
 * Returns a host the caller frees, or NULL when url is not a URL. */
static char *url_host(const char *url, bool *credentials)
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

static bool loopback(const char *host)
{
	struct in_addr a;
	if (!strcmp(host, "localhost") || !strcmp(host, "[::1]"))
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct conn *c = ud;
	size_t room = size * n, left = c->len - c->off;
	size_t take = left < room ? left : room;
	if (take == left) {
		/* The last bytes, after which libcurl ends the data: not before
		 * the previous message's result is journalled (see the top). */
		struct smtp_pool *pool = c->pool;
		pthread_mutex_lock(&pool->lock);
		while (c->unacked > 0 && !atomic_load(&pool->quit))
			pthread_cond_wait(&c->wake, &pool->lock);
		pthread_mutex_unlock(&pool->lock);
		if (atomic_load(&pool->quit))
			return CURL_READFUNC_ABORT;
	}
	memcpy(buf, c->msg + c->off, take);
	c->off += take;
	return take;
}

static void keep_line(char *dst, size_t dstlen, const char *src, size_t len)
{
	while (len && (src[len - 1] == '\n' || src[len - 1] == '\r'))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	dst[len] = '\0';
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "250 …", "250-…": three digits, then a space, a hyphen or the end. */
static bool looks_like_reply(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && (!s[3] || s[3] == ' ' || s[3] == '-');
}

/* 1, 2, …: which of the pool's connections, for -v lines. */
static int conn_number(const struct conn *c)
{
	return c->pool ? (int)(c - c->pool->conns) + 1 : 1;
}

/* The -v line for a command sent. Only what cannot hold a secret is shown:
 * AUTH keeps its mechanism, and any other line (an AUTH LOGIN answer, a
 * token) is not shown at all. */
static void log_command(const struct conn *c, const char *verb, const char *data,
                        size_t size)
{
	char line[300];
	keep_line(line, sizeof line, data, size);
	if (!verb)
		log_debug("smtp %d > (a login line, not shown)", conn_number(c));
	else if (!strcmp(verb, "AUTH"))
		log_debug("smtp %d > AUTH %.*s (credentials not shown)", conn_number(c),
		          (int)strcspn(line + 5, " "), line + 5);
	else
		log_debug("smtp %d > %s", conn_number(c), line);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	(void)h;
	struct conn *c = ud;
	if (type == CURLINFO_HEADER_IN) {
		keep_line(c->reply, sizeof c->reply, data, size);
		c->got_reply = true;
		/* Before our first command only a greeting can come. libcurl
		 * waits out its timeout on anything else; on_progress ends the
		 * transfer at once instead. */
		if (!c->cmd[0] && !looks_like_reply(c->reply))
			c->garbage = true;
		if (!c->fail_done && strcmp(c->cmd, "EHLO") &&
		    (c->reply[0] == '4' || c->reply[0] == '5') &&
		    (!c->fail[0] || !strncmp(c->fail, c->reply, 3))) {
			/* Multi-line replies: keep the last line ("550 …"). */
			memcpy(c->fail, c->reply, sizeof c->fail);
			memcpy(c->fail_cmd, c->cmd, sizeof c->fail_cmd);
			c->fail_done = c->reply[3] != '-';
		}
		if (log_enabled(LOG_VERBOSE))
			log_debug("smtp %d < %s", conn_number(c), c->reply);
	} else if (type == CURLINFO_HEADER_OUT) {
		/* Only a known verb: the other lines sent are AUTH exchanges,
		 * which carry credentials and must not be kept at all. */
		static const char *const verbs[] = {
			"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
			"QUIT", "RSET", "NOOP", "VRFY", NULL,
		};
		const char *known = NULL;
		for (const char *const *v = verbs; *v && !known; v++) {
			size_t n = strlen(*v);
			if (size > n && !strncasecmp(data, *v, n) &&
			    (data[n] == ' ' || data[n] == '\r')) {
				known = *v;
				/* libcurl says QUIT after a failure: never its cause. */
				if (strcmp(*v, "QUIT"))
					memcpy(c->cmd, *v, n + 1);
				else
					c->quit_at = now_ms();
			}
		}
		if (log_enabled(LOG_VERBOSE))
			log_command(c, known, data, size);
	}
	return 0;
}

/* libcurl closes a connection after a failed transfer with QUIT and waits
 * for the reply, blocking every other connection meanwhile; a server that
 * has gone silent would hold them all for minutes. Its goodbye gets this
 * long. */
#define QUIT_WAIT_MS 2000

static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
                       curl_off_t uln)
{
	(void)dlt, (void)dln, (void)ult, (void)uln;
	const struct conn *c = ud;
	/* Non-zero aborts: a greeting that is not SMTP, a QUIT unanswered, or
	 * the pool going away (the caller stops the run). */
	return c->garbage || (c->quit_at && now_ms() - c->quit_at > QUIT_WAIT_MS) ||
	       (c->pool && atomic_load(&c->pool->quit));
}

int smtp_pool_new(const struct smtp_params *p, int connections,
                  struct smtp_pool **out, struct nk_err *e)
{
	*out = NULL;
	bool implicit = !strncmp(p->url, "smtps://", 8), credentials = false;
	if (!implicit && strncmp(p->url, "smtp://", 7))
		return nk_fail(e, EX_CONFIG, "%s: expected smtp:// or smtps://", p->url);
	char *host = url_host(p->url, &credentials);
	bool local = host && loopback(host);
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
	pool->p = *p;
	/* The URL's path is the EHLO name libcurl sends. */
	const char *authority = strstr(p->url, "://") + 3;
	const char *slash = strchr(authority, '/');
	size_t base = slash ? (size_t)(slash - p->url) : strlen(p->url);
	pool->url = xasprintf("%.*s/%s", (int)base, p->url, p->helo);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->finished, NULL);
	atomic_init(&pool->quit, false);
	pool->n = connections;
	pool->conns = xcalloc((size_t)connections, sizeof *pool->conns);
	for (int i = 0; i < connections; i++) {
		struct conn *c = &pool->conns[i];
		c->pool = pool;
		pthread_cond_init(&c->wake, NULL);
		c->h = curl_easy_init();
		if (!c->h) {
			smtp_pool_free(pool);
			return nk_fail(e, EX_SOFTWARE, "cannot start libcurl");
		}
	}
	if (!p->verify)
		log_warn("%s: TLS certificate checking is OFF (tls_verify = no): anyone "
		         "on the path can read and change the mail", p->url);
	*out = pool;
	return 0;
}

void smtp_pool_free(struct smtp_pool *pool)
{
	if (!pool)
		return;
	/* Transfers still on their way are abandoned (on_progress ends them
	 * within a second); each worker then closes its own connection. */
	pthread_mutex_lock(&pool->lock);
	atomic_store(&pool->quit, true);
	for (int i = 0; i < pool->n; i++)
		pthread_cond_signal(&pool->conns[i].wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		if (c->started)
			pthread_join(c->thread, NULL);
		else if (c->h)
			curl_easy_cleanup(c->h);
		pthread_cond_destroy(&c->wake);
		for (int j = 0; j < c->queued; j++) {
			free(c->queue[j].from);
			curl_slist_free_all(c->queue[j].rcpt);
		}
	}
	pthread_cond_destroy(&pool->finished);
	pthread_mutex_destroy(&pool->lock);
	free(pool->conns);
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

static void setup(struct smtp_pool *pool, struct conn *c, const struct job *j)
{
	const struct smtp_params *p = &pool->p;
	CURL *h = c->h;
	curl_easy_setopt(h, CURLOPT_URL, pool->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, j->from);   /* libcurl copies it */
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, j->rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, c);
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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	/* VERBOSE only feeds on_debug; nothing is printed. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 0L);
}

/* Clears what the last transfer on c left behind. */
static void conn_reset(struct conn *c)
{
	c->off = 0;
	c->cmd[0] = c->reply[0] = c->errbuf[0] = c->fail[0] = c->fail_cmd[0] = '\0';
	c->fail_done = c->got_reply = c->garbage = false;
	c->quit_at = 0;
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

/* The caller has journalled every result smtp_pool_wait gave it (the
 * contract in smtp.h): the messages waiting for that may end their data. */
static void acknowledge(struct smtp_pool *pool)
{
	bool any = false;
	for (int i = 0; i < pool->n && !any; i++)
		any = pool->conns[i].returned > 0;
	if (!any)
		return;
	pthread_mutex_lock(&pool->lock);
	for (int i = 0; i < pool->n; i++) {
		struct conn *c = &pool->conns[i];
		if (c->returned) {
			c->unacked -= c->returned;
			c->returned = 0;
			pthread_cond_signal(&c->wake);
		}
	}
	pthread_mutex_unlock(&pool->lock);
}

static void *worker(void *ud);

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
	char *r = xasprintf("<%s>", rcpt);
	struct job j = { tag, xasprintf("<%s>", from), curl_slist_append(NULL, r), msg, len };
	free(r);
	c->taken++;
	pool->active++;
	pthread_mutex_lock(&pool->lock);
	c->queue[c->queued++] = j;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&pool->lock);
	if (!c->started) {
		if (pthread_create(&c->thread, NULL, worker, c) != 0)
			xalloc_die();   /* only fails for want of memory or threads */
		c->started = true;
	}
}

static int reply_code(const char *reply)
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
		r->code = ev->response_code ? ev->response_code : reply_code(reply);
		snprintf(r->reply, sizeof r->reply, "%s", reply);
		return;
	}
	/* A failure keeps only a code that is a failure: a drop after RCPT's
	 * 250 is not a 250. */
	int code = reply_code(reply);
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

/* The result of c's finished transfer. */
static void classify(struct conn *c, CURLcode rc, long code, struct smtp_result *r)
{
	/* Judge a failure by the reply that caused it, not by the "221 Bye"
	 * of the QUIT libcurl sends afterwards. */
	bool failed = rc != CURLE_OK && c->fail[0];
	struct smtp_event ev = {
		.curl_code = (int)rc,
		.response_code = failed ? 0 : (int)code,
		.reply = failed ? c->fail : c->reply,
		.cmd = failed ? c->fail_cmd : c->cmd,
		.why = c->errbuf,
		.garbage = c->garbage,
	};
	r->tag = c->tag;
	smtp_classify(&ev, r);
}

/* Sends the message c holds and returns its result. */
static void transfer(struct conn *c, struct smtp_result *out)
{
	for (;;) {
		CURLcode rc = curl_easy_perform(c->h);
		long code = 0, connects = 0;
		curl_socket_t sock = CURL_SOCKET_BAD;
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &connects);
		if (rc != CURLE_OK &&
		    curl_easy_getinfo(c->h, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK &&
		    sock != CURL_SOCKET_BAD)
			/* A connection whose transfer failed is not used again, and
			 * libcurl may keep it cached until the end and then wait
			 * minutes for the QUIT of a server that went silent. Shut
			 * down, it is closed at once. */
			shutdown(sock, SHUT_RDWR);
		if (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT &&
		    rc != CURLE_ABORTED_BY_CALLBACK && connects == 0 && !c->got_reply &&
		    !c->retried) {
			/* A cached connection the server had closed meanwhile
			 * (it may hang up after each message): nothing was said
			 * about this message, so it goes again, once, on a new
			 * connection. */
			c->retried = true;
			conn_reset(c);
			curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, 1L);
			continue;
		}
		classify(c, rc, code, out);
		return;
	}
}

static void *worker(void *ud)
{
	struct conn *c = ud;
	struct smtp_pool *pool = c->pool;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!c->queued && !atomic_load(&pool->quit))
			pthread_cond_wait(&c->wake, &pool->lock);
		if (atomic_load(&pool->quit))
			break;
		struct job j = c->queue[0];
		pthread_mutex_unlock(&pool->lock);
		c->tag = j.tag;
		c->msg = j.msg;
		c->len = j.len;
		c->retried = false;
		conn_reset(c);
		setup(pool, c, &j);
		struct smtp_result r;
		transfer(c, &r);
		free(j.from);
		curl_slist_free_all(j.rcpt);
		pthread_mutex_lock(&pool->lock);
		c->queue[0] = c->queue[1];
		c->queued--;
		c->unacked++;
		pool->results = xgrow(pool->results, &pool->results_cap, pool->nresults + 1,
		                      sizeof *pool->results);
		pool->results[pool->nresults++] = (struct done){ r, c };
		pthread_cond_signal(&pool->finished);
	}
	pthread_mutex_unlock(&pool->lock);
	curl_easy_cleanup(c->h);   /* QUIT on a healthy connection, here in parallel */
	c->h = NULL;
	return NULL;
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
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&pool->lock);
	while (pool->nresults == 0 && timeout_ms > 0 &&
	       pthread_cond_timedwait(&pool->finished, &pool->lock, &until) == 0)
		;
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
	}
	pthread_mutex_unlock(&pool->lock);
	pool->active -= take;
	return got;
}

int smtp_probe(const struct smtp_params *p, struct nk_err *e)
{
	struct smtp_pool *pool;
	int rc = smtp_pool_new(p, 1, &pool, e);
	if (rc)
		return rc;
	struct conn *c = &pool->conns[0];
	c->tag = NULL;
	struct job j = { NULL, "<probe@localhost>", NULL, "", 0 };
	setup(pool, c, &j);
	curl_easy_setopt(c->h, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(c->h, CURLOPT_CONNECT_ONLY, 1L);
	CURLcode cr = curl_easy_perform(c->h);
	if (cr != CURLE_OK) {
		struct smtp_result r;
		long code = 0;
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
		classify(c, cr, code, &r);
		rc = nk_fail(e, r.exit_code ? r.exit_code : EX_UNAVAILABLE, "%s: %s",
		             p->url, r.reply);
	}
	smtp_pool_free(pool);
	return rc;
}
