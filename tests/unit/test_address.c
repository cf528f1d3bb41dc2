/* test_address.c — address.c: which mailboxes nkdigest accepts, and how
 * "Name <addr>" is taken apart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

static void test_address_valid(void **state)
{
	(void)state;
	const char *ok[] = { "a@example.org", "user@localhost",
		"first.last+tag@sub.example.co.uk", "\"john doe\"@example.org",
		"\"a@b\"@example.org", "\"q\\\"x\"@example.org",
		"a@[127.0.0.1]", "a@[IPv6:2001:db8::1]", "x@a-b.c9",
		"!#$%&'*+-/=?^_`{|}~@example.org" };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char why[128] = "";
		if (!address_valid(ok[i], why, sizeof why))
			fail_msg("%s: %s", ok[i], why);
	}
}

static void test_address_invalid(void **state)
{
	(void)state;
	char local65[80], label64[100], long255[300];
	memset(local65, 'l', 65);
	strcpy(local65 + 65, "@x.org");
	strcpy(label64, "a@");
	memset(label64 + 2, 'd', 64);
	strcpy(label64 + 66, ".org");
	strcpy(long255, "a@");
	for (int i = 0; i < 63; i++)
		strcat(long255, "abc.");
	strcat(long255, "org");
	struct { const char *addr, *why; } c[] = {
		{ "", "empty" },
		{ "noat", "'@'" },
		{ "@example.org", "empty local" },
		{ "a@", "empty domain" },
		{ "a..b@x.org", ".." },
		{ ".a@x.org", "'.'" },
		{ "a.@x.org", "'.'" },
		{ "a@-x.org", "'-'" },
		{ "a@x-.org", "'-'" },
		{ "a@x..org", "empty label" },
		{ "a@x.org.", "empty label" },
		{ "a@x_y.org", "'_'" },
		{ local65, "64" },
		{ label64, "63" },
		{ long255, "254" },
		{ "j\xc3\xb6rg@x.org", "SMTPUTF8" },
		{ "a@b\xc3\xa9.org", "SMTPUTF8" },
		{ "a b@x.org", "' '" },
		{ "a@b.org>\r\nRCPT TO:<x@y>", "control" },
		{ "a@b.org\n", "control" },
		{ "\"a  b\"@x.org", "two spaces" },
		{ "\"a\\ b\"@x.org", "backslash" },
		{ "\"\"@x.org", "empty quoted" },
		{ "\"abc@x.org", "unterminated" },
		{ "\"a\"b@x.org", "'@'" },
		{ "a@[1.2.3]", "literal" },
		{ "a@[300.1.1.1]", "literal" },
		{ "a@[IPv6:zz::1]", "literal" },
		{ "a@b@c.org", "'@'" },
		{ "<a@b.org>", "'<'" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char why[128] = "";
		if (address_valid(c[i].addr, why, sizeof why))
			fail_msg("accepted %s", c[i].addr);
		if (!strstr(why, c[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c[i].addr,
				 why, c[i].why);
	}
	assert_false(address_valid(NULL, NULL, 0));
	char tiny[4];
	assert_false(address_valid("x", tiny, sizeof tiny));
	assert_int_equal(strlen(tiny), 3);
}

static void test_parse_mailbox(void **state)
{
	(void)state;
	struct { const char *in, *name, *addr; } c[] = {
		{ "Name <a@b.org>", "Name", "a@b.org" },
		{ "\"Quoted, Name\" <a@b.org>", "Quoted, Name", "a@b.org" },
		{ "<a@b.org>", "", "a@b.org" },
		{ "a@b.org", "", "a@b.org" },
		{ "  Jane  Doe   <a@b.org>  ", "Jane  Doe", "a@b.org" },
		{ "\t a@b.org \t", "", "a@b.org" },
		{ "\"Kim \\\"Jay\\\" O'Neil\" <k@b.org>", "Kim \"Jay\" O'Neil",
		  "k@b.org" },
		{ "M\xc3\xbcller, J\xc3\xb6rg <j@b.org>", "M\xc3\xbcller, J\xc3\xb6rg",
		  "j@b.org" },
		{ "\"\" <a@b.org>", "", "a@b.org" },
		{ "X <\"a>b\"@x.org>", "X", "\"a>b\"@x.org" },
		{ "\"a <b>\"<c@d.org>", "a <b>", "c@d.org" },
		{ "Kim \"Jay\" O'Neil <k@b.org>", "Kim \"Jay\" O'Neil", "k@b.org" },
		{ "\"Quoted\" trailing <a@b.org>", "\"Quoted\" trailing",
		  "a@b.org" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *name, *addr, why[128] = "";
		if (address_parse_mailbox(c[i].in, &name, &addr, why,
					  sizeof why) != 0)
			fail_msg("%s: %s", c[i].in, why);
		assert_string_equal(name, c[i].name);
		assert_string_equal(addr, c[i].addr);
		free(name);
		free(addr);
	}
}

static void test_parse_mailbox_errors(void **state)
{
	(void)state;
	struct { const char *in, *why; } c[] = {
		{ "Name <a@b.org> junk", "garbage after '>'" },
		{ "Name <a@b.org", "missing '>'" },
		{ "Name a@b.org>", "'" },
		{ "<>", "empty" },
		{ "Name <bad>", "'@'" },
		{ "\"unterminated <a@b.org>", "unterminated" },
		{ "Evil\r\nBcc: x@y <a@b.org>", "control" },
		{ "a@b.org>\r\nRCPT TO:<x@y>", "control" },
		{ "a@b.org> RCPT TO:<x@y>", "'>' before '<'" },
		{ "\"Q\" x> <a@b.org>", "'>' before" },
		{ "", "empty" },
		{ "   ", "empty" },
		{ "Name <j\xc3\xb6rg@b.org>", "SMTPUTF8" },
		{ "Jane\tDoe <a@b.org>", "tab" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *name = (char *)"x", *addr = (char *)"x", why[128] = "";
		if (address_parse_mailbox(c[i].in, &name, &addr, why,
					  sizeof why) == 0)
			fail_msg("accepted %s", c[i].in);
		assert_null(name);
		assert_null(addr);
		if (!strstr(why, c[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c[i].in, why,
				 c[i].why);
	}
}

static void test_domain_normalize(void **state)
{
	(void)state;
	assert_string_equal(address_domain("a@b.org"), "b.org");
	assert_string_equal(address_domain("noat"), "");
	assert_string_equal(address_domain("\"x@y\"@Z.org"), "Z.org");
	char a[] = "John.Doe@Example.ORG";
	address_normalize(a);
	assert_string_equal(a, "John.Doe@example.org");
	char b[] = "\"Q@X\"@Sub.EXAMPLE.org";
	address_normalize(b);
	assert_string_equal(b, "\"Q@X\"@sub.example.org");
	char c[] = "NOAT";
	address_normalize(c);
	assert_string_equal(c, "NOAT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_valid),
		cmocka_unit_test(test_address_invalid),
		cmocka_unit_test(test_parse_mailbox),
		cmocka_unit_test(test_parse_mailbox_errors),
		cmocka_unit_test(test_domain_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
