"""`nkdigest serve`: RFC 8058 one-click unsubscribes against the real
server, with curl and Python's http.client. A POST commits before it says
200; a GET only asks; a bad token changes nothing; limits hold; and it
works while a `send` runs, stopping mail to an address the send has not
reached yet."""
import http.client
import sqlite3
import subprocess
import time

from harness import BIN, NkTestCase, SAMPLE_JSONFEED, make_token, unsubscribe_token

SECRET = b"test-secret-123"
READER = "reader@example.org"


class ServeBase(NkTestCase):
    def setUp(self):
        super().setUp()
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.cfg = self.config(url, digest={"title": "NK <Daily> & \"Digest\""})
        self.srv = self.serve(self.cfg)

    def suppressions(self):
        db = sqlite3.connect(self.dir / "state.db")
        rows = db.execute("SELECT email, reason FROM suppressions").fetchall()
        db.close()
        return rows

    def curl(self, *args):
        p = subprocess.run(["curl", "-s", "-S", "--max-redirs", "0", "-o", "-",
                            "-w", "\n%{http_code}", *args], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        body, _, code = p.stdout.decode().rpartition("\n")
        return int(code), body

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        out = (r.status, dict(r.getheaders()), r.read().decode())
        c.close()
        return out


class OneClick(ServeBase):
    def test_post_one_click_commits_then_answers_200(self):
        token = make_token(SECRET, READER)
        # Exactly what RFC 8058 (section 3.2) says a mail provider sends.
        status, headers, body = self.request(
            "POST", f"/unsubscribe?t={token}", body="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, body)
        # Committed by the time the 200 arrived: another connection sees it.
        self.assertEqual(self.suppressions(), [(READER, "unsubscribe")])
        self.assertIn("<h1>Unsubscribed</h1>", body)
        self.assertIn("r\u2026@example.org", body)
        self.assertNotIn(READER, body)   # the page does not spell the address out
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertNotIn("Location", headers)
        # Again: still 200, still one row.
        status, _, _ = self.request("POST", f"/unsubscribe?t={token}",
                                    body="List-Unsubscribe=One-Click",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertEqual(len(self.suppressions()), 1)
        self.assertIn(f"serve: {READER} unsubscribed", self.srv.text())

    def test_curl_urlencoded_and_multipart_forms_both_work(self):
        a, b = "a@example.org", "b@example.org"
        code, _ = self.curl("-d", "List-Unsubscribe=One-Click",
                            self.srv.url(f"/u?t={make_token(SECRET, a)}"))
        self.assertEqual(code, 200)
        code, _ = self.curl("-F", "List-Unsubscribe=One-Click",
                            self.srv.url(f"/u?t={make_token(SECRET, b)}"))
        self.assertEqual(code, 200)
        self.assertEqual(sorted(e for e, _ in self.suppressions()), [a, b])

    def test_token_in_the_path_works_too(self):
        code, _ = self.curl("-d", "List-Unsubscribe=One-Click",
                            self.srv.url(f"/unsubscribe/{make_token(SECRET, READER)}"))
        self.assertEqual(code, 200)
        self.assertEqual(self.suppressions(), [(READER, "unsubscribe")])

    def test_get_asks_and_changes_nothing(self):
        token = make_token(SECRET, READER)
        for _ in range(3):   # a scanner fetching the link, more than once
            code, body = self.curl(self.srv.url(f"/unsubscribe?t={token}"))
            self.assertEqual(code, 200)
        self.assertEqual(self.suppressions(), [])
        # A form that posts back to this very URL, with the one-click field.
        self.assertRegex(body, r'<form method="post"><input type="hidden" '
                               r'name="List-Unsubscribe" value="One-Click">')
        self.assertNotIn("action=", body)
        status, _, body = self.request("HEAD", f"/unsubscribe?t={token}")
        self.assertEqual((status, body), (200, ""))
        # Pressing the button is a POST of that form: now it happens, and a
        # GET afterwards says so.
        code, _ = self.curl("--data-urlencode", "List-Unsubscribe=One-Click",
                            self.srv.url(f"/unsubscribe?t={token}"))
        self.assertEqual(code, 200)
        code, body = self.curl(self.srv.url(f"/unsubscribe?t={token}"))
        self.assertIn("<h1>Unsubscribed</h1>", body)
        self.assertNotIn("<form", body)

    def test_everything_shown_is_html_escaped(self):
        code, body = self.curl(self.srv.url(f"/u?t={make_token(SECRET, READER)}"))
        self.assertEqual(code, 200)
        self.assertIn("NK &lt;Daily&gt; &amp; &quot;Digest&quot;", body)
        self.assertNotIn("<Daily>", body)
        odd = '"<script>x"@example.org'
        code, body = self.curl(self.srv.url(f"/u?t={make_token(SECRET, odd)}"))
        self.assertEqual(code, 200)
        self.assertIn("&quot;\u2026@example.org", body)
        self.assertNotIn("<script>", body)


class BadRequests(ServeBase):
    def test_bad_tokens_get_400_and_change_nothing(self):
        good = make_token(SECRET, READER)
        flip = "A" if good[15] != "A" else "B"
        bad = {
            "altered": good[:15] + flip + good[16:],
            "cut short": good[:40],
            "other secret": make_token(b"another secret", READER),
            "no token": "",
            "old HMAC form": "cmVhZGVy.c2ln",
            "garbage": "v1.%3Cscript%3E",
        }
        for what, t in bad.items():
            for method in ("GET", "POST"):
                status, headers, body = self.request(
                    method, f"/unsubscribe?t={t}", body="List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
                self.assertEqual(status, 400, (what, method, body))
                self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
                self.assertNotIn("<script>", body)
                self.assertNotIn("<form", body)
        self.assertEqual(self.suppressions(), [])

    def test_post_without_one_click_changes_nothing(self):
        token = make_token(SECRET, READER)
        for body, ctype in (("", "application/x-www-form-urlencoded"),
                            ("List-Unsubscribe=Yes", "application/x-www-form-urlencoded"),
                            ("List-Unsubscribe=One-Click-Extra",
                             "application/x-www-form-urlencoded"),
                            ("List-Unsubscribe=One-Click", "text/plain")):
            status, _, page = self.request("POST", f"/u?t={token}", body=body,
                                           headers={"Content-Type": ctype})
            self.assertEqual(status, 400, (body, ctype, page))
        self.assertEqual(self.suppressions(), [])

    def test_other_methods_are_refused(self):
        status, headers, _ = self.request("PUT", f"/u?t={make_token(SECRET, READER)}",
                                          body="x")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD, POST")
        self.assertEqual(self.suppressions(), [])

    def test_oversized_requests_are_refused(self):
        token = make_token(SECRET, READER)
        body = "List-Unsubscribe=One-Click&pad=" + "x" * 10000
        status, _, _ = self.request("POST", f"/u?t={token}", body=body,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 413)
        status, _, _ = self.request("GET", f"/u?t={token}&pad={'y' * 20000}")
        self.assertIn(status, (414, 431))
        self.assertEqual(self.suppressions(), [])
        # Still answering afterwards.
        code, _ = self.curl(self.srv.url(f"/u?t={token}"))
        self.assertEqual(code, 200)


class RateLimit(NkTestCase):
    def test_requests_over_the_rate_get_429(self):
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        srv = self.serve(self.config(url), "--rate", "0.5")   # a burst of 2
        token = make_token(SECRET, READER)
        codes = []
        for _ in range(8):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            c.request("GET", f"/u?t={token}")
            r = c.getresponse()
            codes.append(r.status)
            if r.status == 429:
                self.assertEqual(r.getheader("Retry-After"), "1")
            r.read()
            c.close()
        # However slow the machine, 8 requests cannot take the 12 s that
        # would refill the bucket for all of them.
        self.assertEqual(codes[:2], [200, 200])
        self.assertIn(429, codes)

    def test_a_bad_listen_address_is_a_usage_error(self):
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        cfg = self.config(url)
        p = self.nk("serve", "--listen", "localhost:8025", config=cfg)
        self.assertEqual(p.returncode, 64, p.err)
        self.assertIn("not a numeric IP address", p.err)
        srv = self.serve(cfg)
        p = self.nk("serve", "--listen", f"127.0.0.1:{srv.port}", config=cfg)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn(f"cannot listen on 127.0.0.1:{srv.port}", p.err)

    def test_sigterm_stops_it_cleanly(self):
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        srv = self.serve(self.config(url))
        self.assertEqual(srv.stop(), 0)
        self.assertIn("stopping (signal 15)", srv.text())


ONE_CLICK = {"body": "List-Unsubscribe=One-Click",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def hold_write_lock(path):
    """Takes the state file's write lock as a send recording a large
    edition does; ROLLBACK and close to let go."""
    db = sqlite3.connect(path, timeout=0, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    return db


class WhileTheStateFileIsBusy(ServeBase):
    """A send recording a large edition holds the state file's write lock
    for seconds: serve queues the unsubscribe on disk, answers 200, and the
    next writer moves it into the list."""

    def queue(self):
        q = self.dir / "state.db.suppress-queue"
        return q.read_text() if q.exists() else None

    def test_a_busy_state_file_queues_and_the_next_request_applies(self):
        lock = hold_write_lock(self.dir / "state.db")
        start = time.monotonic()
        status, _, body = self.request("POST", f"/u?t={make_token(SECRET, READER)}",
                                       **ONE_CLICK)
        took = time.monotonic() - start
        self.assertEqual(status, 200, body)
        self.assertIn("<h1>Unsubscribed</h1>", body)
        self.assertLess(took, 8, "serve waited for the lock as long as a send")
        # On disk before the 200, not yet in the list.
        self.assertRegex(self.queue(), rf"^{READER}\tunsubscribe\t\d+\n$")
        self.assertEqual(self.suppressions(), [])
        self.assertIn(f"serve: {READER} unsubscribed (queued: the state file is busy)",
                      self.srv.text())
        lock.execute("ROLLBACK")
        lock.close()
        # The next request moves it in, and its page says so.
        status, _, body = self.request("GET", f"/u?t={make_token(SECRET, READER)}")
        self.assertEqual(status, 200)
        self.assertIn("<h1>Unsubscribed</h1>", body)
        self.assertEqual(self.suppressions(), [(READER, "unsubscribe")])
        self.assertEqual(self.queue(), "")

    def test_a_queued_unsubscribe_stops_the_send(self):
        subs = "email,name,tier\n" + "".join(f"r{i}@example.org,R{i},free\n" for i in range(3))
        smtp = self.smtp_server()
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        cfg = self.config(url, smtp=smtp.url(), subscribers=subs, name="send.conf")
        lock = hold_write_lock(self.dir / "state.db")
        status, _, body = self.request("POST", f"/u?t={make_token(SECRET, 'r1@example.org')}",
                                       **ONE_CLICK)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.srv.stop(), 0)   # so that only the send can move it in
        lock.execute("ROLLBACK")
        lock.close()
        self.assertEqual(self.suppressions(), [])
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in smtp.received),
                         ["r0@example.org", "r2@example.org"])
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT status FROM deliveries WHERE email = ?",
                                    ("r1@example.org",)).fetchone(), ("suppressed",))
        db.close()
        self.assertEqual(self.suppressions(), [("r1@example.org", "unsubscribe")])
        self.assertEqual(self.queue(), "")

    def test_a_bad_queue_line_is_reported_and_the_rest_applied(self):
        self.write("state.db.suppress-queue",
                   "not a line\n"
                   "queued@example.org\tunsubscribe\t1700000000\n"
                   "bad\taddress\tunsubscribe\t1\n"
                   "cut@example.org\tunsub")   # never acknowledged: no newline
        p = self.nk("unsubscribe", "typed@example.org", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("state.db.suppress-queue:1: not a queued suppression", p.err)
        self.assertIn("state.db.suppress-queue:3: not a queued suppression", p.err)
        self.assertEqual(sorted(self.suppressions()),
                         [("queued@example.org", "unsubscribe"),
                          ("typed@example.org", "unsubscribe")])
        self.assertEqual(self.queue(), "")
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT created FROM suppressions WHERE email = ?",
                                    ("queued@example.org",)).fetchone(), (1700000000,))
        db.close()


