"""`check`: every mistake in the config at once, each typo with the key it
probably meant; `check --offline` refuses what `send` would refuse."""
from harness import NkTestCase, SAMPLE_JSONFEED

SUBS = "email,name,tier\na@example.org,A,free\n"


class Check(NkTestCase):
    def test_every_config_error_is_listed_with_suggestions(self):
        cfg = self.write("bad.conf", "\n".join([
            "[digest]",
            "timezon = Asia/Seoul",            # 2
            "max_articles = lots",             # 3
            "[source \"nk\"]",
            f"url = {SAMPLE_JSONFEED}",
            "pro_wen = tag:NK PRO",            # 6
            "[smtp]",
            "url = smtp://127.0.0.1:25",
            "conections = 2",                  # 9
            "tls = maybe",                     # 10
            "[unsubscibe]",                    # 11
            "url = https://x.org/u",
            "",
        ]))
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78, p.out + p.err)
        fails = [l for l in p.out.splitlines() if l.startswith("FAIL")]
        want = [
            ":2: unknown key 'timezon' in [digest] (did you mean 'timezone'?)",
            ":3: max_articles: expected a whole number",
            ":6: unknown key 'pro_wen' in [source \"nk\"] (did you mean 'pro_when'?)",
            ":9: unknown key 'conections' in [smtp] (did you mean 'connections'?)",
            ":10: tls: expected required or none (got 'maybe')",
            ":12: unknown section [unsubscibe] (did you mean [unsubscribe]?)",
        ]
        self.assertEqual(len(fails), len(want), p.out)
        for line, w in zip(fails, want):
            self.assertIn("bad.conf" + w, line)
        # the other commands stop at the first and say there is more
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("did you mean 'timezone'?) (and 5 more errors: 'nkdigest check' "
                      "lists them all)", p.err)

    def test_offline_refuses_tls_none_for_a_remote_server_like_send(self):
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://mail.example.org:587",
                          subscribers=SUBS)   # the harness sets tls = none
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78, p.out)
        self.assertRegex(p.out, r"FAIL  smtp settings smtp://mail\.example\.org:587: "
                                r".*tls = none is only allowed for a server on this machine")
        send = self.nk("send", config=cfg)
        self.assertEqual(send.returncode, 78)
        self.assertIn("tls = none is only allowed for a server on this machine", send.err)
        # smtps:// with tls = none is refused the same way
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtps://127.0.0.1:465",
                          subscribers=SUBS, name="smtps.conf")
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("smtps:// always uses TLS", p.out)

    def test_offline_needs_what_send_needs(self):
        cfg = self.config(str(SAMPLE_JSONFEED), subscribers=SUBS)   # no [smtp]
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("FAIL  settings send needs: ", p.out)
        self.assertIn("[smtp] url is not set", p.out)

    def test_state_directory_must_exist_for_send(self):
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:25", subscribers=SUBS,
                          digest={"state": "no/such/dir/state.db"})
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 73, p.out)
        self.assertRegex(p.out, r"FAIL  state file: .*no/such/dir/state\.db: directory "
                                r".*no/such/dir: No such file or directory")

    def test_a_good_config_passes_offline(self):
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:25", subscribers=SUBS)
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assertNotIn("FAIL", p.out)
        self.assertIn("ok    smtp settings smtp://127.0.0.1:25", p.out)
        self.assertIn("ok    settings send needs", p.out)
        self.assertIn("writable", p.out)
