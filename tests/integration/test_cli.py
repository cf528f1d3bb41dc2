"""The command line: help, version, usage errors (64), config errors (78)."""
from harness import NkTestCase, SAMPLE_JSONFEED


class CommandLine(NkTestCase):
    def test_help_lists_every_command(self):
        p = self.nk("--help")
        self.assertEqual(p.returncode, 0)
        for cmd in ("render", "send", "fetch", "check", "status"):
            self.assertIn(f"  {cmd} ", p.out)

    def test_each_command_has_its_own_help(self):
        for cmd, option in (("render", "--format"), ("send", "--dry-run"),
                            ("fetch", "--source"), ("check", "--offline"),
                            ("status", "--last")):
            p = self.nk(cmd, "--help")
            self.assertEqual(p.returncode, 0, cmd)
            self.assertIn(f"usage: nkdigest {cmd}", p.out)
            self.assertIn(option, p.out)

    def test_version(self):
        p = self.nk("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.out, r"^nkdigest \d+\.\d+\.\d+\n$")

    def test_unknown_command_prints_usage_and_exits_64(self):
        p = self.nk("frobnicate")
        self.assertEqual(p.returncode, 64)
        self.assertIn("unknown command 'frobnicate'", p.err)
        self.assertIn("usage: nkdigest", p.err)

    def test_unknown_option_exits_64(self):
        self.assertEqual(self.nk("--bogus").returncode, 64)
        p = self.nk("render", "--bogus")
        self.assertEqual(p.returncode, 64)
        self.assertIn("render: unknown option '--bogus'", p.err)
        self.assertIn("usage: nkdigest render", p.err)
        p = self.nk("send", "--limit")
        self.assertEqual(p.returncode, 64)
        self.assertIn("option '--limit' needs a value", p.err)
        self.assertIn("usage: nkdigest send", p.err)
        p = self.nk("status", "extra")
        self.assertEqual(p.returncode, 64)
        self.assertIn("unexpected argument 'extra'", p.err)

    def test_no_command_exits_64(self):
        p = self.nk()
        self.assertEqual(p.returncode, 64)
        self.assertIn("usage:", p.err)

    def test_bad_option_value_exits_64(self):
        cfg = self.config(str(SAMPLE_JSONFEED))
        p = self.nk("render", "--format", "pdf", config=cfg)
        self.assertEqual(p.returncode, 64)
        p = self.nk("render", "--tier", "gold", config=cfg)
        self.assertEqual(p.returncode, 64)
        self.assertIn("gold", p.err)


class ConfigErrors(NkTestCase):
    def test_missing_config_names_the_file_and_exits_78(self):
        p = self.nk("render", config=self.dir / "nope.conf")
        self.assertEqual(p.returncode, 78)
        self.assertIn("nope.conf", p.err)

    def test_no_config_anywhere_exits_78_and_says_where_it_looked(self):
        p = self.nk("render")
        self.assertEqual(p.returncode, 78)
        self.assertIn("nkdigest.conf", p.err)
        self.assertIn("-c FILE", p.err)

    def test_config_from_environment(self):
        cfg = self.config(str(SAMPLE_JSONFEED))
        p = self.nk("render", env={"NKDIGEST_CONFIG": str(cfg)})
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("NK News Daily Digest", p.out)

    def test_syntax_error_names_file_and_line(self):
        cfg = self.write("bad.conf", "[digest]\ntitle = x\nthis line has no equals sign\n")
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("bad.conf:3:", p.err)

    def test_unknown_key_names_file_and_line(self):
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"max_artilces": "5"})
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertRegex(p.err, r"nkdigest\.conf:\d+: unknown key 'max_artilces'")

    def test_bad_values_are_named(self):
        for digest, word in (({"timezone": "Mars/Olympus"}, "time zone"),
                             ({"max_age": "forever"}, "duration"),
                             ({"pro_teasers": "maybe"}, "show or hide")):
            cfg = self.config(str(SAMPLE_JSONFEED), digest=digest)
            p = self.nk("render", config=cfg)
            self.assertEqual(p.returncode, 78, digest)
            self.assertIn(word, p.err)
            self.assertRegex(p.err, r"nkdigest\.conf:\d+:")

    def test_long_lines_are_read_whole(self):
        # A value far past 200 bytes (where libinih would cut it) survives.
        title = "Digest " + "x" * 400
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"title": title})
        p = self.nk("render", "--format", "html", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn(f">{title}</h1>", p.out)

    def test_password_in_config_is_refused(self):
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:25",
                          smtp_extra={"password": "hunter2"})
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("password_file", p.err)
        self.assertNotIn("hunter2", p.err)

    def test_undeclared_tier_is_an_error(self):
        cfg = self.config(str(SAMPLE_JSONFEED), source={"tier": "gold"})
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("gold", p.err)
