"""The installed Debian package (run by tests/package/run after
`apt-get install ./nkdigest_*.deb`, as root): its user, directories and
permissions, man pages and units, and the installed binary sending a digest
as the nkdigest user to a real SMTP server (aiosmtpd)."""
import grp
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from harness import REPO, SAMPLE_JSONFEED, NkTestCase, ini  # noqa: E402

BIN = "/usr/bin/nkdigest"
UNITS = Path("/lib/systemd/system")


def owner(path):
    st = os.stat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode))


def as_nkdigest(*args, **kw):
    return subprocess.run(["runuser", "-u", "nkdigest", "--", BIN, *args],
                          capture_output=True, text=True, timeout=120, **kw)


class Installed(NkTestCase):
    def test_system_user(self):
        u = pwd.getpwnam("nkdigest")
        self.assertLess(u.pw_uid, 1000)
        self.assertEqual(u.pw_dir, "/var/lib/nkdigest")
        self.assertIn(u.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        self.assertEqual(grp.getgrgid(u.pw_gid).gr_name, "nkdigest")

    def test_directories_and_permissions(self):
        self.assertEqual(owner("/etc/nkdigest"), ("root", "nkdigest", 0o750))
        self.assertEqual(owner("/etc/nkdigest/nkdigest.conf"), ("root", "nkdigest", 0o640))
        self.assertEqual(owner("/var/lib/nkdigest"), ("nkdigest", "nkdigest", 0o750))
        self.assertEqual(owner("/etc/nkdigest/unsubscribe.key"),
                         ("nkdigest", "nkdigest", 0o600))
        key = Path("/etc/nkdigest/unsubscribe.key").read_text()
        self.assertRegex(key, r"^[A-Za-z0-9+/]{43}=\n$")   # 32 random bytes, base64
        conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "nkdigest"],
                                   capture_output=True, text=True).stdout
        self.assertIn("/etc/nkdigest/nkdigest.conf", conffiles)

    def test_binary_man_pages_templates_and_examples(self):
        version = re.search(r'NKDIGEST_VERSION "([^"]+)"',
                            (REPO / "util/version.h").read_text()).group(1)
        p = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        self.assertEqual(p.stdout, f"nkdigest {version}\n")
        for args, path in ((["nkdigest"], "/usr/share/man/man1/nkdigest.1.gz"),
                           (["5", "nkdigest.conf"], "/usr/share/man/man5/nkdigest.conf.5.gz")):
            p = subprocess.run(["man", "-w", *args], capture_output=True, text=True)
            self.assertEqual(p.stdout.strip(), path)
        for t in ("subject.txt", "digest.txt", "digest.html"):
            self.assertEqual(Path("/usr/share/nkdigest/templates", t).read_bytes(),
                             (REPO / "templates" / t).read_bytes())
        for f in ("nkdigest.conf", "subscribers.csv", "cron.example"):
            self.assertTrue(Path("/usr/share/doc/nkdigest/examples", f).is_file(), f)

    def test_units_verify_and_none_is_enabled(self):
        # the template units as an instance, shard 2 of 4
        for u in ("nkdigest@.service", "nkdigest@.timer"):
            shutil.copy(UNITS / u, self.dir / u.replace("@", "@2-4"))
        paths = [str(UNITS / u) for u in ("nkdigest.service", "nkdigest.timer",
                                          "nkdigest-serve.service")]
        paths += [str(self.dir / "nkdigest@2-4.service"), str(self.dir / "nkdigest@2-4.timer")]
        p = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True,
                           text=True, cwd=self.dir)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))
        self.assertIn("ExecStart=/usr/bin/nkdigest -c /etc/nkdigest/nkdigest.conf send",
                      (UNITS / "nkdigest.service").read_text())
        wants = list(Path("/etc/systemd/system").rglob("nkdigest*"))
        self.assertEqual(wants, [], "a unit was enabled before the operator configured it")

    def test_shipped_config_parses_and_check_names_what_is_missing(self):
        p = as_nkdigest("check", "--offline")
        self.assertIn("ok    config /etc/nkdigest/nkdigest.conf", p.stdout)
        self.assertIn("ok    settings send needs", p.stdout)
        # what the operator still has to provide
        self.assertIn("FAIL  secrets: SMTP password: /etc/nkdigest/smtp.pass:", p.stdout)
        self.assertIn("FAIL  subscribers /etc/nkdigest/subscribers.csv", p.stdout)
        self.assertEqual(p.returncode, 78)
        self.assertIn("ok    state file /var/lib/nkdigest/state.db: writable", p.stdout)

    def test_installed_binary_sends_as_the_nkdigest_user(self):
        smtp = self.smtp_server()
        os.chmod(self.dir, 0o755)   # the nkdigest user reads the config from here
        self.write("feed.json", SAMPLE_JSONFEED.read_bytes(), mode=0o644)
        self.write("subscribers.csv", "email,name,tier\na@example.org,A,pro\n"
                                      "b@example.org,B,free\n", mode=0o644)
        state = "/var/lib/nkdigest/package-test.db"
        cfg = self.write("nkdigest.conf", ini({
            "digest": {"timezone": "Asia/Seoul", "max_age": "0", "state": state},
            'source "nk"': {"url": "feed.json", "pro_when": "tag:NK PRO"},
            "smtp": {"url": smtp.url(), "tls": "none", "from": "Digest <d@example.org>",
                     "retries": "0"},
            "subscribers": {"file": "subscribers.csv"},
            "unsubscribe": {"url": "https://example.org/u?t={{token}}",
                            "secret_file": "/etc/nkdigest/unsubscribe.key"},
        }), mode=0o644)
        try:
            p = as_nkdigest("-c", str(cfg), "check", "--offline")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = as_nkdigest("-c", str(cfg), "send")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(sorted(r.rcpt_tos[0] for r in smtp.received),
                             ["a@example.org", "b@example.org"])
            self.assertEqual(owner(state)[:2], ("nkdigest", "nkdigest"))
            p = as_nkdigest("-c", str(cfg), "status", "--json")
            (ed,) = json.loads(p.stdout)["editions"]
            self.assertEqual((ed["status"], ed["deliveries"]["sent"]), ("done", 2))
        finally:
            for f in Path("/var/lib/nkdigest").glob("package-test.db*"):
                f.unlink()
