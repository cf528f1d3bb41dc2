/* serve.c — one-click unsubscribe over HTTP with libmicrohttpd (see
 * serve.h). */
#include "serve.h"
#include "buf.h"
#include "html_text.h"
#include "log.h"
#include "suppress_queue.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY 4096
#define MAX_HEAD (16 * 1024)
#define TIMEOUT_S 10
#define MAX_CONNECTIONS 64
#define MAX_PER_IP 16

struct serve {
	struct MHD_Daemon *d;
	int fd;
	const char *title;
	struct state *st;
	const char *state_path;
	const struct unsub_key *key;
	/* Token bucket: only the daemon's one thread touches it. */
	double rate, burst, tokens, last;
};

/* One request in progress (MHD calls the handler several times). */
struct request {
	struct MHD_PostProcessor *pp;
	size_t body;           /* bytes received */
	char value[16];        /* the List-Unsubscribe field, if short */
	size_t vlen;
	bool too_large;
	bool refused;          /* answered before its body (rate, method) */
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool take_token(struct serve *s)
{
	double t = now_mono();
	s->tokens += (t - s->last) * s->rate;
	if (s->tokens > s->burst)
		s->tokens = s->burst;
	s->last = t;
	if (s->tokens < 1)
		return false;
	s->tokens -= 1;
	return true;
}

/* "k…@example.org": enough for a reader to recognise, too little for a
 * scanner that fetched the page to learn the address. */
static void masked(struct buf *out, const char *email)
{
	const char *at = strrchr(email, '@');
	struct buf b = {0};
	if (at && at > email) {
		buf_add(&b, email, 1);
		buf_adds(&b, "\xE2\x80\xA6");
		buf_adds(&b, at);
	}
	html_escape(out, buf_str(&b), b.len);
	buf_free(&b);
}

static enum MHD_Result page(struct MHD_Connection *c, unsigned status, const char *heading,
                            const char *text, const char *email, bool form,
                            const struct serve *s)
{
	struct buf b = {0};
	buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	         "<meta name=\"viewport\" content=\"width=device-width\">"
	         "<meta name=\"robots\" content=\"noindex\"><title>");
	html_escape(&b, heading, strlen(heading));
	buf_adds(&b, "</title><style>body{font:1.1em/1.5 sans-serif;max-width:34em;"
	         "margin:3em auto;padding:0 1em}button{font-size:1em;padding:.5em 1.5em}"
	         "</style></head>\n<body><h1>");
	html_escape(&b, heading, strlen(heading));
	buf_adds(&b, "</h1>\n<p>");
	html_escape(&b, s->title, strlen(s->title));
	buf_adds(&b, ": ");
	html_escape(&b, text, strlen(text));
	if (email) {
		buf_adds(&b, " <b>");
		masked(&b, email);
		buf_adds(&b, "</b>");
	}
	buf_adds(&b, "</p>\n");
	/* No action: the form posts to the page's own URL, token and all,
	 * whatever path the site's web server gave it. */
	if (form)
		buf_adds(&b, "<form method=\"post\"><input type=\"hidden\" "
		         "name=\"List-Unsubscribe\" value=\"One-Click\">"
		         "<button type=\"submit\">Unsubscribe</button></form>\n");
	buf_adds(&b, "</body></html>\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.s,
	                                                         MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; "
	                        "style-src 'unsafe-inline'; form-action 'self'; "
	                        "frame-ancestors 'none'");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(r, "Retry-After", "1");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* The first query value, else the last path segment, that looks like a
 * token: the digest's link as it is, whatever its shape. */
struct find {
	const char *token;
};

static enum MHD_Result find_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
	(void)kind;
	(void)key;
	struct find *f = cls;
	if (!f->token && value && !strncmp(value, "v1.", 3))
		f->token = value;
	return MHD_YES;
}

