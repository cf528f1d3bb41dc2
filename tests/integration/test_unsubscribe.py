"""The operator's commands on the suppression list (`unsubscribe`,
`resubscribe`, `suppressions list|export|import`) and the token recipe in
the README, run against tokens from messages a real SMTP server received."""
import json
import sqlite3

from harness import (NkTestCase, SAMPLE_JSONFEED, readme_token_check, unsubscribe_token)

SUBS = """email,name,tier
one@example.org,One,free
two@example.org,Two,pro
three@example.org,Three,free
"""


class Suppressions(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.smtp = self.smtp_server()
        self.url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.cfg = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBS)

    def run_nk(self, *args, **kw):
        return self.nk(*args, config=self.cfg, **kw)

    def new_edition(self, n):
        feed = json.loads(SAMPLE_JSONFEED.read_text())
        feed["items"].insert(0, {"id": f"new-{n}", "url": f"https://www.nknews.org/new/{n}/",
                                 "title": f"New {n}", "summary": "x",
                                 "date_published": f"2022-05-2{n}T08:00:00+09:00",
                                 "authors": [{"name": "A"}], "tags": ["News"]})
        self.http.serve("/feed.json", json.dumps(feed))

    def rows(self):
        db = sqlite3.connect(self.dir / "state.db")
        out = {e: (r, t) for e, r, t in
               db.execute("SELECT email, reason, created FROM suppressions")}
        db.close()
        return out

    def test_an_unsubscribed_address_gets_no_more_mail(self):
        p = self.run_nk("unsubscribe", "Two@Example.org")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("suppressed  Two@example.org  (unsubscribe)", p.out)
        p = self.run_nk("send")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["one@example.org", "three@example.org"])
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT status FROM deliveries WHERE email = "
                                    "'two@example.org'").fetchone(), ("suppressed",))

    def test_a_token_from_a_received_link_unsubscribes_its_reader(self):
        self.assertEqual(self.run_nk("send").returncode, 0)
        msg = next(r for r in self.smtp.received if r.rcpt_tos == ["three@example.org"])
        token = unsubscribe_token(msg.msg["List-Unsubscribe"])
        p = self.run_nk("unsubscribe", "--token", token)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(set(self.rows()), {"three@example.org"})

    def test_a_forged_or_altered_token_changes_nothing(self):
        self.assertEqual(self.run_nk("send").returncode, 0)
        token = unsubscribe_token(self.smtp.received[0].msg["List-Unsubscribe"])
        flip = "A" if token[20] != "A" else "B"
        for bad, why in ((token[:20] + flip + token[21:], "does not verify"),
                         (token[:-10], "does not verify"),
                         ("v1.bm90LWEtdG9rZW4", "too short"),
                         ("bm90.aG1hYw", "not an unsubscribe token")):
            p = self.run_nk("unsubscribe", "--token", bad)
            self.assertEqual(p.returncode, 65, p.err)
            self.assertIn(why, p.err)
        self.assertEqual(self.rows(), {})

    def test_addresses_from_a_file_bad_lines_named(self):
        self.write("gone.txt", "one@example.org\n# left on 2 May\n\nnot an address\n"
                               "ONE@example.org\r\nthree@example.org\n")
        p = self.run_nk("unsubscribe", "--file", "gone.txt")
        self.assertEqual(p.returncode, 65, p.err)
        self.assertIn("gone.txt:4: 'not an address' is not a valid address", p.err)
        self.assertIn("gone.txt:5: ONE@example.org is listed twice", p.err)
        self.assertEqual(set(self.rows()), {"one@example.org", "three@example.org"})
        p = self.run_nk("unsubscribe", "--file", "-", stdin=b"two@example.org\n")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("two@example.org", self.rows())
        p = self.run_nk("unsubscribe", "--file", "missing.txt")
        self.assertEqual(p.returncode, 66, p.err)
        self.assertIn("missing.txt", p.err)

    def test_resubscribe_lifts_an_unsubscribe_only(self):
        self.run_nk("unsubscribe", "one@example.org", "two@example.org")
        db = sqlite3.connect(self.dir / "state.db")
        db.execute("UPDATE suppressions SET reason = 'complaint' WHERE email = 'two@example.org'")
        db.commit()
        db.close()
        p = self.run_nk("resubscribe", "one@example.org", "two@example.org")
        self.assertEqual(p.returncode, 65, p.err)
        self.assertIn("resubscribed  one@example.org", p.out)
        self.assertIn("two@example.org: suppressed for complaint", p.err)
        self.assertIn("--force", p.err)
        self.assertEqual(set(self.rows()), {"two@example.org"})
        self.assertEqual(self.run_nk("send").returncode, 0)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["one@example.org", "three@example.org"])
        p = self.run_nk("resubscribe", "--force", "two@example.org")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.rows(), {})
        self.new_edition(2)
        self.assertEqual(self.run_nk("send").returncode, 0)
        self.assertIn(["two@example.org"], [r.rcpt_tos for r in self.smtp.received[2:]])

    def test_export_then_import_round_trips_odd_addresses(self):
        self.run_nk("unsubscribe", '"odd, one"@example.org', "plain@example.org")
        p = self.run_nk("suppressions", "export")
        self.assertEqual(p.returncode, 0, p.err)
        lines = p.out.splitlines()
        self.assertEqual(lines[0], "email,reason,time")
        self.assertIn('"""odd, one""@example.org",unsubscribe,', p.out)
        self.assertRegex(lines[1], r",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        before = self.rows()
        self.write("export.csv", p.out)
        (self.dir / "state.db").unlink()
        p = self.run_nk("suppressions", "import", "export.csv")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.rows(), before)
        p = self.run_nk("suppressions", "list")
        self.assertRegex(p.out, r'"odd, one"@example\.org +unsubscribe +\d{4}-')

    def test_import_names_each_bad_row_and_adds_the_rest(self):
        self.write("in.csv", "time,email,reason\n"
                             "2024-01-02T03:04:05+09:00,a@example.org,Complaint\n"
                             ",b@example.org,\n"
                             "yesterday,c@example.org,unsubscribe\n"
                             ",d@example.org,spam\n"
                             ",not-an-address,\n"
                             ",A@example.org,\n")
        p = self.run_nk("suppressions", "import", "in.csv")
        self.assertEqual(p.returncode, 65, p.err)
        self.assertIn("in.csv:4: time 'yesterday' is not an RFC 3339 time", p.err)
        self.assertIn("in.csv:5: unknown reason 'spam'", p.err)
        self.assertIn("in.csv:6: 'not-an-address' is not a valid address", p.err)
        self.assertIn("in.csv:7: A@example.org is listed twice", p.err)
        rows = self.rows()
        self.assertEqual(set(rows), {"a@example.org", "b@example.org"})
        self.assertEqual(rows["a@example.org"], ("complaint", 1704132245))
        self.write("nohead.csv", "a@example.org\n")
        p = self.run_nk("suppressions", "import", "nohead.csv")
        self.assertEqual(p.returncode, 65, p.err)
        self.assertIn("nohead.csv:1: the header row has no 'email' column", p.err)

    def test_usage_errors(self):
        for args in (("unsubscribe",), ("resubscribe",), ("suppressions",),
                     ("suppressions", "drop"), ("suppressions", "import"),
                     ("suppressions", "list", "x")):
            p = self.run_nk(*args)
            self.assertEqual(p.returncode, 64, (args, p.err))
            self.assertIn("usage: nkdigest", p.err)


