/* address.h — mail addresses as nkdigest accepts them.
 *
 * Subscriber rows and config values are untrusted: an address that reaches
 * an SMTP command or a header must be a plain RFC 5321 mailbox. Validated
 * once, at the edge (subscriber list, config). */
#ifndef NK_ADDRESS_H
#define NK_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* True when addr is local@domain with a dot-atom or quoted local part of at
 * most 64 octets, a domain of dot-separated LDH labels (or an address
 * literal [1.2.3.4]) of at most 255 octets, at most 254 octets in all, and
 * printable ASCII only. Otherwise false, with the reason in why (if not
 * NULL). */
bool address_valid(const char *addr, char *why, size_t whylen);

/* Splits "Display Name <local@domain>" or "local@domain" into a name
 * (possibly "", quotes removed) and an address. Returns 0 and two strings
 * the caller frees, or -1 with the reason in why when the syntax is wrong or
 * the address is not valid. */
int address_parse_mailbox(const char *s, char **name, char **addr,
                          char *why, size_t whylen);

/* The part after the last '@' (borrowed from addr), or "" when none. */
const char *address_domain(const char *addr);

/* Lower-cases the domain part in place (the local part is left alone: it is
 * case-sensitive by the standard). Used to compare subscribers. */
void address_normalize(char *addr);

#endif
