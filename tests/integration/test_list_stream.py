"""A long subscriber list, read row by row: repeats are still found (with
their line) by send, --dry-run and check; a list that turns out broken
after many rows records nothing; the journal is walked a batch at a time,
retry rounds included. Through a real SMTP server (aiosmtpd)."""
import collections
import sqlite3

from harness import NkTestCase, RecordingHandler, SAMPLE_JSONFEED

from test_shard import shard_of


class DeferOnce(RecordingHandler):
    """Answers 451 to the listed addresses the first `times` times each."""

    def __init__(self, addresses, times=1):
        super().__init__()
        self.left = {a: times for a in addresses}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.left.get(address, 0) > 0:
            self.left[address] -= 1
            return "451 4.7.1 Greylisted, try again"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def addr(i):
    return f"reader{i}@example.org"


class LongList(NkTestCase):
    def conf(self, subscribers, smtp, **smtp_extra):
        return self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=subscribers,
                           smtp_extra=smtp_extra)

    def journal(self):
        db = sqlite3.connect(self.dir / "state.db")
        try:
            return (db.execute("SELECT count(*) FROM editions").fetchone()[0],
                    dict(db.execute("SELECT email, attempts FROM deliveries")))
        finally:
            db.close()

    def test_retry_rounds_walk_the_journal_past_many_batches(self):
        n = 700   # more than one batch of the journal walk
        slow = {addr(i) for i in range(0, n, 7)}
        stubborn = {addr(3), addr(500)}   # deferred in both rounds
        handler = DeferOnce(slow)
        for a in stubborn:
            handler.left[a] = 3
        smtp = self.smtp_server(handler=handler)
        subs = "email\n" + "".join(addr(i) + "\n" for i in range(n))
        cfg = self.conf(subs, smtp, retries="2", retry_wait="0s")
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 75, p.err)
        self.assertIn(f"retrying {len(slow) + len(stubborn)} deferred", p.err)
        self.assertIn(f"retrying {len(stubborn)} deferred", p.err)
        got = collections.Counter(r.rcpt_tos[0] for r in smtp.received)
        self.assertEqual(set(got), {addr(i) for i in range(n)} - stubborn)
        self.assertEqual(set(got.values()), {1}, "someone got two copies")
        editions, attempts = self.journal()
        self.assertEqual(editions, 1)
        for a, tries in attempts.items():
            want = 3 if a in stubborn else 2 if a in slow else 1
            self.assertEqual(tries, want, a)
        # The next run takes only what is still deferred.
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(smtp.received), n)

    def test_a_list_broken_after_many_rows_records_nothing(self):
        smtp = self.smtp_server()
        rows = "".join(f"{addr(i)},Reader {i}\n" for i in range(3000))
        more = "".join(f"{addr(i)},Reader {i}\n" for i in range(3000, 12000))
        for broken, why in ((rows + 'late@example.org,"never closed\n',
                             "subscribers.csv:3002: quoted field never ends"),
                            # far past the first chunk the reader takes
                            (rows + more + "x\0y\n", "not a text file (NUL byte)")):
            cfg = self.conf("email,name\n" + broken, smtp)
            p = self.nk("send", config=cfg)
            self.assertEqual(p.returncode, 65, p.err)
            self.assertIn(why, p.err)
            self.assertEqual(smtp.received, [])
            self.assertEqual(self.journal(), (0, {}))
        # Mended, the same articles go out to the whole list.
        cfg = self.conf("email,name\n" + rows, smtp)
        p = self.nk("send", "--limit", "1", config=cfg)
        self.assertEqual(p.returncode, 75, p.err)
        self.assertIn("edition 1: 10 articles for 3000 subscribers", p.err)
        editions, attempts = self.journal()
        self.assertEqual((editions, len(attempts)), (1, 3000))

    def list_with_repeats(self):
        """200 rows and three repeats (one differing in case) at known lines."""
        rows = [addr(i) for i in range(200)]
        rows.insert(50, addr(7).upper().replace("EXAMPLE.ORG", "example.org"))   # line 52
        rows.insert(120, addr(99))                                               # line 122
        rows.append(addr(0))                                                     # line 204
        return "email,name\n" + "".join(f"{a},Name\n" for a in rows)

    def assert_repeats_reported(self, err):
        self.assertIn("subscribers.csv:52: READER7@example.org is listed twice", err)
        self.assertIn("subscribers.csv:122: reader99@example.org is listed twice", err)
        self.assertIn("subscribers.csv:204: reader0@example.org is listed twice", err)

    def test_dry_run_and_check_report_repeats_with_their_line(self):
        smtp = self.smtp_server()
        cfg = self.conf(self.list_with_repeats(), smtp)
        p = self.nk("send", "--dry-run", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assert_repeats_reported(p.err)
        listed = [line.split()[2] for line in p.out.splitlines()
                  if line.startswith("would send")]
        self.assertEqual(listed, [addr(i) for i in range(200)])   # list order, once each
        self.assertIn("dry run: 10 articles, 200 messages, nothing sent", p.err)
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assert_repeats_reported(p.err)
        self.assertIn("200 valid, 3 skipped", p.out)
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assert_repeats_reported(p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in smtp.received),
                         sorted(addr(i) for i in range(200)))

    def test_a_shard_lists_its_own_rows_and_reports_every_repeat(self):
        smtp = self.smtp_server()
        cfg = self.conf(self.list_with_repeats(), smtp)
        p = self.nk("send", "--dry-run", "--shard", "2/3", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assert_repeats_reported(p.err)
        listed = [line.split()[2] for line in p.out.splitlines()
                  if line.startswith("would send")]
        self.assertEqual(listed, [addr(i) for i in range(200) if shard_of(addr(i), 3) == 2])
