"""Delivery against Postfix's smtp-sink: many messages over a few reused
connections, and the server failures it can script (421, hang-ups, 4xx,
5xx)."""
import sqlite3
import time

from harness import NkTestCase, SAMPLE_JSONFEED, mail_transactions


def subscribers(n):
    return "email,name,tier\n" + "".join(
        f"u{i}@example.org,User {i},{'pro' if i % 3 == 0 else 'free'}\n" for i in range(n))


class ManyMessages(NkTestCase):
    def test_every_subscriber_once_over_reused_connections(self):
        sink = self.smtp_sink()
        conf = self.config(str(SAMPLE_JSONFEED), smtp=sink.url(),
                           subscribers=subscribers(300),
                           smtp_extra={"connections": "4"})
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        msgs = sink.messages()
        rcpts = sorted(r for rs, _ in msgs for r in rs)
        self.assertEqual(rcpts, sorted(f"u{i}@example.org" for i in range(300)))
        for rs, m in msgs:
            i = int(rs[0][1:].split("@")[0])
            text = m.get_body(("plain",)).get_content()
            self.assertIn(f"Hello User {i},", text)
            self.assertEqual("Subscribe to NK PRO" in text, i % 3 != 0)
        # Four connections carried all 300 messages (the counters move as
        # sessions end, which happens as nkdigest exits).
        for _ in range(100):
            if sink.sessions() >= 4:
                break
            time.sleep(0.05)
        self.assertEqual(sink.sessions(), 4)

    def test_pipelining_sends_mail_rcpt_and_data_together_when_offered(self):
        # smtp-sink offers PIPELINING (RFC 2920): the three commands of a
        # message go out before any reply, so a message costs two round
        # trips, not four. The dialogue in -v shows the order on the wire.
        sink = self.smtp_sink()
        conf = self.config(str(SAMPLE_JSONFEED), smtp=sink.url(),
                           subscribers=subscribers(3))
        p = self.nk("-v", "send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(sink.messages()), 3)
        transactions = mail_transactions(p.err)
        self.assertEqual(len(transactions), 3, p.err)
        for lines in transactions:
            self.assertRegex(lines[1], r"^> RCPT TO:<u\d@example\.org>$")
            self.assertEqual(lines[2], "> DATA")
            self.assertRegex(lines[3], r"^< 250")
        # The message itself is never logged, only its size.
        self.assertNotIn("Hello User", p.err)
        self.assertRegex(p.err, r"smtp \d+ > \(the message, \d+ bytes\) \.")

    def test_rate_limit_spaces_the_messages(self):
        sink = self.smtp_sink()
        conf = self.config(str(SAMPLE_JSONFEED), smtp=sink.url(),
                           subscribers=subscribers(6),
                           smtp_extra={"connections": "2", "rate": "10/s"})
        start = time.monotonic()
        p = self.nk("send", config=conf)
        elapsed = time.monotonic() - start
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(sink.messages()), 6)
        # Six messages at ten a second cannot take less than half a second.
        self.assertGreaterEqual(elapsed, 0.5)


class ScriptedFailures(NkTestCase):
    def send(self, *sink_args, n=5, **extra):
        sink = self.smtp_sink(*sink_args)
        conf = self.config(str(SAMPLE_JSONFEED), smtp=sink.url(),
                           subscribers=subscribers(n), smtp_extra=extra)
        return self.nk("send", config=conf), sink

    def journal(self):
        db = sqlite3.connect(self.dir / "state.db")
        return db.execute("SELECT status, code, reply FROM deliveries").fetchall()

    def test_421_after_rcpt_is_about_the_connection_and_stops_the_run(self):
        p, sink = self.send("-Q", "RCPT", n=8)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("connections in a row failed", p.err)
        rows = self.journal()
        deferred = [r for r in rows if r[0] == "deferred"]
        self.assertGreaterEqual(len(deferred), 3)
        self.assertEqual({r[1] for r in deferred}, {421})
        self.assertEqual({r[0] for r in rows} - {"deferred"}, {"pending"})
        self.assertEqual(sink.messages(), [])

    def test_hang_up_after_data_defers_without_a_success_code(self):
        p, _ = self.send("-q", "DATA", n=8)
        self.assertEqual(p.returncode, 69, p.err)
        rows = self.journal()
        deferred = [r for r in rows if r[0] == "deferred"]
        self.assertGreaterEqual(len(deferred), 3)
        # The 354 (or RCPT's 250) before the hang-up is not kept as if it
        # were the answer; the reply says where it broke.
        self.assertEqual({r[1] for r in deferred}, {None})
        self.assertTrue(all("(after DATA)" in r[2] for r in deferred), deferred)

    def test_soft_rejected_recipients_are_deferred_with_the_reply(self):
        p, _ = self.send("-r", "RCPT")
        self.assertEqual(p.returncode, 75, p.err)
        rows = self.journal()
        self.assertEqual({r[:2] for r in rows}, {("deferred", 450)})
        self.assertIn("450 4.3.0 Error: command failed", rows[0][2])

    def test_hard_rejected_recipients_fail(self):
        p, _ = self.send("-f", "RCPT")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual({r[:2] for r in self.journal()}, {("failed", 500)})

    def test_refused_sender_stops_the_run_and_keeps_everyone_pending(self):
        p, sink = self.send("-f", "MAIL")
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("500 5.3.0", p.err)
        self.assertEqual({r[0] for r in self.journal()}, {"pending"})

    def test_slow_server_times_out_into_deferred(self):
        p, _ = self.send("-w", "3", n=2, timeout="1s")
        self.assertEqual(p.returncode, 75, p.err)
        self.assertEqual({r[0] for r in self.journal()}, {"deferred"})