static const char *find_token(struct MHD_Connection *c, const char *url)
{
	struct find f = { NULL };
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, find_arg, &f);
	if (f.token)
		return f.token;
	const char *slash = strrchr(url, '/');
	const char *last = slash ? slash + 1 : url;
	return !strncmp(last, "v1.", 3) ? last : NULL;
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *transfer_encoding, const char *data,
                                  uint64_t off, size_t size)
{
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	struct request *rq = cls;
	/* The value may come in pieces; anything longer than "One-Click"
	 * is not it. */
	if (key && !strcmp(key, "List-Unsubscribe")) {
		if (off + size < sizeof rq->value && off == rq->vlen) {
			memcpy(rq->value + off, data, size);
			rq->vlen += size;
		} else {
			rq->vlen = sizeof rq->value;
		}
	}
	return MHD_YES;
}

static enum MHD_Result answer(struct serve *s, struct MHD_Connection *c, const char *url,
                              bool post, const struct request *rq)
{
	if (rq->too_large)
		return page(c, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large",
		            "this request is larger than an unsubscribe needs.", NULL, false, s);
	const char *token = find_token(c, url);
	char *email = NULL;
	struct nk_err e = {0};
	if (!token)
		return page(c, MHD_HTTP_BAD_REQUEST, "Not an unsubscribe link",
		            "this address holds no unsubscribe token. Use the link at the "
		            "end of a digest.", NULL, false, s);
	if (unsubscribe_token_open(s->key, token, &email, &e)) {
		log_debug("serve: refused a token: %s", e.msg);
		return page(c, MHD_HTTP_BAD_REQUEST, "Unsubscribe link not valid",
		            "this link is not a working unsubscribe link: it may have been cut "
		            "short or changed. Copy the whole link from the digest, or use its "
		            "mailto address. Nothing was changed.", NULL, false, s);
	}
	enum MHD_Result ok;
	bool suppressed = false, added = false;
	int rc;
	/* What was queued while the state file was busy goes in first, so
	 * that the page below tells the truth. */
	struct nk_err qe = {0};
	bool busy = false;
	if ((rc = suppress_queue_apply(s->st, s->state_path, NULL, &qe))) {
		log_debug("serve: the queue stays for now: %s", qe.msg);
		busy = rc == EX_TEMPFAIL;
	}
	if (!post) {
		rc = state_suppressed(s->st, email, &suppressed, &e);
		ok = rc ? page(c, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
		               "the list cannot be read just now.", NULL, false, s)
		   : suppressed ? page(c, MHD_HTTP_OK, "Unsubscribed",
		                       "no more digests go to", email, false, s)
		   : page(c, MHD_HTTP_OK, "Unsubscribe?",
		          "press the button to stop the digest going to", email, true, s);
	} else if (!(rq->vlen == 9 && !memcmp(rq->value, "One-Click", 9))) {
		ok = page(c, MHD_HTTP_BAD_REQUEST, "Not an unsubscribe request",
		          "a one-click unsubscribe sends List-Unsubscribe=One-Click. Nothing "
		          "was changed.", NULL, false, s);
	} else if ((rc = busy ? EX_TEMPFAIL
	                      : state_suppress_new(s->st, email, SUPPRESS_UNSUBSCRIBE, time(NULL),
	                                           &added, &e)) == EX_TEMPFAIL &&
	           !(rc = suppress_queue_add(s->state_path, email, SUPPRESS_UNSUBSCRIBE,
	                                     time(NULL), &e))) {
		/* The state file is busy (a send recording a large edition): the
		 * queue holds it, on disk, until the next writer moves it in. */
		log_info("serve: %s unsubscribed (queued: the state file is busy)", email);
		ok = page(c, MHD_HTTP_OK, "Unsubscribed", "no more digests go to", email,
		          false, s);
	} else if (rc) {
		log_warn("serve: %s: %s", email, e.msg);
		ok = page(c, MHD_HTTP_SERVICE_UNAVAILABLE, "Please try again later",
		          "the unsubscribe could not be recorded just now. Nothing was "
		          "changed.", NULL, false, s);
	} else {
		/* Committed (state_suppress_new returns after the commit): only
		 * now say so. */
		if (added)
			log_info("serve: %s unsubscribed", email);
		ok = page(c, MHD_HTTP_OK, "Unsubscribed", "no more digests go to", email,
		          false, s);
	}
	free(email);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload, size_t *upload_size, void **req_cls)
{
	(void)version;
	struct serve *s = cls;
	struct request *rq = *req_cls;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	if (!rq) {
		rq = *req_cls = xcalloc(1, sizeof *rq);
		if (!take_token(s)) {
			rq->refused = true;
			return page(c, MHD_HTTP_TOO_MANY_REQUESTS, "Too many requests",
			            "please try again in a moment.", NULL, false, s);
		}
		if (!post && strcmp(method, MHD_HTTP_METHOD_GET) &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
			rq->refused = true;
			return page(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
			            "only GET and POST are answered here.", NULL, false, s);
		}
		if (post) {
			rq->pp = MHD_create_post_processor(c, 1024, post_field, rq);
			if (!rq->pp) {
				rq->refused = true;
				return page(c, MHD_HTTP_BAD_REQUEST, "Not an unsubscribe request",
				            "a one-click unsubscribe is a form "
				            "(application/x-www-form-urlencoded or "
				            "multipart/form-data). Nothing was changed.", NULL,
				            false, s);
			}
		}
		return MHD_YES;
	}
	if (rq->refused)
		return MHD_NO;   /* answered already; MHD drops the rest */
	if (*upload_size) {
		rq->body += *upload_size;
		if (rq->body > MAX_BODY)
			rq->too_large = true;
		else if (rq->pp)
			MHD_post_process(rq->pp, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(s, c, url, post, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct request *rq = *req_cls;
	if (rq && rq->pp)
		MHD_destroy_post_processor(rq->pp);
	free(rq);
	*req_cls = NULL;
}

/* Binds HOST:PORT (host numeric, IPv6 in brackets). */
static int listen_on(const char *spec, int *fd, unsigned *port, struct nk_err *e)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	char *end;
	long p = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || !hl || hl >= sizeof host || !colon[1] || *end || p < 0 || p > 65535)
		return nk_fail(e, EX_USAGE, "--listen '%s': expected HOST:PORT, e.g. "
		               "127.0.0.1:8025", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	                          .ai_socktype = SOCK_STREAM }, *ai;
	char ps[8];
	snprintf(ps, sizeof ps, "%ld", p);
	if (getaddrinfo(host, ps, &hints, &ai) != 0)
		return nk_fail(e, EX_USAGE, "--listen: '%s' is not a numeric IP address "
		               "(serve listens on an address; put a web server in front)", host);
	int rc = 0;
	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (*fd < 0 || setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(*fd, ai->ai_addr, ai->ai_addrlen) || listen(*fd, 64))
		rc = nk_fail(e, EX_UNAVAILABLE, "cannot listen on %s:%ld: %s", host, p,
		             strerror(errno));
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (!rc && getsockname(*fd, (struct sockaddr *)&ss, &sl) == 0)
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		              : ((struct sockaddr_in *)&ss)->sin_port);
	if (rc && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

int serve_start(const struct serve_params *p, struct serve **out, unsigned *port,
                struct nk_err *e)
{
	*out = NULL;
	struct serve *s = xcalloc(1, sizeof *s);
	s->fd = -1;
	s->title = p->title;
	s->st = p->st;
	s->state_path = p->state_path;
	s->key = p->key;
	s->rate = p->rate;
	s->burst = p->burst > 0 ? p->burst : 1;
	s->tokens = s->burst;
	s->last = now_mono();
	int rc = listen_on(p->listen, &s->fd, port, e);
	if (rc) {
		free(s);
		return rc;
	}
	/* ITC: lets serve_stop() quiesce the daemon. */
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	                        MHD_OPTION_LISTEN_SOCKET, s->fd,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_IP,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MAX_HEAD,
	                        MHD_OPTION_END);
	if (!s->d) {
		close(s->fd);   /* MHD did not take it */
		free(s);
		return nk_fail(e, EX_UNAVAILABLE, "cannot start the HTTP server on %s",
		               p->listen);
	}
	*out = s;
	return 0;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	/* Quiescing hands the listen socket back, so it is closed once, here. */
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	MHD_stop_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(s);
}
