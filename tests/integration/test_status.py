"""`status`: the recent editions with their articles per tier, delivery
counts and time taken; the addresses that failed, are deferred or are
suppressed, with the server's last reply; the same as JSON. Deliveries go
through a real SMTP server (aiosmtpd) that refuses some recipients."""
import json
import re
import sqlite3

from harness import NkTestCase, SAMPLE_JSONFEED

ITEMS = json.loads(SAMPLE_JSONFEED.read_text())["items"]
N_PRO = sum(1 for i in ITEMS if "NK PRO" in i["tags"] or "/pro/" in i["url"])
SUBS = ("email,name,tier\na@example.org,A,pro\nb@example.org,B,free\n"
        "c@example.org,C,free\nd@example.org,D,free\n")


class Status(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        self.smtp.handler.rcpt_replies.update({
            "b@example.org": "550 5.1.1 <b@example.org>: Recipient address rejected",
            "c@example.org": "451 4.7.1 Greylisted, come back later",
        })
        self.cfg = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                               smtp_extra={"bounce_limit": "1"})
        p = self.nk("send", config=self.cfg)
        self.assertEqual(p.returncode, 75, p.err)   # c is deferred
        self.db = sqlite3.connect(self.dir / "state.db")

    def tearDown(self):
        self.db.close()
        super().tearDown()

    def status(self, *args):
        p = self.nk("status", *args, config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        return p

    def test_table_has_articles_per_tier_counts_and_time_taken(self):
        p = self.status()
        header, row = p.out.splitlines()[:2]
        self.assertEqual(header.split(), ["edition", "created", "state", "articles", "free",
                                          "pro", "sent", "deferred", "failed", "suppressed",
                                          "pending", "took"])
        m = re.match(r"1 +\d{4}-\d\d-\d\d \d\d:\d\d KST +open +(\d+) +(\d+) +(\d+) +"
                     r"(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+m\d\ds)$", row)
        self.assertIsNotNone(m, row)
        self.assertEqual([int(x) for x in m.groups()[:8]],
                         [len(ITEMS), len(ITEMS) - N_PRO, N_PRO, 2, 1, 1, 0, 0])
        # the time taken is from the first to the last attempt in the journal
        first, last = self.db.execute("SELECT min(first_try), max(last_try) FROM deliveries"
                                      ).fetchone()
        secs = last - first
        self.assertEqual(m.group(9), f"{secs // 60}m{secs % 60:02d}s")

    def test_json_for_monitoring(self):
        doc = json.loads(self.status("--json").out)
        self.assertIsNone(doc["shard"])
        self.assertTrue(doc["state"].endswith("state.db"))
        (ed,) = doc["editions"]
        self.assertEqual(ed["id"], 1)
        self.assertEqual(ed["status"], "open")
        self.assertIsNone(ed["finished"])
        self.assertEqual(ed["articles"], len(ITEMS))
        self.assertEqual(ed["articles_by_tier"], {"free": len(ITEMS) - N_PRO, "pro": N_PRO})
        self.assertEqual(ed["deliveries"], {"pending": 0, "sent": 2, "deferred": 1,
                                            "failed": 1, "suppressed": 0})
        self.assertRegex(ed["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreaterEqual(ed["seconds"], 0)
        # once the greylisting is over, the edition is done
        del self.smtp.handler.rcpt_replies["c@example.org"]
        self.assertEqual(self.nk("send", config=self.cfg).returncode, 0)
        (ed,) = json.loads(self.status("--json").out)["editions"]
        self.assertEqual(ed["status"], "done")
        self.assertEqual(ed["deliveries"]["sent"], 3)
        self.assertIsNotNone(ed["finished"])

    def test_failed_and_deferred_addresses_with_their_last_reply(self):
        out = self.status("--addresses", "failed").out.splitlines()
        self.assertEqual(len(out), 2, out)
        self.assertRegex(out[1], r"^b@example\.org +1 +\S+ \S+ \S+ +550  550 5\.1\.1 "
                                 r"<b@example\.org>: Recipient address rejected")
        out = self.status("--addresses", "deferred", "--edition", "1").out.splitlines()
        self.assertEqual(len(out), 2, out)
        self.assertRegex(out[1], r"^c@example\.org +1 .* 451  451 4\.7\.1 Greylisted")
        self.assertIn("(none)", self.status("--addresses", "deferred", "--edition", "2").out)
        doc = json.loads(self.status("--addresses", "failed", "--json").out)
        self.assertEqual(doc["addresses_of"], "failed")
        self.assertEqual([(a["email"], a["edition"], a["code"]) for a in doc["addresses"]],
                         [("b@example.org", 1, 550)])
        self.assertIn("Recipient address rejected", doc["addresses"][0]["reply"])

    def test_suppressed_addresses_say_why_and_their_last_reply(self):
        # bounce_limit = 1: b's 550 put it on the suppression list
        out = self.status("--addresses", "suppressed").out.splitlines()
        self.assertEqual(len(out), 2, out)
        self.assertRegex(out[1], r"^b@example\.org +\S+ \S+ \S+ +hard bounces +1 +550  "
                                 r"550 5\.1\.1")
        # the next edition records b as suppressed in it
        feed = json.loads(SAMPLE_JSONFEED.read_text())
        feed["items"].insert(0, dict(ITEMS[0], id="new", url="https://x.org/new"))
        self.write("feed2.json", json.dumps(feed))
        cfg = self.config(str(self.dir / "feed2.json"), smtp=self.smtp.url(),
                          subscribers=SUBS, name="two.conf")
        self.nk("send", config=cfg)
        doc = json.loads(self.nk("status", "--addresses", "suppressed", "--edition", "2",
                                 "--json", config=cfg).out)
        self.assertEqual([(a["email"], a["edition"], a["reason"], a["code"])
                          for a in doc["addresses"]], [("b@example.org", 2, "hard bounces", 550)])

    def test_replies_are_cleaned_for_the_terminal(self):
        # The state file is plain SQLite that anyone with access can write.
        self.db.execute("UPDATE deliveries SET reply = ? WHERE email = 'b@example.org'",
                        ("550 evil\x1b[2J\x1b]0;owned\x07\r\nline two\x9b",))
        self.db.commit()
        for args in (("--addresses", "failed"), ("--addresses", "failed", "--json")):
            out = self.status(*args).out
            self.assertNotRegex(out, r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]", args)
            self.assertIn("evil", out)
            self.assertIn("line two", out)
        reply = json.loads(self.status("--addresses", "failed", "--json").out
                           )["addresses"][0]["reply"]
        self.assertNotIn("\n", reply)

    def test_bad_options_exit_64(self):
        for args in (("--addresses", "sent"), ("--edition", "1"),
                     ("--addresses", "failed", "--edition", "x"), ("--shard", "3/2")):
            p = self.nk("status", *args, config=self.cfg)
            self.assertEqual(p.returncode, 64, args)
            self.assertIn("usage: nkdigest status", p.err)
