/* address.c — checking and splitting mail addresses (see address.h).
 * Deliberately stricter than RFC 5321 where the extra freedom only helps
 * someone smuggle bytes into an SMTP command or a header. */
#include "address.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ADDR 254    /* RFC 5321 4.5.3.1.3, less the path's "<>" */
#define MAX_LOCAL 64
#define MAX_DOMAIN 255
#define MAX_LABEL 63

static bool fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
	if (why && whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* RFC 5322 atext: what a dot-atom is made of. */
static bool is_atext(char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A quoted local part, s[0] == '"'. Sets *end past the closing quote.
 * Only the quoted-pairs \" and \\ are allowed, and no two spaces in a row:
 * libetpan's header writer folds at spaces and squeezes runs of them, so a
 * needless "\ " could end up as a backslash before a line break and a double
 * space would make the To header name another mailbox than RCPT TO. */
static bool quoted_local(const char *s, const char **end,
			 char *why, size_t whylen)
{
	const char *p = s + 1;
	for (;; p++) {
		if (*p == '\0')
			return fail(why, whylen, "unterminated quoted local part");
		if (*p == '"')
			break;
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != '\\')
				return fail(why, whylen, "needless backslash "
					    "escape in quoted local part");
		} else if (*p == ' ' && p[1] == ' ') {
			return fail(why, whylen, "two spaces in a row in "
				    "quoted local part");
		}
	}
	if (p == s + 1)
		return fail(why, whylen, "empty quoted local part");
	*end = p + 1;
	return true;
}

static bool dot_atom_local(const char *s, size_t n, char *why, size_t whylen)
{
	if (n == 0)
		return fail(why, whylen, "empty local part");
	if (s[0] == '.' || s[n - 1] == '.')
		return fail(why, whylen, "local part starts or ends with '.'");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return fail(why, whylen, "\"..\" in local part");
		} else if (!is_atext(s[i])) {
			return fail(why, whylen, "character '%c' not allowed "
				    "in an unquoted local part", s[i]);
		}
	}
	return true;
}

static bool address_literal(const char *s, size_t n, char *why, size_t whylen)
{
	char tmp[64];
	if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof tmp)
		return fail(why, whylen, "malformed address literal");
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	unsigned char bin[16];
	if (strncmp(tmp, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, tmp + 5, bin) == 1)
			return true;
	} else if (inet_pton(AF_INET, tmp, bin) == 1) {
		return true;
	}
	return fail(why, whylen, "address literal is not an IPv4 or "
		    "IPv6 address");
}

/* Dot-separated LDH labels. A single label ("localhost") is allowed: valid
 * in RFC 5321 and useful on test servers. */
static bool domain_ok(const char *s, size_t n, char *why, size_t whylen)
{
	if (n == 0)
		return fail(why, whylen, "empty domain");
	if (n > MAX_DOMAIN)
		return fail(why, whylen, "domain longer than %d octets",
			    MAX_DOMAIN);
	if (s[0] == '[')
		return address_literal(s, n, why, whylen);
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_alnum(s[i]) && s[i] != '-')
				return fail(why, whylen, "character '%c' not "
					    "allowed in a domain", s[i]);
			continue;
		}
		size_t len = i - start;
		if (len == 0)
			return fail(why, whylen, "empty label in domain");
		if (len > MAX_LABEL)
			return fail(why, whylen, "domain label longer than "
				    "%d octets", MAX_LABEL);
		if (s[start] == '-' || s[i - 1] == '-')
			return fail(why, whylen, "domain label starts or "
				    "ends with '-'");
		start = i + 1;
	}
	return true;
}

