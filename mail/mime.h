/* mime.h — composing the digest message (RFC 5322 + MIME).
 *
 * Builds multipart/alternative with text/plain first and text/html last,
 * both UTF-8, each quoted-printable or base64, whichever is shorter for it
 * (base64 for mostly-Korean text), with the List-Unsubscribe headers mail
 * providers expect from bulk senders. A letter (mime_letter_new) is made
 * once per tier and written for each recipient (mime_letter_write): what
 * every copy shares is encoded once, so a copy costs only its own few
 * lines. */
#ifndef NK_MIME_H
#define NK_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/* The longest display name (From, To, List-Id) accepted, in bytes: the
 * subscriber list and the config refuse longer ones up front. */
#define MIME_MAX_NAME 256

/* Every pointer is borrowed for the duration of mime_build(). Header values
 * are UTF-8; mime_build() encodes them (RFC 2047) itself. */
struct mime_msg {
	const char *from_name;      /* may be NULL or "" */
	const char *from_addr;      /* local@domain */
	const char *to_name;        /* may be NULL or "" */
	const char *to_addr;
	const char *subject;
	const char *message_id;     /* without <>: "id-left@id-right" */
	time_t date;                /* written in UTC: "+0000" */
	const char *list_id;        /* "<digest.example.org>" body without name; may be NULL */
	const char *list_id_name;   /* phrase before it; may be NULL */
	const char *unsubscribe_url;    /* https URL or NULL */
	const char *unsubscribe_mailto; /* address or NULL */
	const char *unsubscribe_subject; /* the mailto's subject; NULL: "unsubscribe" */
	const char *text;           /* text/plain body, '\n' line ends */
	size_t text_len;
	const char *html;           /* text/html body, '\n' line ends */
	size_t html_len;
};

/* One part's text as runs of whole lines: a static run is the same for
 * every copy; a dynamic run stands for lines each copy brings its own of
 * (text is then a sample with the values left out, for choosing the
 * part's encoding). Borrowed for the duration of the call. */
struct mime_run {
	const char *text;
	size_t len;
	bool dynamic;
};
struct mime_body {
	const struct mime_run *runs;
	size_t n;
};

struct mime_letter;

/* Makes the letter every copy of a message is written from: m's shared
 * fields (from_*, list_id*, unsubscribe_mailto, and subject unless it is
 * NULL: then each copy brings its own), the two parts' runs. m's other
 * fields are not used. Errors as mime_build's for those fields. Caller
 * frees with mime_letter_free(). */
int mime_letter_new(const struct mime_msg *m, const struct mime_body *text,
                    const struct mime_body *html, struct mime_letter **out,
                    struct nk_err *e);
void mime_letter_free(struct mime_letter *l);

/* One copy's own values; borrowed. text[i] (html[i]) is the i-th dynamic
 * run of that part, filled: whole lines, '\n' line ends. */
struct mime_copy {
	const char *to_name;             /* may be NULL or "" */
	const char *to_addr;
	const char *subject;             /* only when the letter has none */
	const char *message_id;          /* without <> */
	time_t date;
	const char *unsubscribe_url;     /* https URL or NULL */
	const char *unsubscribe_subject; /* the mailto's subject; NULL: "unsubscribe" */
	const struct buf *text;
	size_t ntext;
	const struct buf *html;
	size_t nhtml;
};

/* Appends the copy to out, as mime_build does a message. Errors as
 * mime_build's for the copy's fields; EX_SOFTWARE when the number of runs
 * given does not match the letter's. */
int mime_letter_write(const struct mime_letter *l, const struct mime_copy *c,
                      struct buf *out, struct nk_err *e);

/* Appends the whole message to out with CRLF line ends, ready for SMTP DATA
 * (libcurl dot-stuffs it). Every message is marked as bulk mail that wants
 * no automatic replies (Precedence: bulk, Auto-Submitted: auto-generated,
 * X-Auto-Response-Suppress: All). List-Unsubscribe is folded after its
 * colon, one URL a line; a URL is never broken (RFC 2369: no white space
 * inside the brackets), so only a URL longer than 75 characters makes a
 * header line longer than 78. Fails with EX_DATAERR, naming the field, when a
 * header value or address holds a control character (CR, LF, NUL, …) or is
 * too long: data must never be able to add headers. EX_SOFTWARE when the
 * result would break the wire format anyway (a bug of ours). */
int mime_build(const struct mime_msg *m, struct buf *out, struct nk_err *e);

/* The bytes body[0..n) takes as a part of mime_build()'s message, encoded
 * as it would be (line ends included, the part's own header not): what a
 * mail client that clips long messages counts. */
size_t mime_part_size(const char *body, size_t n);

#endif
