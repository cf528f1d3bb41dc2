"""The layers point one way: util below mail below the program below the
commands, and each outside library inside its one module. scripts/check-layers
and the per-folder include paths of the Makefile enforce it; these tests
put a wrong include into a copy of the tree and see both refuse it."""
import shutil
import subprocess

from harness import NkTestCase, REPO

CHECK = REPO / "scripts" / "check-layers"


class Layers(NkTestCase):
    def copy(self):
        tree = self.dir / "tree"
        for part in ("util", "mail", "digest", "scripts", "templates"):
            shutil.copytree(REPO / part, tree / part)
        shutil.copy(REPO / "Makefile", tree / "Makefile")
        return tree

    def add_include(self, path, line):
        text = path.read_text().split("\n")
        at = next(i for i, t in enumerate(text) if t.startswith("#include"))
        text.insert(at + 1, line)
        path.write_text("\n".join(text))
        return at + 2

    def check(self, tree):
        return subprocess.run([str(CHECK), str(tree)], capture_output=True, text=True)

    def test_the_checkout_keeps_to_its_layers(self):
        p = self.check(REPO)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("every include points down the layers", p.stdout)

    def test_mail_including_the_program_config_is_refused(self):
        tree = self.copy()
        n = self.add_include(tree / "mail" / "mime.c", '#include "config.h"')
        p = self.check(tree)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"mail/mime.c:{n}: mail includes digest/config.h", p.stdout)
        # And the build itself does not compile it: mail/ sees no digest/ headers.
        mk = subprocess.run(["make", "-s", "build/release/mail/mime.o"], cwd=tree,
                            capture_output=True, text=True)
        self.assertNotEqual(mk.returncode, 0)
        self.assertIn("config.h", mk.stderr)

    def test_a_utility_including_mail_is_refused(self):
        tree = self.copy()
        n = self.add_include(tree / "util" / "wrap.c", '#include "address.h"')
        p = self.check(tree)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"util/wrap.c:{n}: util includes mail/address.h", p.stdout)

    def test_the_program_including_the_commands_header_is_refused(self):
        tree = self.copy()
        n = self.add_include(tree / "digest" / "edition.c", '#include "cli.h"')
        p = self.check(tree)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"digest/edition.c:{n}: program includes digest/cli.h", p.stdout)

    def test_a_library_outside_its_module_is_refused(self):
        tree = self.copy()
        n = self.add_include(tree / "digest" / "render.c", "#include <sqlite3.h>")
        m = self.add_include(tree / "digest" / "main.c", "#include <curl/curl.h>")
        p = self.check(tree)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"digest/render.c:{n}: <sqlite3.h> belongs to digest/state.c only",
                      p.stdout)
        self.assertIn(f"digest/main.c:{m}: <curl/curl.h> belongs to", p.stdout)
