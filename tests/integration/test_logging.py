"""The lines on stderr: each starts "nkdigest:", behind an ISO 8601 time
stamp when stderr is not a terminal, behind a syslog priority (<3> …) for
journald (--log-format=systemd, or automatically when $JOURNAL_STREAM names
stderr); colour only on a terminal and never with NO_COLOR; control
characters from the input never reach the terminal."""
import os
import pty
import re
import select
import subprocess

from harness import BIN, NkTestCase, SAMPLE_JSONFEED

# One warning (a bad row, carrying an escape sequence), info lines, and
# with the SMTP server down an error at the end.
SUBS = "email,name,tier\na@example.org,A,free\n\x1b[31mevil\x1b]0;title\x07,B,free\n"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "


class Logging(NkTestCase):
    def setUp(self):
        super().setUp()
        self.cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:9",
                               subscribers=SUBS)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("JOURNAL_STREAM", "NO_COLOR", "NKDIGEST_CONFIG")}
        env.update({"HOME": str(self.dir), "TERM": "xterm", **extra})
        return env

    def fresh(self):
        for f in self.dir.glob("state.db*"):
            f.unlink()

    def run_pipe(self, *args, env=None):
        """stderr on a pipe of our own (so its device and inode are known)."""
        self.fresh()
        r, w = os.pipe()
        st = os.fstat(w)
        journal = f"{st.st_dev}:{st.st_ino}"
        env = env(journal) if callable(env) else (env or self.env())
        p = subprocess.Popen([BIN, "-c", str(self.cfg), *args], stdout=subprocess.DEVNULL,
                             stderr=w, env=env, cwd=self.dir)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            err = f.read().decode()
        p.wait(timeout=60)
        return p.returncode, err

    def run_tty(self, *args, env=None):
        """stderr on a terminal (a pty)."""
        self.fresh()
        master, slave = pty.openpty()
        p = subprocess.Popen([BIN, "-c", str(self.cfg), *args], stdout=subprocess.DEVNULL,
                             stderr=slave, env=env or self.env(), cwd=self.dir)
        os.close(slave)
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:   # EIO: the other end is closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        p.wait(timeout=60)
        return p.returncode, out.decode()

    def lines(self, err):
        ls = err.splitlines()
        self.assertGreaterEqual(len(ls), 3, err)
        return ls

    def test_not_a_terminal_every_line_has_a_timestamp_and_the_prefix(self):
        rc, err = self.run_pipe("send")
        self.assertEqual(rc, 69, err)
        for line in self.lines(err):
            self.assertRegex(line, "^" + STAMP + "nkdigest: ")
        self.assertRegex(err, STAMP + r"nkdigest: warning: .*subscribers\.csv:3:")
        self.assertRegex(err, STAMP + r"nkdigest: error: smtp://127\.0\.0\.1:9")
        self.assertNotIn("\x1b", err)

    def test_systemd_format_carries_priorities(self):
        rc, err = self.run_pipe("--log-format=systemd", "send")
        self.assertEqual(rc, 69, err)
        for line in self.lines(err):
            self.assertRegex(line, r"^<[3467]>nkdigest: ")
        self.assertRegex(err, r"(?m)^<4>nkdigest: warning: .*subscribers\.csv:3:")
        self.assertRegex(err, r"(?m)^<6>nkdigest: edition 1: ")
        self.assertRegex(err, r"(?m)^<3>nkdigest: error: smtp://127\.0\.0\.1:9")

    def test_journal_stream_naming_stderr_means_systemd_format(self):
        rc, err = self.run_pipe("send", env=lambda js: self.env(JOURNAL_STREAM=js))
        for line in self.lines(err):
            self.assertRegex(line, r"^<[3467]>nkdigest: ")
        # inherited by a process whose stderr goes elsewhere: not the journal
        rc, err = self.run_pipe("send", env=self.env(JOURNAL_STREAM="1:1"))
        for line in self.lines(err):
            self.assertRegex(line, "^" + STAMP + "nkdigest: ")
        # the option wins over the environment
        rc, err = self.run_pipe("--log-format=plain", "send",
                                env=lambda js: self.env(JOURNAL_STREAM=js))
        for line in self.lines(err):
            self.assertRegex(line, r"^nkdigest: ")

    def test_colour_only_on_a_terminal_and_not_with_no_color(self):
        rc, err = self.run_tty("send")
        self.assertEqual(rc, 69, err)
        self.assertIn("nkdigest: \x1b[1;33mwarning: \x1b[0m", err)
        self.assertIn("nkdigest: \x1b[1;31merror: \x1b[0m", err)
        self.assertNotRegex(err, STAMP)   # a person at a terminal knows the time
        rc, err = self.run_tty("send", env=self.env(NO_COLOR="1"))
        self.assertNotIn("\x1b", err)
        self.assertIn("nkdigest: warning: ", err)
        rc, err = self.run_tty("--log-format=timestamp", "send", env=self.env(TERM="dumb"))
        self.assertNotIn("\x1b", err)
        self.assertRegex(err, STAMP + "nkdigest: error: ")

    def test_control_characters_never_reach_the_terminal(self):
        # A config value is quoted in its error message as written.
        self.cfg = self.write("esc.conf", self.cfg.read_text().replace(
            "max_age = 0", "max_age = 0\nmax_articles = \x1b]0;owned\x07\x1b[2J"))
        rc, err = self.run_tty("render", env=self.env(NO_COLOR="1"))
        self.assertEqual(rc, 78, err)
        self.assertIn("(got ']0;owned[2J')", err)   # the controls are removed
        self.assertNotIn("\x1b", err)
        self.assertNotIn("\x07", err)
        p = self.nk("check", "--offline", config=self.cfg)
        self.assertIn("max_articles", p.out)
        self.assertNotRegex(p.out, r"[\x00-\x09\x0b-\x1f]")

    def test_quiet_keeps_warnings_and_errors_only(self):
        rc, err = self.run_pipe("-q", "send")
        kinds = {re.sub(STAMP + r"nkdigest: (\w+:)?.*", r"\1", l) for l in err.splitlines()}
        self.assertEqual(kinds, {"warning:", "error:"}, err)

    def test_unknown_log_format_is_a_usage_error(self):
        p = self.nk("--log-format=json", "status", config=self.cfg)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--log-format 'json'", p.err)
