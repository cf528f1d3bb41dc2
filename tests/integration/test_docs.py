"""The documentation keeps up with the program: every command and option in
--help, every config key the loader takes and every exit code the code
returns is in the man pages (and the keys in config/example.conf). A new
command, option or key fails here until it is documented."""
import re

from harness import REPO, NkTestCase

SYSEXITS = {"EX_USAGE": 64, "EX_DATAERR": 65, "EX_NOINPUT": 66, "EX_NOUSER": 67,
            "EX_NOHOST": 68, "EX_UNAVAILABLE": 69, "EX_SOFTWARE": 70, "EX_OSERR": 71,
            "EX_OSFILE": 72, "EX_CANTCREAT": 73, "EX_IOERR": 74, "EX_TEMPFAIL": 75,
            "EX_PROTOCOL": 76, "EX_NOPERM": 77, "EX_CONFIG": 78}


def roff(name):
    """A name as it is written in a man page: '-' as '\\-'."""
    return name.replace("-", r"\-")


def section(text, start, end=r"\.SH "):
    m = re.search(start + r"(.*?)(?=" + end + "|\\Z)", text, re.S)
    return m.group(1) if m else ""


class Docs(NkTestCase):
    def setUp(self):
        super().setUp()
        self.man1 = (REPO / "doc/nkdigest.1").read_text()
        self.man5 = (REPO / "doc/nkdigest.conf.5").read_text()

    def commands(self):
        out = self.nk("--help").out
        block = out.split("Commands:\n")[1].split("\n\n")[0]
        return [l.split()[0] for l in block.splitlines()]

    def test_every_command_and_option_is_in_nkdigest_1(self):
        commands = self.commands()
        self.assertGreaterEqual(len(commands), 5)
        for cmd in commands:
            self.assertIn(f".SS {cmd}\n", self.man1, cmd)
            doc = section(self.man1, rf"\.SS {cmd}\n", r"\.S[SH] ")
            for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", self.nk(cmd, "--help").out))):
                if opt in ("--help", "--config"):
                    continue   # global, documented once
                self.assertIn(roff(opt), doc, f"{cmd} {opt}")
        for opt in re.findall(r"--[a-z][a-z-]+", self.nk("--help").out):
            self.assertIn(roff(opt), self.man1, opt)

    def test_every_config_key_is_in_nkdigest_conf_5_and_the_example(self):
        src = (REPO / "digest/config.c").read_text()
        example = (REPO / "config/example.conf").read_text()
        lists = dict(re.findall(r"static const char \*const (\w+)_keys\[\] = \{(.*?)\};",
                                src, re.S))
        self.assertGreaterEqual(len(lists), 6)
        for sec, body in lists.items():
            head = rf"\.SH \[{sec}" + (r" \\\(dqname\\\(dq\]\n" if sec in ("source", "tier")
                                        else r"\]\n")
            doc = section(self.man5, head)
            self.assertTrue(doc, f"no section [{sec}] in nkdigest.conf(5)")
            for key in re.findall(r'"([a-z0-9_]+)"', body):
                self.assertRegex(doc, rf"\.B[IR]? {key}\b", f"[{sec}] {key}")
                self.assertRegex(example, rf"(?m)^;? ?{key} = ", f"[{sec}] {key} in example.conf")
        # every section the loader knows has its own part of the page
        for sec in re.findall(r'"(\w+)"', re.search(r"sections\[\] = \{(.*?)\};", src,
                                                    re.S).group(1)):
            self.assertRegex(self.man5, rf"\.SH \[{sec}\b")

    def test_every_exit_code_is_in_nkdigest_1(self):
        used = set()
        for folder in ("digest", "mail", "util"):
            for f in (REPO / folder).glob("*.c"):
                used |= set(re.findall(r"\bEX_[A-Z]+\b", f.read_text()))
        doc = section(self.man1, r"\.SH EXIT STATUS\n")
        for name in sorted(used):
            self.assertIn(f".B {SYSEXITS[name]}\n", doc, name)
        self.assertIn(".B 0\n", doc)

    def test_every_environment_variable_is_in_nkdigest_1(self):
        names = set()
        for folder in ("digest", "mail", "util"):
            for f in (REPO / folder).glob("*.c"):
                text = f.read_text()
                names |= set(re.findall(r'getenv\("([A-Z_]+)"\)', text))
                names |= set(re.findall(r'"(NKDIGEST_[A-Z_]+)"', text))
        doc = section(self.man1, r"\.SH ENVIRONMENT\n")
        self.assertGreaterEqual(len(names), 8)
        for name in sorted(names):
            self.assertIn(name, doc, name)
