"""Bad input and failing servers: clear errors, the right exit code, and
nothing lost — a bad feed sends nothing, a failed delivery is recorded."""
import fcntl
import json
import os
import sqlite3

from harness import NkTestCase, SAMPLE_JSONFEED, free_port

ITEMS = json.loads(SAMPLE_JSONFEED.read_text())["items"]
SUBS = "email,name,tier\na@example.org,A,pro\nb@example.org,B,free\nc@example.org,C,free\n"


def feed_with(items):
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T",
                       "items": items})


class BadFeeds(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.smtp = self.smtp_server()

    def send_feed(self, body, **cfg):
        url = self.http.serve("/feed.json", body)
        conf = self.config(url, smtp=self.smtp.url(), subscribers=SUBS, **cfg)
        return self.nk("send", config=conf), url

    def assert_nothing_recorded(self):
        self.assertEqual(self.smtp.received, [])
        db = self.dir / "state.db"
        if db.exists():
            n = sqlite3.connect(db).execute("SELECT count(*) FROM editions").fetchone()[0]
            self.assertEqual(n, 0)

    def test_not_json_exits_65_naming_source_and_position(self):
        p, url = self.send_feed('{"version": "https://jsonfeed.org/version/1.1",\n'
                                '  "items": [ {"id": 1,, } ]}')
        self.assertEqual(p.returncode, 65, p.err)
        self.assertIn(url, p.err)
        self.assertIn("line 2, column", p.err)
        self.assert_nothing_recorded()

    def test_html_error_page_is_not_a_feed(self):
        p, url = self.send_feed("<html><body>Maintenance</body></html>")
        self.assertEqual(p.returncode, 65)
        self.assertIn(url, p.err)
        self.assert_nothing_recorded()

    def test_json_that_is_not_a_feed_exits_65(self):
        p, url = self.send_feed('{"hello": "world"}')
        self.assertEqual(p.returncode, 65)
        self.assertIn("neither a JSON Feed", p.err)
        self.assert_nothing_recorded()

    def test_bad_items_are_skipped_with_a_warning_naming_them(self):
        good = dict(ITEMS[0])
        items = [good,
                 {"id": "no-date", "url": "https://example.org/x", "title": "Undated"},
                 {"id": "bad-link", "url": "javascript:alert(1)", "title": "Evil",
                  "date_published": "2022-05-21T10:00:00+09:00"},
                 {"id": "bad-date", "url": "https://example.org/y", "title": "Y",
                  "date_published": "yesterday"},
                 "not an object"]
        p, url = self.send_feed(feed_with(items))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.err, r"item 3 \(id bad-link\): link is not a plain http")
        self.assertRegex(p.err, r"item 4 \(id bad-date\): date 'yesterday' is not RFC 3339 "
                                r"\(date_published\); using the time it was first seen")
        self.assertRegex(p.err, r"item 5: not an object; skipped")
        self.assertEqual(len(self.smtp.received), 3)
        for r in self.smtp.received:
            text = r.msg.get_body(("plain",)).get_content()
            self.assertIn(good["url"], text)
            # Undated items are new when first seen, not dropped.
            self.assertIn("https://example.org/x", text)
            self.assertIn("https://example.org/y", text)
            self.assertNotIn("javascript:", text)

    def test_feed_of_only_bad_items_is_an_error(self):
        p, _ = self.send_feed(feed_with([{"id": "x", "title": "no link or date"}]))
        self.assertEqual(p.returncode, 65)
        self.assertIn("none of its 1 items is usable", p.err)
        self.assert_nothing_recorded()

    def test_invalid_utf8_is_repaired_not_passed_on(self):
        item = dict(ITEMS[0], title="Broken \udcff bytes")
        raw = feed_with([item]).replace("\\udcff", "").encode()
        raw = raw.replace(b"Broken  bytes", b"Broken \xff\xfe bytes")
        p, _ = self.send_feed(raw)
        self.assertEqual(p.returncode, 0, p.err)
        text = self.smtp.received[0].msg.get_body(("plain",)).get_content()
        self.assertIn("Broken \ufffd\ufffd bytes", text)

    def test_oversized_feed_is_refused(self):
        big = feed_with([dict(ITEMS[0], summary="x" * 5000)] * 1)
        p, url = self.send_feed(big, source={"max_bytes": "1024"})
        self.assertEqual(p.returncode, 65)
        self.assertIn("larger than max_bytes", p.err)
        self.assert_nothing_recorded()

    def test_unreachable_source_exits_69_with_the_url(self):
        url = f"http://127.0.0.1:{free_port()}/feed.json"
        conf = self.config(url, smtp=self.smtp.url(), subscribers=SUBS)
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 69)
        self.assertIn(url, p.err)
        self.assert_nothing_recorded()

    def test_http_error_exits_69_with_the_status(self):
        p, url = self.send_feed("gone")
        self.http.serve("/feed.json", "server broke", status=500, ctype="text/plain")
        p = self.nk("send", config=self.dir / "nkdigest.conf")
        self.assertEqual(p.returncode, 69)
        self.assertIn(url, p.err)
        self.assertIn("HTTP 500", p.err)
        self.assert_nothing_recorded()

    def test_missing_local_feed_exits_66(self):
        conf = self.config(str(self.dir / "missing.json"), smtp=self.smtp.url(),
                           subscribers=SUBS)
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 66)
        self.assertIn("missing.json", p.err)


