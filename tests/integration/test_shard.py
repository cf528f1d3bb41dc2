"""`send --shard K/N`: N shards, each with its own state file, together
deliver one copy to every subscriber, each to the shard the documented hash
names; `--min-interval` lets a retry finish an edition without starting a
second one. Through a real SMTP server (aiosmtpd)."""
import collections
import json
import sqlite3

from harness import NkTestCase, SAMPLE_JSONFEED

ADDRS = [f"reader{i}@example.org" for i in range(40)] + \
        ["Mixed.Case@Example.org", "kim@example.net"]


def fnv1a_64(s):
    """The hash nkdigest(1) documents: FNV-1a 64 of the address with A-Z
    lower-cased."""
    h = 0xcbf29ce484222325
    for b in s.encode().lower():
        h = ((h ^ b) * 0x100000001b3) % 2 ** 64
    return h


def shard_of(addr, n):
    return fnv1a_64(addr) % n + 1


class Shards(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        subs = "email,name,tier\n" + "".join(f"{a},,free\n" for a in ADDRS)
        self.cfg = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=subs)

    def send(self, *args):
        return self.nk("send", *args, config=self.cfg)

    def received(self):
        return collections.Counter(r.rcpt_tos[0].lower() for r in self.smtp.received)

    def test_n_shards_deliver_to_every_subscriber_exactly_once(self):
        n = 3
        got_by_shard = {}
        for k in range(1, n + 1):
            before = len(self.smtp.received)
            p = self.send("--shard", f"{k}/{n}")
            self.assertEqual(p.returncode, 0, p.err)
            self.assertIn(f"edition 1 (shard {k}/{n}):", p.err)
            got_by_shard[k] = {r.rcpt_tos[0] for r in self.smtp.received[before:]}
            self.assertTrue(got_by_shard[k], f"shard {k} sent nothing")
        counts = self.received()
        self.assertEqual(set(counts), {a.lower() for a in ADDRS})
        self.assertEqual(set(counts.values()), {1}, "someone got two copies")
        for k, got in got_by_shard.items():
            for a in got:
                self.assertEqual(shard_of(a, n), k, a)
        # every shard has its own state file, holding only its subscribers
        for k in range(1, n + 1):
            db = sqlite3.connect(self.dir / f"state.{k}-of-{n}.db")
            rows = {e for (e,) in db.execute("SELECT email FROM deliveries")}
            db.close()
            self.assertEqual(rows, got_by_shard[k])
        self.assertFalse((self.dir / "state.db").exists())
        # a second round sends nothing anywhere
        for k in range(1, n + 1):
            self.assertEqual(self.send("--shard", f"{k}/{n}").returncode, 0)
        self.assertEqual(len(self.smtp.received), len(ADDRS))

    def test_an_interrupted_shard_resumes_within_its_shard(self):
        p = self.send("--shard", "2/2", "--limit", "3")
        self.assertEqual(p.returncode, 75, p.err)
        self.assertEqual(self.send("--shard", "1/2").returncode, 0)
        p = self.send("--shard", "2/2")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("resuming edition 1 (shard 2/2)", p.err)
        counts = self.received()
        self.assertEqual(set(counts), {a.lower() for a in ADDRS})
        self.assertEqual(set(counts.values()), {1})

    def test_status_says_which_shard(self):
        self.send("--shard", "1/2")
        p = self.nk("status", "--shard", "1/2", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("shard 1/2 (", p.out)
        self.assertIn("state.1-of-2.db", p.out)
        n1 = sum(1 for a in ADDRS if shard_of(a, 2) == 1)
        doc = json.loads(self.nk("status", "--shard", "1/2", "--json", config=self.cfg).out)
        self.assertEqual(doc["shard"], "1/2")
        self.assertEqual([(e["id"], e["shard"], e["deliveries"]["sent"])
                          for e in doc["editions"]], [(1, "1/2", n1)])
        # shard 2 has sent nothing yet
        doc = json.loads(self.nk("status", "--shard", "2/2", "--json", config=self.cfg).out)
        self.assertEqual(doc["editions"], [])

    def test_bad_shards_are_usage_errors(self):
        for bad in ("0/2", "3/2", "2", "a/b", "1/2/3", "1/0"):
            p = self.send("--shard", bad)
            self.assertEqual(p.returncode, 64, bad)
            self.assertIn("--shard", p.err)
        p = self.send("--shard", "1/2", "--to", "x@example.org")
        self.assertEqual(p.returncode, 64)
        self.assertEqual(self.smtp.received, [])


class MinInterval(NkTestCase):
    """A retry run (systemd's Restart=, a second cron line) must finish the
    edition the first run started, and never start a second one the same
    day with what was published in between."""

    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        self.feed = json.loads(SAMPLE_JSONFEED.read_text())
        self.write("feed.json", json.dumps(self.feed))
        self.cfg = self.config(str(self.dir / "feed.json"), smtp=self.smtp.url(),
                               subscribers="email\na@example.org\nb@example.org\n")

    def publish(self):
        self.feed["items"].insert(0, dict(self.feed["items"][0], id="later",
                                          url="https://www.nknews.org/later/"))
        self.write("feed.json", json.dumps(self.feed))

    def test_a_retry_finishes_the_edition_and_starts_no_new_one(self):
        self.smtp.handler.rcpt_replies["b@example.org"] = "451 4.3.0 Try again"
        p = self.nk("send", "--min-interval", "20h", config=self.cfg)
        self.assertEqual(p.returncode, 75, p.err)
        del self.smtp.handler.rcpt_replies["b@example.org"]
        self.publish()
        p = self.nk("send", "--min-interval", "20h", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("resuming edition 1", p.err)
        self.assertIn("less than --min-interval: no new edition", p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["a@example.org", "b@example.org"])
        # without the option (or once the interval is over) the new article goes out
        p = self.nk("send", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 4)
        self.assertIn("edition 2:", p.err)

    def test_the_first_edition_is_not_held_back(self):
        p = self.nk("send", "--min-interval", "20h", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)

    def test_a_bad_interval_is_a_usage_error(self):
        for bad in ("soon", "20x", "-1h", "1hh"):
            p = self.nk("send", "--min-interval", bad, config=self.cfg)
            self.assertEqual(p.returncode, 64, bad)
