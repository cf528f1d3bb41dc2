/* mime.h — composing the digest message (RFC 5322 + MIME) with libetpan.
 *
 * The only module that includes libetpan. Builds multipart/alternative with
 * text/plain first and text/html last, both UTF-8, each quoted-printable or
 * base64, whichever is shorter for it (base64 for mostly-Korean text), with
 * our own Date and Message-ID (libetpan's are unreliable) and the
 * List-Unsubscribe headers mail providers expect from bulk senders. */
#ifndef NK_MIME_H
#define NK_MIME_H

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
