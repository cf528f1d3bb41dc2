"""TLS and login: certificates are verified by default, against a CA made
for the test with openssl; passwords come from a private file or the
environment and never show up in output."""
from harness import NkTestCase, SAMPLE_JSONFEED, make_ca, server_tls_context

SUBS = "email,name,tier\na@example.org,A,pro\nb@example.org,B,free\n"


class StartTls(NkTestCase):
    def setUp(self):
        super().setUp()
        self.ca, crt, key = make_ca(self.dir)
        self.smtp = self.smtp_server(tls_context=server_tls_context(crt, key),
                                     require_starttls=True)

    def conf(self, name, **smtp):
        extra = {"tls": "required", **smtp}
        return self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                           smtp_extra=extra, name=name)

    def test_delivers_over_starttls_with_the_right_ca(self):
        p = self.nk("send", config=self.conf("ok.conf", ca_file=str(self.ca)))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(sorted(r.rcpt_tos[0] for r in self.smtp.received),
                         ["a@example.org", "b@example.org"])

    def test_unknown_certificate_is_refused_and_nothing_is_sent(self):
        p = self.nk("send", config=self.conf("noca.conf"))
        self.assertEqual(p.returncode, 69, p.err)
        self.assertIn(self.smtp.url(), p.err)
        self.assertRegex(p.err.lower(), r"certificate|ssl|tls")
        self.assertEqual(self.smtp.received, [])
        # Everyone is still pending: a later run with the CA delivers.
        p = self.nk("send", config=self.conf("later.conf", ca_file=str(self.ca)))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)

    def test_turning_verification_off_is_loud(self):
        p = self.nk("send", config=self.conf("off.conf", tls_verify="no"))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("TLS certificate checking is OFF", p.err)

    def test_check_probes_tls_without_sending(self):
        p = self.nk("check", config=self.conf("check.conf", ca_file=str(self.ca)))
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assertIn("TLS verified", p.out)
        self.assertEqual(self.smtp.received, [])
        p = self.nk("check", config=self.conf("checkbad.conf"))
        self.assertEqual(p.returncode, 69)
        self.assertRegex(p.out, r"FAIL +smtp")


class Login(NkTestCase):
    def setUp(self):
        super().setUp()
        self.ca, crt, key = make_ca(self.dir)
        self.smtp = self.smtp_server(tls_context=server_tls_context(crt, key),
                                     require_starttls=True,
                                     users={"digest@example.org": "pa55 word"})

    def conf(self, name, **smtp):
        extra = {"tls": "required", "ca_file": str(self.ca),
                 "user": "digest@example.org", **smtp}
        return self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                           smtp_extra=extra, name=name)

    def test_password_file_logs_in(self):
        self.write("smtp.pass", "pa55 word\n", mode=0o600)
        p = self.nk("-v", "send", config=self.conf("pw.conf", password_file="smtp.pass"))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)
        self.assertNotIn("pa55", p.err + p.out)

    def test_password_from_environment(self):
        p = self.nk("send", config=self.conf("env.conf"),
                    env={"NKDIGEST_SMTP_PASSWORD": "pa55 word"})
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)

    def test_wrong_password_exits_78_without_showing_it(self):
        p = self.nk("send", config=self.conf("bad.conf"),
                    env={"NKDIGEST_SMTP_PASSWORD": "wrong-guess"})
        self.assertEqual(p.returncode, 78, p.err)
        self.assertNotIn("wrong-guess", p.err + p.out)
        self.assertEqual(self.smtp.received, [])

    def test_readable_password_file_is_refused(self):
        self.write("smtp.pass", "pa55 word\n", mode=0o644)
        p = self.nk("send", config=self.conf("open.conf", password_file="smtp.pass"))
        self.assertEqual(p.returncode, 78)
        self.assertIn("chmod 600", p.err)
        self.assertNotIn("pa55", p.err)