class ReadmeRecipe(NkTestCase):
    """The README's Python check, as printed there, against nkdigest's tokens."""

    def test_recipe_opens_real_tokens_and_refuses_the_rest(self):
        smtp = self.smtp_server()
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        cfg = self.config(url, smtp=smtp.url(), subscribers=SUBS)
        self.assertEqual(self.nk("send", config=cfg).returncode, 0)
        check = readme_token_check()
        key = self.dir / "unsubscribe.key"
        for r in smtp.received:
            token = unsubscribe_token(r.msg["List-Unsubscribe"])
            self.assertEqual(check(key, token), r.rcpt_tos[0])
            flip = "A" if token[10] != "A" else "B"
            for bad in (token[:-1], token[:10] + flip + token[11:],
                        token.replace("v1.", "v2."), "v1.", token + "AAAA"):
                self.assertIsNone(check(key, bad), bad)
        # The newline at the end of the key file is not part of the key:
        # the same key without it, or with CRLF, opens the same tokens;
        # another key does not.
        token = unsubscribe_token(smtp.received[0].msg["List-Unsubscribe"])
        for text, opens in ((b"test-secret-123", True), (b"test-secret-123\r\n", True),
                            (b"test-secret-123\n\n", True), (b"test-secret-1234\n", False)):
            k = self.write("other.key", text, mode=0o600)
            self.assertEqual(check(k, token) is not None, opens, text)
        # nkdigest reads the key the same way: a key file without its
        # newline still unsubscribes through `unsubscribe --token`.
        self.write("unsubscribe.key", b"test-secret-123", mode=0o600)
        p = self.nk("unsubscribe", "--token", token, config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn(smtp.received[0].rcpt_tos[0], p.out)
