/* serve.h — the one-click unsubscribe endpoint (RFC 8058), over HTTP.
 *
 * The only module that includes libmicrohttpd. A request carries a token
 * (see unsubscribe.h) as a query value or as the last path segment: the
 * link in the digest as it is, whatever the site's URL looks like.
 *
 *   POST with a form field List-Unsubscribe=One-Click (what mail
 *        providers send, and what the confirmation page's button sends):
 *        the address goes on the suppression list, the change is
 *        committed, then 200 with a short page.
 *   GET (and HEAD): a confirmation page with that button. A GET never
 *        unsubscribes: mail scanners fetch every link they see.
 *   A missing, forged, altered or cut-off token: 400, nothing changes.
 *
 * Every page is small, HTML-escaped and cached nowhere; no redirects.
 * Limits: the request line and headers fit in 16 KiB, a body in 4 KiB
 * (413 beyond), a request takes at most 10 s, at most 64 connections (16
 * from one address), and requests over the rate (a token bucket; 429
 * with Retry-After) are turned away. It runs beside `send`: it opens the
 * state file without the send lock (STATE_SHARED), and a suppression it
 * commits stops the mail to that address if the send has not handed it
 * over yet. Requests are answered one at a time by one thread. */
#ifndef NK_SERVE_H
#define NK_SERVE_H

#include "err.h"
#include "state.h"
#include "unsubscribe.h"

struct serve_params {
	const char *listen;          /* "127.0.0.1:8025", "[::1]:8025"; port 0 picks one */
	const char *title;           /* the digest's name on the pages */
	double rate;                 /* requests a second, on average */
	int burst;                   /* requests at once above the rate */
	struct state *st;            /* opened STATE_SHARED; borrowed */
	const char *state_path;      /* its file, for the queue (suppress_queue.h) */
	const struct unsub_key *key; /* borrowed */
};

struct serve;

/* Starts answering on p->listen in a thread of its own; *port is the port
 * it listens on. EX_USAGE for a listen address that is not HOST:PORT with
 * a numeric host; EX_UNAVAILABLE when it cannot listen there (in use, not
 * an address of this machine), naming it. */
int serve_start(const struct serve_params *p, struct serve **out, unsigned *port,
                struct nk_err *e);

/* Stops listening, finishes the request in hand, frees s. */
void serve_stop(struct serve *s);

#endif