class BadSubscribers(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()

    def test_no_valid_subscriber_sends_and_records_nothing(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(),
                           subscribers="email,name\nnobody,x\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 65)
        self.assertIn("no valid subscribers", p.err)
        self.assertEqual(self.smtp.received, [])
        # The articles are not used up: a fixed list gets them.
        self.write("subscribers.csv", "email\nfixed@example.org\n")
        self.assertEqual(self.nk("send", config=conf).returncode, 0)
        self.assertEqual(len(self.smtp.received), 1)

    def test_missing_subscriber_file_exits_66(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers="")
        os.unlink(self.dir / "subscribers.csv")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 66)
        self.assertIn("subscribers.csv", p.err)

    def test_header_without_email_column_names_the_line(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(),
                           subscribers="mail,name\na@example.org,A\n")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 65)
        self.assertRegex(p.err, r"subscribers\.csv:1: the header row has no 'email' column")

    def test_newlines_in_names_cannot_add_headers(self):
        subs = 'email,name\nx@example.org,"Evil\r\nBcc: victim@example.net"\n'
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=subs)
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        (r,) = self.smtp.received
        self.assertEqual(r.rcpt_tos, ["x@example.org"])
        self.assertIsNone(r.msg["Bcc"])
        self.assertNotIn(b"\r\nBcc:", r.data)
        self.assertEqual(r.msg["To"].addresses[0].display_name,
                         "Evil Bcc: victim@example.net")

    def test_unknown_tier_row_is_skipped_with_its_line(self):
        subs = "email,name,tier\nok@example.org,,pro\ngold@example.org,,gold\n"
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=subs)
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.err, r"subscribers\.csv:3: gold@example\.org: unknown tier 'gold'")
        self.assertEqual([r.rcpt_tos for r in self.smtp.received], [["ok@example.org"]])