class DuringSend(NkTestCase):
    """serve beside a send that hands messages to a slow real SMTP server
    one at a time: a one-click unsubscribe committed mid-send stops the
    mail to an address not yet handed over."""

    def test_unsubscribe_mid_send_stops_the_rest(self):
        n = 8
        subs = "email,name,tier\n" + "".join(f"r{i}@example.org,R{i},free\n" for i in range(n))
        smtp = self.smtp_server()
        smtp.handler.data_delay = 0.4
        url = self.feed_server().serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        cfg = self.config(url, smtp=smtp.url(), subscribers=subs,
                          smtp_extra={"connections": "1"})
        srv = self.serve(cfg)   # running before the send, and all through it
        send = subprocess.Popen([BIN, "-c", str(cfg), "send"], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Once the first message is in, unsubscribe the last reader.
        deadline = time.monotonic() + 60
        while not smtp.received and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertTrue(smtp.received, "the send did not start")
        last = f"r{n - 1}@example.org"
        token = unsubscribe_token(smtp.received[0].msg["List-Unsubscribe"])
        self.assertTrue(token)
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("POST", f"/unsubscribe?t={make_token(SECRET, last)}",
                  body="List-Unsubscribe=One-Click",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        self.assertEqual(r.status, 200, r.read())
        c.close()
        handed_when_committed = len(smtp.received)
        out, err = send.communicate(timeout=120)
        self.assertEqual(send.returncode, 0, err)
        self.assertLess(handed_when_committed, n - 1, "the send finished too soon to tell")
        got = sorted(r.rcpt_tos[0] for r in smtp.received)
        self.assertEqual(got, sorted(f"r{i}@example.org" for i in range(n - 1)))
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT status FROM deliveries WHERE email = ?",
                                    (last,)).fetchone(), ("suppressed",))
        db.close()
        # serve never held the send lock: the send ran, and serve still
        # answers after it.
        status = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        status.request("GET", f"/u?t={token}")
        self.assertEqual(status.getresponse().status, 200)
