/* support.h — helpers the unit tests share: an RFC 2047 and a
 * quoted-printable decoder, written apart from the encoders they check
 * (they fail the running cmocka test on anything malformed), and a small
 * set of articles. */
#ifndef NK_TEST_SUPPORT_H
#define NK_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "article.h"
#include "buf.h"

/* The value of an upper-case hex digit, or -1. */
int t_hexval(char c);

/* Appends the bytes of tok[0..n) and returns true when it is a UTF-8
 * encoded-word (at most 75 characters); false when it is not one at all.
 * With phrase, Q-encoded text may hold only what RFC 2047 §5(3) allows. */
bool t_decode_ew(const char *tok, size_t n, bool phrase, struct buf *out);

/* True when s[0..n) holds whole UTF-8 sequences only. */
bool t_utf8_complete(const char *s, size_t n);

/* Checks an encoder's output: printable ASCII, single spaces between
 * tokens and none at the ends, each encoded-word at most 75 characters
 * and holding whole UTF-8 characters. */
void t_check_encoded_shape(const char *enc, bool phrase);

/* Decodes an unstructured header value (white space between two
 * encoded-words dropped, RFC 2047 §6.2) or a phrase (atoms, quoted strings
 * and encoded-words). Caller frees. */
char *t_decode_text(const char *v);
char *t_decode_phrase(const char *v);

/* Appends the quoted-printable decoding of s[0..n) (soft breaks "=\r\n"). */
void t_decode_qp(const char *s, size_t n, struct buf *out);

/* Appends the base64 decoding of s[0..n): lines of 76 characters split by
 * CRLF, only the last one shorter, '=' padding only at the end. */
void t_decode_b64(const char *s, size_t n, struct buf *out);

/* Appends an article with id, an RFC 3339 time and a tier; its key is
 * "s<TAB>id" and its link https://x.org/id. */
void t_add_article(struct article_list *l, const char *id, const char *when,
                   const char *tier);

/* Seven articles over 18–21 May 2022 (Seoul), free and pro, out of order;
 * l is reset first. */
void t_sample_articles(struct article_list *l);

#endif
