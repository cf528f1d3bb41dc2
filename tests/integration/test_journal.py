"""The delivery journal: a send killed half-way resumes without losing or
doubling anyone's mail."""
import signal
import sqlite3
import subprocess
import time

from harness import BIN, NkTestCase, SAMPLE_JSONFEED

SUBS = "email,name,tier\n" + "".join(f"r{i}@example.org,R{i},free\n" for i in range(8))


class CrashAndResume(NkTestCase):
    def test_kill_9_mid_send_then_resume_delivers_everyone_once(self):
        smtp = self.smtp_server()
        smtp.handler.data_delay = 0.6
        conf = self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=SUBS,
                           smtp_extra={"connections": "1"})
        proc = subprocess.Popen([BIN, "-c", str(conf), "send"], cwd=self.dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while len(smtp.received) < 3 and time.time() < deadline:
            time.sleep(0.02)
        # The fourth message is now being thought about by the server.
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        got_before = [r.rcpt_tos[0] for r in smtp.received]
        self.assertEqual(len(got_before), 3)

        db = sqlite3.connect(self.dir / "state.db")
        sent = {e for (e,) in db.execute("SELECT email FROM deliveries WHERE status = 'sent'")}
        self.assertEqual(sent, set(got_before), "the journal must match what the server took")
        self.assertEqual(db.execute("SELECT status FROM editions").fetchall(), [("open",)])
        db.close()

        smtp.handler.data_delay = 0
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("resuming edition 1", p.err)
        got = sorted(r.rcpt_tos[0] for r in smtp.received)
        self.assertEqual(got, sorted(f"r{i}@example.org" for i in range(8)))
        # The resumed copies are the same edition of the same state file:
        # the same instance and edition in every Message-ID.
        ids = {tuple(r.msg["Message-ID"].split(".")[1:3]) for r in smtp.received}
        self.assertEqual(len(ids), 1)
        self.assertEqual(ids.pop()[1], "1")
        p = self.nk("send", config=conf)
        self.assertIn("nothing new", p.err)
        self.assertEqual(len(smtp.received), 8)

    def test_resume_uses_the_frozen_articles_even_if_the_feed_changed(self):
        smtp = self.smtp_server()
        http = self.feed_server()
        url = http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        conf = self.config(url, smtp=smtp.url(), subscribers=SUBS)
        p = self.nk("send", "--limit", "2", config=conf)
        self.assertEqual(p.returncode, 75)
        # The feed now fails entirely; the unfinished edition still goes out.
        http.serve("/feed.json", "broken", status=500, ctype="text/plain")
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn("resuming edition 1", p.err)
        self.assertEqual(len(smtp.received), 8)
        first = smtp.received[0].msg.get_body(("plain",)).get_content()
        last = smtp.received[-1].msg.get_body(("plain",)).get_content()
        strip = lambda t: t.split("Hello ")[1].split("\n", 1)[1].rsplit("You receive", 1)[0]
        self.assertEqual(strip(first), strip(last))
