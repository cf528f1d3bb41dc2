"""SMTP servers that fail on purpose (faultsmtp.py), and what each failure
costs: for every case the exit code, the time the run takes (bounded by a
few timeouts, never by the size of the list) and the journal afterwards —
no row "sent" without a 250 from the server, nobody lost, nobody
suppressed who did not bounce."""
import collections
import sqlite3
import subprocess
import time

from faultsmtp import FaultSmtp
from harness import NkTestCase, SAMPLE_JSONFEED, BIN

N = 40                    # subscribers: enough that "proportional" would show
TIMEOUT = 2               # [smtp] timeout, seconds
BOUND = 20                # what a run may take, whatever fails (N x TIMEOUT / 2 = 40 s)


def subscribers(n=N):
    return "email,name,tier\n" + "".join(f"u{i}@example.org,User {i},free\n"
                                         for i in range(n))


class Faults(NkTestCase):
    def run_against(self, server, n=N, **smtp):
        self._servers.append(server)
        conf = self.config(str(SAMPLE_JSONFEED), smtp=server.url(),
                           subscribers=subscribers(n),
                           smtp_extra={"timeout": f"{TIMEOUT}s", "connections": "2",
                                       "bounce_limit": "1", **smtp})
        start = time.monotonic()
        p = self.nk("send", config=conf)
        p.elapsed = time.monotonic() - start
        return p

    def journal(self):
        db = sqlite3.connect(self.dir / "state.db")
        rows = db.execute("SELECT email, status, code, reply, bounce FROM deliveries").fetchall()
        suppressed = [r[0] for r in db.execute("SELECT email FROM suppressions")]
        db.close()
        return rows, suppressed

    def check_journal(self, server, n=N, bounced=()):
        """The invariants that hold whatever the server did."""
        rows, suppressed = self.journal()
        self.assertEqual(len(rows), n, "a subscriber is missing from the journal")
        sent = {r[0] for r in rows if r[1] == "sent"}
        accepted = {rcpt for rcpt, _ in server.accepted}
        self.assertEqual(sent, accepted, "journalled as sent without the server's 250")
        self.assertEqual(sorted(suppressed), sorted(bounced))
        for email, status, code, reply, bounce in rows:
            if status == "sent":
                self.assertEqual(code, 250)
            if status == "deferred":
                self.assertIsNotNone(reply)
                self.assertNotEqual(code, 250, f"{email}: deferred with a 250")
                self.assertNotEqual(code, 354, f"{email}: deferred with a 354")
            self.assertEqual(bool(bounce), email in bounced)
        return collections.Counter(r[1] for r in rows)

    # ---- the connection ----------------------------------------------

    def test_no_greeting_stops_after_a_few_timeouts(self):
        srv = FaultSmtp(greeting=None)
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("connections in a row failed", p.err)
        self.assertLess(p.elapsed, BOUND)
        counts = self.check_journal(srv)
        self.assertGreater(counts["pending"], N // 2)

    def test_a_server_that_never_answers_after_the_greeting(self):
        srv = FaultSmtp(mute_at="EHLO")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertLess(p.elapsed, BOUND)
        self.check_journal(srv)

    def test_a_garbage_greeting_means_the_server_is_unusable(self):
        srv = FaultSmtp(greeting="HTTP/1.1 400 Bad Request")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn('not an SMTP server: it greeted with "HTTP/1.1 400 Bad Request"', p.err)
        self.assertLess(p.elapsed, BOUND)
        counts = self.check_journal(srv)
        self.assertEqual(counts, {"pending": N})   # nothing deferred: nothing was tried

    def test_an_endless_multiline_reply_stops_the_run(self):
        srv = FaultSmtp(ehlo_lines="endless")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertLess(p.elapsed, BOUND)
        self.check_journal(srv)

    def test_10kb_reply_lines_are_read(self):
        srv = FaultSmtp(ehlo_lines=["250-fault.test " + "x" * 10240, "250 8BITMIME"])
        p = self.run_against(srv, n=5)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.check_journal(srv, n=5), {"sent": 5})

    def test_421_mid_session_stops_the_run_with_the_rest_pending(self):
        srv = FaultSmtp(replies={"MAIL": "421 4.3.2 Shutting down"})
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("421 4.3.2 Shutting down (after MAIL)", p.err)
        counts = self.check_journal(srv)
        self.assertGreater(counts["pending"], N // 2)

    def test_a_server_that_hangs_up_after_each_250_loses_nobody(self):
        srv = FaultSmtp(hangup_after_250=True)
        p = self.run_against(srv, n=12)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.check_journal(srv, n=12), {"sent": 12})
        self.assertEqual(len(srv.accepted), 12)   # and nobody got it twice

    def test_a_drop_in_the_body_keeps_no_success_code(self):
        srv = FaultSmtp(hangup_at="BODY")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        rows, _ = self.journal()
        deferred = [r for r in rows if r[1] == "deferred"]
        self.assertTrue(deferred)
        self.assertEqual({r[2] for r in deferred}, {None})
        self.assertTrue(all(r[3].endswith("(after DATA)") for r in deferred), deferred)
        self.check_journal(srv)

    def test_connection_failures_after_some_mail_got_through_exit_75(self):
        srv = FaultSmtp(mute_after=6)   # six messages accepted, then silence
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 75, p.err)
        self.assertIn("connections in a row failed", p.err)
        self.assertLess(p.elapsed, BOUND)
        counts = self.check_journal(srv)
        self.assertEqual(counts["sent"], 6)

    # ---- the message ---------------------------------------------------

    def test_550_after_data_is_about_the_message_never_a_bounce(self):
        srv = FaultSmtp(data_reply="550 5.7.1 Message content rejected")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("refused the message itself 5 times in a row", p.err)
        self.assertIn("550 5.7.1 Message content rejected (after DATA)", p.err)
        self.assertLess(p.elapsed, BOUND)
        counts = self.check_journal(srv)   # bounce_limit is 1: still nobody suppressed
        self.assertEqual(counts["failed"], 0)
        self.assertGreater(counts["pending"], N // 2)
        # Run again: the same, and still nobody is suppressed.
        p = self.nk("send", config=self.dir / "nkdigest.conf")
        self.assertEqual(p.returncode, 69, p.err)
        self.check_journal(srv)

    def test_451_after_data_defers_and_stops(self):
        srv = FaultSmtp(data_reply="451 4.3.0 Try again later")
        p = self.run_against(srv)
        self.assertEqual(p.returncode, 69, p.err)
        counts = self.check_journal(srv)
        self.assertGreaterEqual(counts["deferred"], 5)

    def test_a_few_message_rejections_among_successes_do_not_stop_the_run(self):
        srv = FaultSmtp(data_reply="550 5.7.1 rejected", fail_first=3)
        p = self.run_against(srv, n=10, connections="1")
        self.assertEqual(p.returncode, 75, p.err)   # the three are deferred
        counts = self.check_journal(srv, n=10)
        self.assertEqual(counts, {"sent": 7, "deferred": 3})

    # ---- the recipient -------------------------------------------------

    def test_a_5_1_1_to_rcpt_is_a_hard_bounce_and_suppresses(self):
        srv = FaultSmtp(per_rcpt={"u1@example.org": "550 5.1.1 <u1@example.org>: unknown",
                                  "u2@example.org": "550 5.7.1 policy: not from you"})
        p = self.run_against(srv, n=4)
        self.assertEqual(p.returncode, 0, p.err)
        counts = self.check_journal(srv, n=4, bounced=["u1@example.org"])
        self.assertEqual(counts, {"sent": 2, "failed": 2})
        self.assertIn("u1@example.org: suppressed after 1 hard bounce", p.err)


class BeforeTheFirstMessage(NkTestCase):
    """What would fail for everybody is found before anything is sent or
    recorded."""

    def test_an_unsubscribe_url_mime_refuses_stops_send_and_check(self):
        srv = FaultSmtp()
        self._servers.append(srv)
        conf = self.config(str(SAMPLE_JSONFEED), smtp=srv.url(), subscribers=subscribers(3),
                           unsubscribe={"url": 'https://example.org/u?t={{token}}&x="1"',
                                        "secret_file": "unsubscribe.key"})
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)
        self.assertIn("cannot be mailed to anyone", p.err)
        self.assertEqual(srv.connections, 0)
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT count(*) FROM editions").fetchone()[0], 0)
        self.assertEqual(db.execute("SELECT count(*) FROM deliveries").fetchone()[0], 0)
        p = self.nk("check", "--offline", config=conf)
        self.assertEqual(p.returncode, 78)
        self.assertIn("FAIL  messages", p.out)

    def test_rows_the_mail_layers_cannot_use_are_refused_with_their_line(self):
        srv = FaultSmtp()
        self._servers.append(srv)
        long_name = "N" * 300
        subs = ("email,name,tier\n"
                "ok@example.org,Fine,free\n"
                f"long@example.org,{long_name},free\n"
                '"""two words""@example.org",Quoted,free\n')   # CSV-quoted
        conf = self.config(str(SAMPLE_JSONFEED), smtp=srv.url(), subscribers=subs)
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("subscribers.csv:3: long@example.org: the name is longer than 256 bytes",
                      p.err)
        self.assertIn("subscribers.csv:4: '\"two words\"@example.org' cannot be used in SMTP",
                      p.err)
        self.assertEqual([r for r, _ in srv.accepted], ["ok@example.org"])

    def test_a_sender_smtp_cannot_carry_is_a_config_error(self):
        conf = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:1",
                           subscribers=subscribers(1),
                           smtp_extra={"from": 'Digest <"two words"@example.org>'})
        p = self.nk("check", "--offline", config=conf)
        self.assertEqual(p.returncode, 78)
        self.assertIn("nkdigest.conf:", p.out)
        self.assertIn("cannot go into SMTP's MAIL FROM", p.out)