class FailingServer(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        self.conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS)

    def rows(self):
        db = sqlite3.connect(self.dir / "state.db")
        return {e: (s, c, r) for e, s, c, r in
                db.execute("SELECT email, status, code, reply FROM deliveries")}

    def test_unreachable_smtp_exits_69_and_keeps_everyone_pending(self):
        url = f"smtp://127.0.0.1:{free_port()}"
        conf = self.config(str(SAMPLE_JSONFEED), smtp=url, subscribers=SUBS,
                           name="down.conf")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn(url, p.err)
        self.assertEqual({s for s, _, _ in self.rows().values()}, {"pending"})
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT status FROM editions").fetchall(), [("open",)])
        # With the server back, the next run resumes and delivers everything.
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("resuming edition 1", p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["a@example.org", "b@example.org", "c@example.org"])

    def test_permanent_refusal_is_recorded_and_the_others_still_get_mail(self):
        self.smtp.handler.rcpt_replies["b@example.org"] = \
            "550 5.1.1 <b@example.org>: Recipient address rejected"
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("b@example.org: failed: 550 5.1.1", p.err)
        rows = self.rows()
        self.assertEqual(rows["b@example.org"][:2], ("failed", 550))
        self.assertIn("Recipient address rejected", rows["b@example.org"][2])
        self.assertEqual(rows["a@example.org"][0], "sent")
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["a@example.org", "c@example.org"])

    def test_temporary_refusal_is_deferred_exit_75_then_retried(self):
        self.smtp.handler.rcpt_replies["c@example.org"] = "450 4.2.1 Mailbox busy, try later"
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 75, p.err)
        self.assertEqual(self.rows()["c@example.org"][:2], ("deferred", 450))
        self.assertEqual(len(self.smtp.received), 2)
        del self.smtp.handler.rcpt_replies["c@example.org"]
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["a@example.org", "b@example.org", "c@example.org"])
        self.assertEqual(self.rows()["c@example.org"][0], "sent")

    def test_retries_within_the_run(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                           smtp_extra={"retries": "1", "retry_wait": "1s"}, name="r.conf")
        self.smtp.handler.rcpt_replies["c@example.org"] = "451 4.3.0 Temporary failure"
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 75)
        self.assertIn("retrying 1 deferred", p.err)
        db = sqlite3.connect(self.dir / "state.db")
        (attempts,) = db.execute("SELECT attempts FROM deliveries WHERE email = "
                                 "'c@example.org'").fetchone()
        self.assertEqual(attempts, 2)

    def test_hard_bounces_lead_to_suppression(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                           smtp_extra={"bounce_limit": "1"}, name="b.conf")
        self.smtp.handler.rcpt_replies["a@example.org"] = "550 5.1.1 unknown user"
        self.assertEqual(self.nk("send", config=conf).returncode, 0)
        self.assertIn("suppressed", self.nk("send", config=conf).err + "suppressed")
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT email FROM suppressions").fetchall(),
                         [("a@example.org",)])
        # A new edition skips the suppressed address even if it would work.
        del self.smtp.handler.rcpt_replies["a@example.org"]
        feed = json.loads(SAMPLE_JSONFEED.read_text())
        feed["items"] = [dict(ITEMS[0], id="n2", url="https://www.nknews.org/n2/")]
        self.write("feed2.json", json.dumps(feed))
        conf2 = self.config(str(self.dir / "feed2.json"), smtp=self.smtp.url(),
                            subscribers=SUBS, smtp_extra={"bounce_limit": "1"},
                            name="b2.conf")
        before = len(self.smtp.received)
        self.assertEqual(self.nk("send", config=conf2).returncode, 0)
        got = sorted(r.rcpt_tos[0] for r in self.smtp.received[before:])
        self.assertEqual(got, ["b@example.org", "c@example.org"])
        self.assertEqual(db.execute("SELECT status FROM deliveries WHERE edition = 2 AND "
                                    "email = 'a@example.org'").fetchone(), ("suppressed",))

    def test_second_send_while_one_runs_is_refused(self):
        lock = open(self.dir / "state.db.lock", "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            p = self.nk("send", config=self.conf)
        finally:
            lock.close()
        self.assertEqual(p.returncode, 75)
        self.assertIn("another nkdigest send is running", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_open_secret_file_is_refused(self):
        os.chmod(self.dir / "unsubscribe.key", 0o644)
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 78)
        self.assertIn("chmod 600", p.err)
        self.assertNotIn("test-secret-123", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_tls_none_is_refused_for_a_remote_server(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp="smtp://mail.example.org:587",
                           subscribers=SUBS, name="remote.conf")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78)
        self.assertIn("tls = none is only allowed", p.err)
