"""`make install` and `make uninstall`, the man pages (as lintian checks
them) and the systemd units (`systemd-analyze verify`, Debian's systemd)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from harness import REPO, NkTestCase

UNITS = ["nkdigest.service", "nkdigest.timer", "nkdigest@.service", "nkdigest@.timer",
         "nkdigest-serve.service"]
EXPECTED = [
    "bin/nkdigest",
    "lib/systemd/system/nkdigest-serve.service",
    "lib/systemd/system/nkdigest.service",
    "lib/systemd/system/nkdigest.timer",
    "lib/systemd/system/nkdigest@.service",
    "lib/systemd/system/nkdigest@.timer",
    "share/doc/nkdigest/examples/cron.example",
    "share/doc/nkdigest/examples/nkdigest.conf",
    "share/doc/nkdigest/examples/subscribers.csv",
    "share/man/man1/nkdigest.1",
    "share/man/man5/nkdigest.conf.5",
    "share/nkdigest/templates/archive.html",
    "share/nkdigest/templates/article.html",
    "share/nkdigest/templates/article.txt",
    "share/nkdigest/templates/button.html",
    "share/nkdigest/templates/digest.html",
    "share/nkdigest/templates/digest.txt",
    "share/nkdigest/templates/footer.html",
    "share/nkdigest/templates/footer.txt",
    "share/nkdigest/templates/style.html",
    "share/nkdigest/templates/subject.txt",
]


def make(*args):
    # -o nkdigest: install what is built; never rebuild the binary under test.
    return subprocess.run(["make", "-s", "--no-print-directory", "-o", "nkdigest", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if not p.is_dir())


class Install(NkTestCase):
    def install(self, *extra, destdir=None):
        args = [*extra]
        if destdir:
            args.append(f"DESTDIR={destdir}")
        p = make("install", *args)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_install_puts_each_file_and_uninstall_removes_exactly_them(self):
        dest = self.dir / "dest"
        # Something that is not ours, where ours goes: it must survive.
        (dest / "usr/local/bin").mkdir(parents=True)
        (dest / "usr/local/bin/other-tool").write_text("x")
        (dest / "usr/local/share/man/man1").mkdir(parents=True)
        (dest / "usr/local/share/man/man1/other.1").write_text("x")
        self.install("PREFIX=/usr/local", destdir=dest)
        root = dest / "usr/local"
        self.assertEqual(files_under(root),
                         sorted(EXPECTED + ["bin/other-tool", "share/man/man1/other.1"]))
        self.assertTrue(os.access(root / "bin/nkdigest", os.X_OK))
        self.assertEqual((root / "share/nkdigest/templates/digest.html").read_bytes(),
                         (REPO / "templates/digest.html").read_bytes())
        self.assertEqual((root / "share/doc/nkdigest/examples/nkdigest.conf").read_bytes(),
                         (REPO / "config/example.conf").read_bytes())
        # the units name the installed binary
        unit = (root / "lib/systemd/system/nkdigest.service").read_text()
        self.assertIn("ExecStart=/usr/local/bin/nkdigest -c /etc/nkdigest/nkdigest.conf send",
                      unit)
        for u in UNITS:
            text = (root / "lib/systemd/system" / u).read_text()
            self.assertNotIn("@BINDIR@", text)
            self.assertNotIn("@SYSCONFDIR@", text)
        p = make("uninstall", "PREFIX=/usr/local", f"DESTDIR={dest}")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(files_under(root), ["bin/other-tool", "share/man/man1/other.1"])
        self.assertFalse((root / "share/nkdigest").exists())
        self.assertFalse((root / "share/doc/nkdigest").exists())

    def test_man_pages_render_without_warnings(self):
        # What lintian's manpage check runs, and what it counts as an error.
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
        for page, heading in (("doc/nkdigest.1", "NKDIGEST(1)"),
                              ("doc/nkdigest.conf.5", "NKDIGEST.CONF(5)")):
            p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                                str(REPO / page)], capture_output=True, env=env)
            self.assertEqual(p.returncode, 0, page)
            self.assertEqual(p.stderr.decode(), "", page)
            p = subprocess.run(["man", "-l", str(REPO / page)], capture_output=True,
                               env=env, text=True)
            self.assertTrue(p.stdout.startswith(heading), p.stdout[:80])
            for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
                self.assertRegex(p.stdout, rf"(?m)^{section}$", page)
            # the whatis line lintian checks: "name \- what it is"
            self.assertRegex((REPO / page).read_text(), r"\.SH NAME\n\S+ \\- \w")

    def test_units_pass_systemd_analyze_verify(self):
        # Installed for real under a temporary prefix, so that ExecStart names
        # a binary that exists and Documentation= names man pages man finds.
        prefix = self.dir / "usr"
        units = self.dir / "units"
        self.install(f"PREFIX={prefix}", f"UNITDIR={units}")
        # template units are verified as an instance (shard 2 of 4)
        shutil.copy(units / "nkdigest@.service", units / "nkdigest@2-4.service")
        shutil.copy(units / "nkdigest@.timer", units / "nkdigest@2-4.timer")
        names = ["nkdigest.service", "nkdigest.timer", "nkdigest@2-4.service",
                 "nkdigest@2-4.timer", "nkdigest-serve.service"]
        env = dict(os.environ, MANPATH=str(prefix / "share/man"), SYSTEMD_LOG_LEVEL="notice")
        p = subprocess.run(["systemd-analyze", "verify", *[str(units / n) for n in names]],
                           capture_output=True, text=True, env=env, cwd=units)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")
        # and it does find mistakes: a unit naming a binary that is not there
        bad = units / "nkdigest.service"
        bad.write_text(bad.read_text().replace(str(prefix / "bin/nkdigest"), "/nonexistent/nk"))
        p = subprocess.run(["systemd-analyze", "verify", str(bad)], capture_output=True,
                           text=True, env=env, cwd=units)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/nonexistent/nk", p.stderr)

    def test_the_daily_unit_is_sandboxed_and_retries_what_can_pass(self):
        unit = (REPO / "systemd/nkdigest.service.in").read_text()
        keys = dict(re.findall(r"(?m)^(\w+)=(.*)$", unit))
        for k, v in {"Type": "oneshot", "User": "nkdigest", "StateDirectory": "nkdigest",
                     "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                     "NoNewPrivileges": "yes", "Restart": "on-failure",
                     "RestartPreventExitStatus": "64 78",
                     "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX"}.items():
            self.assertEqual(keys.get(k), v, k)
        self.assertIn("SystemCallFilter=@system-service", unit)
        self.assertIn("--min-interval", keys["ExecStart"])
        timer = (REPO / "systemd/nkdigest.timer").read_text()
        self.assertIn("Persistent=true", timer)
        self.assertRegex(timer, r"(?m)^RandomizedDelaySec=\S+")
        self.assertRegex(timer, r"(?m)^OnCalendar=\S+")
        serve = (REPO / "systemd/nkdigest-serve.service.in").read_text()
        self.assertIn("serve --listen 127.0.0.1:8025", serve)

    def test_shard_units_are_the_daily_units_but_for_the_shard(self):
        def body(text):
            lines = [l for l in text.splitlines() if l and not l.startswith("#")]
            return [l for l in lines if not l.startswith(("Description=", "ExecStart="))]
        for one, shard in (("nkdigest.service.in", "nkdigest@.service.in"),
                           ("nkdigest.timer", "nkdigest@.timer")):
            a = (REPO / "systemd" / one).read_text()
            b = (REPO / "systemd" / shard).read_text()
            self.assertEqual(body(a), body(b), shard)
        self.assertIn("send --shard %I --min-interval 20h",
                      (REPO / "systemd/nkdigest@.service.in").read_text())

    def test_package_version_is_the_program_version(self):
        version = re.search(r'NKDIGEST_VERSION "([^"]+)"',
                            (REPO / "util/version.h").read_text()).group(1)
        changelog = (REPO / "debian/changelog").read_text()
        self.assertTrue(changelog.startswith(f"nkdigest ({version}) "), changelog[:40])
        for page in ("doc/nkdigest.1", "doc/nkdigest.conf.5"):
            self.assertIn(f'"nkdigest {version}"', (REPO / page).read_text())