class Secrets(NkTestCase):
    def test_credentials_in_urls_are_refused(self):
        for section, key, url in (("smtp", "url", "smtp://digest:hunter2@127.0.0.1:25"),
                                  ('source "nknews"', "url",
                                   "https://reader:hunter2@example.org/feed.json")):
            with self.subTest(section=section):
                smtp = {"url": url} if section == "smtp" else {}
                source = {"url": url} if section != "smtp" else {}
                conf = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:1",
                                   smtp_extra=smtp, source=source)
                p = self.nk("render", config=conf)
                self.assertEqual(p.returncode, 78)
                self.assertIn("a user name or password does not go in a URL", p.err)
                self.assertNotIn("hunter2", p.err + p.out)

    def test_a_loopback_looking_url_is_judged_by_its_real_host(self):
        # The host is example.invalid; "127.0.0.1" is only a user name here.
        conf = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1@example.invalid:25",
                           subscribers=subscribers(1))
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 78, p.err)

    def test_feed_text_cannot_forge_log_lines_or_reach_the_terminal(self):
        feed = ('{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": ['
                '{"id": "evil\\n\\u001b[2Jnkdigest: edition 9: 999 sent", "title": "x"},'
                '{"id": "ok", "url": "https://example.org/a", "title": "fine",'
                ' "date_published": "2022-05-21T10:00:00Z"}]}')
        path = self.write("feed.json", feed)
        conf = self.config(str(path))
        p = self.nk("render", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertNotIn("\x1b", p.err)
        for line in p.err.splitlines():
            self.assertFalse(line.startswith("nkdigest: edition 9"), p.err)
        self.assertIn("evil [2Jnkdigest: edition 9: 999 sent", p.err)

    def test_no_core_dump_while_secrets_are_in_memory(self):
        srv = FaultSmtp(mute_at="BODY", mute_seconds=30)
        self._servers.append(srv)
        conf = self.config(str(SAMPLE_JSONFEED), smtp=srv.url(), subscribers=subscribers(1),
                           smtp_extra={"timeout": "20s"})
        proc = subprocess.Popen([BIN, "-c", str(conf), "send"], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if ("mute", "BODY") in srv.events:
                    break
                time.sleep(0.05)
            self.assertIn(("mute", "BODY"), srv.events)
            limits = open(f"/proc/{proc.pid}/limits").read()
            core = next(l for l in limits.splitlines() if l.startswith("Max core file size"))
            self.assertEqual(core.split()[4:6], ["0", "0"], core)
        finally:
            proc.kill()
            proc.wait()