bool address_valid(const char *addr, char *why, size_t whylen)
{
	if (!addr || !*addr)
		return fail(why, whylen, "empty address");
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++) {
		if (*p >= 0x80)
			return fail(why, whylen, "non-ASCII address "
				    "(SMTPUTF8 is not supported)");
		if (*p < 0x20 || *p == 0x7f)
			return fail(why, whylen, "control character 0x%02X "
				    "in address", *p);
	}
	size_t n = strlen(addr);
	if (n > MAX_ADDR)
		return fail(why, whylen, "address longer than %d octets",
			    MAX_ADDR);

	const char *at;
	if (addr[0] == '"') {
		const char *end = NULL;
		if (!quoted_local(addr, &end, why, whylen))
			return false;
		if (*end != '@')
			return fail(why, whylen, "expected '@' after quoted "
				    "local part");
		at = end;
	} else {
		at = strchr(addr, '@');
		if (!at)
			return fail(why, whylen, "no '@' in address");
		if (!dot_atom_local(addr, (size_t)(at - addr), why, whylen))
			return false;
	}
	if ((size_t)(at - addr) > MAX_LOCAL)
		return fail(why, whylen, "local part longer than %d octets",
			    MAX_LOCAL);
	return domain_ok(at + 1, strlen(at + 1), why, whylen);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copies a quoted display name starting at s[0] == '"' without its quotes
 * and backslashes; *end is set past the closing quote. */
static char *unquote_name(const char *s, const char **end,
			  char *why, size_t whylen)
{
	char *name = xmalloc(strlen(s));
	size_t n = 0;
	const char *p = s + 1;
	for (; *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (*p == '\0') {
			free(name);
			fail(why, whylen, "unterminated quoted display name");
			return NULL;
		}
		name[n++] = *p;
	}
	name[n] = '\0';
	*end = p + 1;
	return name;
}

int address_parse_mailbox(const char *s, char **name, char **addr,
			  char *why, size_t whylen)
{
	*name = *addr = NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			fail(why, whylen, "control character 0x%02X in "
			     "mailbox", *p);
			return -1;
		}
	}
	const char *p = skip_ws(s);
	char *nm = NULL;
	const char *lt;

	/* A name that is one quoted string loses its quotes; any other name
	 * (Kim "Jay" O'Neil) is kept as typed: it is re-encoded on output. */
	if (*p == '"') {
		const char *end = NULL;
		nm = unquote_name(p, &end, why, whylen);
		if (!nm)
			return -1;
		lt = skip_ws(end);
		if (*lt != '<') {
			free(nm);
			nm = NULL;
		}
	}
	if (!nm) {
		lt = strchr(p, '<');
		if (!lt) {
			/* A bare address: anything but the address itself
			 * (a stray '>' included) fails address_valid(). */
			size_t n = strlen(p);
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			char *a = xstrndup(p, n);
			if (!address_valid(a, why, whylen)) {
				free(a);
				return -1;
			}
			*name = xstrdup("");
			*addr = a;
			return 0;
		}
		size_t n = (size_t)(lt - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		nm = xstrndup(p, n);
		if (strchr(nm, '>')) {
			free(nm);
			fail(why, whylen, "'>' before '<'");
			return -1;
		}
	}

	if (strchr(nm, '\t')) {
		free(nm);
		fail(why, whylen, "tab in display name");
		return -1;
	}

	/* A quoted local part may hold '>' itself. */
	const char *q = lt + 1;
	if (*q == '"') {
		for (q++; *q && *q != '"'; q++)
			if (*q == '\\' && q[1])
				q++;
	}
	const char *gt = strchr(q, '>');
	if (!gt) {
		free(nm);
		fail(why, whylen, "missing '>'");
		return -1;
	}
	if (*skip_ws(gt + 1) != '\0') {
		free(nm);
		fail(why, whylen, "garbage after '>'");
		return -1;
	}
	char *a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	if (!address_valid(a, why, whylen)) {
		free(a);
		free(nm);
		return -1;
	}
	*name = nm;
	*addr = a;
	return 0;
}

const char *address_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "";
}

void address_normalize(char *addr)
{
	char *at = strrchr(addr, '@');
	if (!at)
		return;
	for (char *p = at + 1; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}
