"""The state file when it is not what it should be: random bytes, a cut-off
file, rows with NULLs, another program's tables, a full disk, a directory
that is not there. Every command names the file and exits with the
documented code (65 damaged, 73 cannot be created, 74 cannot be written);
none crashes, and no message leaves that could not be journalled."""
import os
import random
import resource
import signal
import sqlite3
import subprocess

from harness import NkTestCase, SAMPLE_JSONFEED, BIN

READERS = (("status",), ("render",), ("fetch",), ("send", "--dry-run"))


def subscribers(n):
    return "email,name,tier\n" + "".join(f"u{i}@example.org,User {i},free\n" for i in range(n))


class DamagedStateFile(NkTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        self.conf = self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(),
                                subscribers=subscribers(3))
        self.state = self.dir / "state.db"

    def a_real_state_file(self):
        p = self.nk("send", config=self.conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.smtp.handler.received.clear()
        # Fold the WAL into the file, so that damage to it is damage.
        db = sqlite3.connect(self.state)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()

    def every_command_refuses(self, why):
        for args in READERS + (("send",),):
            with self.subTest(command=" ".join(args)):
                p = self.nk(*args, config=self.conf)
                self.assertEqual(p.returncode, 65, p.err)
                self.assertIn(str(self.state), p.err)
                self.assertIn(why, p.err)
        self.assertEqual(self.smtp.received, [])

    def test_random_bytes(self):
        random.seed(7)
        self.state.write_bytes(bytes(random.randrange(256) for _ in range(8192)))
        self.every_command_refuses("not an nkdigest state file")

    def test_random_bytes_after_a_valid_header(self):
        self.a_real_state_file()
        data = bytearray(self.state.read_bytes())
        random.seed(11)
        for i in range(100, len(data)):
            data[i] = random.randrange(256)
        self.state.write_bytes(bytes(data))
        for args in READERS + (("send",),):
            with self.subTest(command=" ".join(args)):
                p = self.nk(*args, config=self.conf)
                self.assertIn(p.returncode, (65, 74), p.err)
                self.assertIn(str(self.state), p.err)
        self.assertEqual(self.smtp.received, [])

    def test_a_cut_off_file(self):
        self.a_real_state_file()
        data = self.state.read_bytes()
        self.state.write_bytes(data[:len(data) // 3])
        for args in READERS + (("send",),):
            with self.subTest(command=" ".join(args)):
                p = self.nk(*args, config=self.conf)
                self.assertIn(p.returncode, (0, 65), p.err)
                if p.returncode:
                    self.assertIn(str(self.state), p.err)
        # Whatever was readable, nobody was mailed twice from it.
        self.assertEqual(self.smtp.received, [])

    def test_nulls_where_nkdigest_writes_none(self):
        self.a_real_state_file()
        db = sqlite3.connect(self.state)
        db.executescript(
            "ALTER TABLE deliveries RENAME TO d;"
            "CREATE TABLE deliveries(edition INTEGER, email TEXT, name TEXT, tier TEXT,"
            " status TEXT, attempts INTEGER, first_try INTEGER, last_try INTEGER,"
            " code INTEGER, reply TEXT, bounce INTEGER, PRIMARY KEY(edition, email));"
            "INSERT INTO deliveries SELECT * FROM d; DROP TABLE d;"
            "UPDATE deliveries SET status = NULL;")
        db.close()
        self.every_command_refuses("not an nkdigest state file: column deliveries.")

    def test_the_tables_of_another_program(self):
        db = sqlite3.connect(self.state)
        db.executescript("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                         "INSERT INTO meta VALUES('schema', '1');"
                         "CREATE TABLE editions(id INTEGER PRIMARY KEY, body BLOB);")
        db.close()
        self.every_command_refuses("not an nkdigest state file")

    def test_an_unknown_status_is_an_error(self):
        self.a_real_state_file()
        db = sqlite3.connect(self.state)
        db.execute("UPDATE deliveries SET status = 'lost' WHERE email = 'u1@example.org'")
        db.commit()
        db.close()
        p = self.nk("status", config=self.conf)
        self.assertEqual(p.returncode, 65, p.out + p.err)
        self.assertIn("unknown delivery status", p.err)


class StateFileCannotBeWritten(NkTestCase):
    def test_a_full_disk_stops_sending_at_the_first_failed_commit(self):
        smtp = self.smtp_server()
        n = 60
        conf = self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=subscribers(n))

        def small_disk():
            # Files may not grow past 150 KB: the journal fills up after
            # the edition is recorded and a few messages are journalled.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

        p = subprocess.run([BIN, "-c", str(conf), "send"], cwd=self.dir, capture_output=True,
                           text=True, preexec_fn=small_disk, timeout=120)
        self.assertEqual(p.returncode, 74, p.stderr)
        self.assertIn(f"{self.dir / 'state.db'}: cannot journal a delivery", p.stderr)
        db = sqlite3.connect(self.dir / "state.db")
        rows = dict(db.execute("SELECT email, status FROM deliveries").fetchall())
        db.close()
        received = [r.rcpt_tos[0] for r in smtp.received]
        sent = {e for e, s in rows.items() if s == "sent"}
        self.assertEqual(len(rows), n)                     # nobody lost
        self.assertTrue(sent <= set(received))             # no "sent" without a 250
        self.assertLess(len(received), n)                  # it stopped
        # Only what was already on its way when the commit failed went out
        # unjournalled: at most one per connection (there are two).
        self.assertLessEqual(len(set(received) - sent), 2)
        # The next run, with room again, finishes the edition.
        p = self.nk("send", config=conf)
        self.assertIn(p.returncode, (0, 75), p.err)
        db = sqlite3.connect(self.dir / "state.db")
        left = db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()
        self.assertEqual(left[0], 0)

    def test_a_state_directory_that_is_not_there(self):
        smtp = self.smtp_server()
        conf = self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=subscribers(2),
                           digest={"state": "gone/state.db"})
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 73, p.err)
        self.assertIn("gone/state.db", p.err)
        self.assertEqual(smtp.received, [])
        self.assertFalse((self.dir / "gone").exists())
