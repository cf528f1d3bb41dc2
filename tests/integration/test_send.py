"""`send`: one personalised multipart message per subscriber through a real
SMTP server (aiosmtpd), recorded in the state file; a second send sends
nothing."""
import base64
import collections
import hashlib
import json
import re
import sqlite3
import urllib.parse

from harness import (NkTestCase, SAMPLE_JSONFEED, mail_transactions, readme_token_check,
                     unsubscribe_token)

ITEMS = json.loads(SAMPLE_JSONFEED.read_text())["items"]
PRO = [i for i in ITEMS if "NK PRO" in i["tags"]]
NEWS = [i for i in ITEMS if "NK PRO" not in i["tags"]]

SUBSCRIBERS = """email,name,tier
pro.reader@example.org,Kim Min-jun,pro
free.reader@example.org,"Doe, Jane",free
not-an-address,Broken Row,free
"quoted@example.net",,
Free.Reader@Example.org,Same Person Again,pro
"""


class SendDigest(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.smtp = self.smtp_server()
        url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.cfg = self.config(url, smtp=self.smtp.url(), subscribers=SUBSCRIBERS)

    def send(self, *args):
        return self.nk("send", *args, config=self.cfg)

    def by_rcpt(self):
        out = {}
        for r in self.smtp.received:
            self.assertEqual(len(r.rcpt_tos), 1)
            self.assertNotIn(r.rcpt_tos[0], out, "a recipient got two messages")
            out[r.rcpt_tos[0]] = r
        return out

    def test_one_message_per_valid_subscriber(self):
        p = self.send()
        self.assertEqual(p.returncode, 0, p.err)
        got = self.by_rcpt()
        self.assertEqual(set(got), {"pro.reader@example.org", "free.reader@example.org",
                                    "quoted@example.net"})
        for rcpt, r in got.items():
            self.assertEqual(r.mail_from, "digest@example.org")
            self.assertEqual(r.msg["To"].addresses[0].addr_spec, rcpt)

    def test_without_pipelining_each_command_waits_for_its_reply(self):
        # This server (aiosmtpd) does not offer PIPELINING: RCPT goes out
        # only after MAIL's 250, DATA only after RCPT's.
        p = self.nk("-v", "send", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        transactions = mail_transactions(p.err)
        self.assertEqual(len(transactions), 3, p.err)
        for lines in transactions:
            self.assertEqual(lines[1][:5], "< 250")
            self.assertEqual(lines[2][:9], "> RCPT TO")
            self.assertEqual(lines[3][:5], "< 250")
            self.assertEqual(lines[4], "> DATA")
            self.assertEqual(lines[5][:5], "< 354")

    def test_bad_and_repeated_rows_are_reported_with_their_line(self):
        p = self.send()
        self.assertRegex(p.err, r"subscribers\.csv:4: 'not-an-address' is not a valid address")
        self.assertRegex(p.err, r"subscribers\.csv:6: Free\.Reader@example\.org is listed twice")

    def test_headers_are_present_exactly_once(self):
        self.send()
        for r in self.smtp.received:
            names = collections.Counter(k.lower() for k in r.msg.keys())
            for h in ("date", "from", "to", "subject", "message-id", "mime-version",
                      "content-type", "list-unsubscribe", "list-unsubscribe-post",
                      "list-id"):
                self.assertEqual(names[h], 1, h)
            self.assertEqual(r.msg["From"].addresses[0].display_name, "NK News Digest")
            self.assertEqual(r.msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")

    def test_multipart_alternative_plain_first_html_last_utf8(self):
        self.send()
        for r in self.smtp.received:
            m = r.msg
            self.assertEqual(m.get_content_type(), "multipart/alternative")
            parts = list(m.iter_parts())
            self.assertEqual([p.get_content_type() for p in parts],
                             ["text/plain", "text/html"])
            for part in parts:
                self.assertEqual(part.get_content_charset(), "utf-8")
                self.assertEqual(part["Content-Transfer-Encoding"], "quoted-printable")
                self.assertFalse(part.defects, part.defects)
            self.assertFalse(m.defects)
            # CRLF only, and no line longer than SMTP allows.
            self.assertNotIn(b"\n", r.data.replace(b"\r\n", b""))
            for line in r.data.split(b"\r\n"):
                self.assertLessEqual(len(line), 998)

    def test_each_tier_gets_its_variant(self):
        self.send()
        got = self.by_rcpt()
        pro = got["pro.reader@example.org"].msg
        free = got["free.reader@example.org"].msg
        empty_tier = got["quoted@example.net"].msg   # empty tier cell: the first tier
        pro_text = pro.get_body(("plain",)).get_content()
        free_text = free.get_body(("plain",)).get_content()
        pro_html = pro.get_body(("html",)).get_content()
        free_html = free.get_body(("html",)).get_content()
        for item in ITEMS:
            self.assertIn(item["url"], pro_text)
            self.assertIn(item["url"], pro_html)
            self.assertIn(item["url"], free_html)
        # Free readers get the PRO articles as marked teasers and the
        # upgrade link once; pro readers get no upgrade call at all.
        upgrade = "Subscribe to NK PRO: https://www.nknews.org/pro/"
        self.assertNotIn("Subscribe to NK PRO", pro_text)
        self.assertEqual(free_text.count(upgrade), 1)
        for item in PRO:
            self.assertIn(item["title"] + " [NK PRO]", re.sub(r"\s+", " ", free_text))
        self.assertEqual(empty_tier.get_body(("plain",)).get_content().count(upgrade), 1)

    def test_each_copy_is_personalised(self):
        self.send()
        got = self.by_rcpt()
        pro_text = got["pro.reader@example.org"].msg.get_body(("plain",)).get_content()
        self.assertIn("Hello Kim Min-jun,", pro_text)
        self.assertIn("This copy was sent to pro.reader@example.org.",
                      re.sub(r"\s+", " ", pro_text))
        # "Doe, Jane" in the list is greeted as she is called.
        free_html = got["free.reader@example.org"].msg.get_body(("html",)).get_content()
        self.assertIn("Hello Jane Doe,", free_html)
        self.assertNotIn("Doe, Jane", free_html)
        nameless = got["quoted@example.net"].msg.get_body(("plain",)).get_content()
        self.assertIn("\r\nHello,\r\n", nameless)
        self.assertNotIn("Hello reader", nameless)
        # Display names come back exactly, with their comma.
        self.assertEqual(got["free.reader@example.org"].msg["To"].addresses[0].display_name,
                         "Doe, Jane")

    def test_unsubscribe_links_are_opaque_tokens_per_recipient(self):
        self.send()
        check = readme_token_check()
        tokens = set()
        for rcpt, r in self.by_rcpt().items():
            header = r.msg["List-Unsubscribe"]
            token = unsubscribe_token(header)
            self.assertTrue(token, header)
            # The token names the recipient (the README's own check opens
            # it) and shows nothing of the address.
            self.assertEqual(check(self.dir / "unsubscribe.key", token), rcpt)
            self.assertNotIn(rcpt.split("@")[0], token)
            who = base64.urlsafe_b64encode(rcpt.encode()).decode().rstrip("=")
            self.assertNotIn(who[:12], token)
            tokens.add(token)
            # The mailto carries the same token in its subject.
            self.assertIn(f"<mailto:unsubscribe@example.org?subject=unsubscribe%20{token}>",
                          header)
            # The same link is in both bodies.
            url = f"https://example.org/unsubscribe?t={token}"
            self.assertIn(url, r.msg.get_body(("plain",)).get_content())
            self.assertIn(url, r.msg.get_body(("html",)).get_content())
        self.assertEqual(len(tokens), 3)

    def test_message_ids_are_stable_per_edition_and_recipient(self):
        self.send()
        db = sqlite3.connect(self.dir / "state.db")
        (instance,) = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
        db.close()
        self.assertRegex(instance, r"^[0-9a-f]{16}$")
        ids = {}
        for rcpt, r in self.by_rcpt().items():
            mid = r.msg["Message-ID"]
            self.assertRegex(mid, r"^<nkdigest\.[0-9a-f]{16}\.1\.[0-9a-f]{16}@example\.org>$")
            h = hashlib.sha256(rcpt.lower().encode()).hexdigest()[:16]
            self.assertEqual(mid, f"<nkdigest.{instance}.1.{h}@example.org>")
            ids[rcpt] = mid
        self.assertEqual(len(set(ids.values())), len(ids))

    def test_another_state_file_makes_other_message_ids(self):
        # A fresh state file starts again at edition 1: the instance id
        # keeps its Message-IDs apart from the first file's.
        self.send()
        first = {r.rcpt_tos[0]: r.msg["Message-ID"] for r in self.smtp.received}
        (self.dir / "state.db").rename(self.dir / "old-state.db")
        for extra in ("state.db-wal", "state.db-shm"):
            (self.dir / extra).unlink(missing_ok=True)
        self.assertEqual(self.send().returncode, 0)
        second = {r.rcpt_tos[0]: r.msg["Message-ID"]
                  for r in self.smtp.received[len(first):]}
        self.assertEqual(set(first), set(second))
        for rcpt in first:
            self.assertNotEqual(first[rcpt], second[rcpt])
            self.assertEqual(first[rcpt].split(".")[2], second[rcpt].split(".")[2])  # edition 1

    def test_bulk_headers_and_short_header_lines(self):
        self.send()
        for r in self.smtp.received:
            self.assertEqual(r.msg["Precedence"], "bulk")
            self.assertEqual(r.msg["Auto-Submitted"], "auto-generated")
            self.assertEqual(r.msg["X-Auto-Response-Suppress"], "All")
            head = r.data.split(b"\r\n\r\n", 1)[0].decode()
            self.assertIn("\r\nList-Unsubscribe:\r\n <https://", head)
            for line in head.split("\r\n"):
                # Only a URL too long for a line may pass 78 (never broken).
                if len(line) > 78:
                    self.assertRegex(line, r"^ <(https|mailto):[^ ]+>,?$")

    def test_second_send_says_nothing_new_and_sends_nothing(self):
        self.assertEqual(self.send().returncode, 0)
        n = len(self.smtp.received)
        p = self.send()
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("nothing new", p.err)
        self.assertEqual(len(self.smtp.received), n)

    def test_state_records_the_edition_and_every_delivery(self):
        self.send()
        db = sqlite3.connect(self.dir / "state.db")
        editions = db.execute("SELECT id, status, narticles, articles FROM editions").fetchall()
        self.assertEqual(len(editions), 1)
        eid, status, n, frozen = editions[0]
        self.assertEqual((status, n), ("done", len(ITEMS)))
        self.assertEqual([a["url"] for a in json.loads(frozen)], [i["url"] for i in ITEMS])
        rows = dict(db.execute("SELECT email, status FROM deliveries WHERE edition = ?",
                               (eid,)).fetchall())
        self.assertEqual(rows, {"pro.reader@example.org": "sent",
                                "free.reader@example.org": "sent",
                                "quoted@example.net": "sent"})
        codes = {c for (c,) in db.execute("SELECT code FROM deliveries")}
        self.assertEqual(codes, {250})

    def test_new_articles_make_a_new_edition_with_only_them(self):
        self.send()
        feed = json.loads(SAMPLE_JSONFEED.read_text())
        feed["items"].insert(0, {"id": "new-1", "url": "https://www.nknews.org/2022/05/new/",
                                 "title": "A new article", "summary": "Fresh",
                                 "date_published": "2022-05-22T08:00:00+09:00",
                                 "authors": [{"name": "New Author"}], "tags": ["News"]})
        self.http.serve("/feed.json", json.dumps(feed))
        before = len(self.smtp.received)
        p = self.send()
        self.assertEqual(p.returncode, 0, p.err)
        new = self.smtp.received[before:]
        self.assertEqual(len(new), 3)
        for r in new:
            text = r.msg.get_body(("plain",)).get_content()
            self.assertIn("A new article", text)
            self.assertNotIn(ITEMS[0]["url"], text)
            self.assertRegex(r.msg["Message-ID"], r"^<nkdigest\.[0-9a-f]{16}\.2\.")

    def test_status_shows_the_edition(self):
        self.send()
        p = self.nk("status", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.out, r"\n1 +\S+ \S+ \S+ +done +10 +\d+ +\d+ +3 +0 +0 +0 +0 +\d+m\d\ds\n")

    def test_dry_run_sends_and_records_nothing(self):
        p = self.send("--dry-run")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.smtp.received, [])
        self.assertFalse((self.dir / "state.db").exists())
        self.assertIn("would send  pro.reader@example.org  pro", p.out)
        self.assertEqual(p.out.count("would send"), 3)

    def test_to_sends_one_test_copy_and_records_nothing(self):
        p = self.send("--to", "editor@example.org", "--tier", "free")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual([r.rcpt_tos for r in self.smtp.received], [["editor@example.org"]])
        text = self.smtp.received[0].msg.get_body(("plain",)).get_content()
        self.assertIn("Subscribe to NK PRO", text)
        self.assertFalse((self.dir / "state.db").exists())
        # The real send still goes to everyone afterwards.
        self.assertEqual(self.send().returncode, 0)
        self.assertEqual(len(self.smtp.received), 4)

    def test_limit_leaves_the_rest_pending_for_the_next_run(self):
        p = self.send("--limit", "1")
        self.assertEqual(p.returncode, 75, p.err)
        self.assertEqual(len(self.smtp.received), 1)
        p = self.send()
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("resuming edition 1", p.err)
        self.assertEqual(len(self.by_rcpt()), 3)
