"""TLS and login: certificates are verified by default, against a CA made
for the test with openssl; passwords come from a private file or the
environment and never show up in output."""
import base64

from aiosmtpd.smtp import AuthResult

from harness import (NkTestCase, RecordingHandler, SAMPLE_JSONFEED, make_ca,
                     server_tls_context)

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


class HttpsFeeds(NkTestCase):
    def setUp(self):
        super().setUp()
        self.ca, crt, key = make_ca(self.dir)
        self.http = self.feed_server(tls_context=server_tls_context(crt, key))
        self.url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.assertTrue(self.url.startswith("https://"))

    def test_https_feed_with_its_ca_is_fetched(self):
        conf = self.config(self.url, source={"ca_file": str(self.ca)})
        p = self.nk("fetch", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)

    def test_https_feed_with_an_unknown_certificate_is_refused(self):
        conf = self.config(self.url)
        p = self.nk("fetch", config=conf)
        self.assertEqual(p.returncode, 69)
        self.assertIn(self.url, p.err)
        self.assertRegex(p.err.lower(), r"certificate|ssl|issuer")
        self.assertEqual(p.out, "")

    def test_redirects_are_followed(self):
        plain = self.feed_server()
        plain.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        moved = plain.serve("/old-feed", plain.url("/feed.json"), status=301)
        p = self.nk("fetch", config=self.config(moved, name="moved.conf"))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)
        self.assertEqual([r[0] for r in plain.requests], ["/old-feed", "/feed.json"])


class ImplicitTls(NkTestCase):
    def test_smtps_url_delivers_over_verified_tls(self):
        ca, crt, key = make_ca(self.dir)
        smtp = self.smtp_server(implicit_tls=server_tls_context(crt, key))
        self.assertTrue(smtp.url().startswith("smtps://"))
        conf = self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=SUBS,
                           smtp_extra={"tls": "required", "ca_file": str(ca)})
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(smtp.received), 2)

    def test_smtps_with_an_unknown_certificate_is_refused(self):
        ca, crt, key = make_ca(self.dir)
        smtp = self.smtp_server(implicit_tls=server_tls_context(crt, key))
        conf = self.config(str(SAMPLE_JSONFEED), smtp=smtp.url(), subscribers=SUBS,
                           smtp_extra={"tls": "required"})
        p = self.nk("send", config=conf)
        self.assertEqual(p.returncode, 69, p.err)
        self.assertEqual(smtp.received, [])


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

    def test_verbose_shows_the_dialogue_and_each_delivery_but_no_credential(self):
        self.write("smtp.pass", "pa55 word\n", mode=0o600)
        p = self.nk("-v", "send", config=self.conf("v.conf", password_file="smtp.pass"))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.err, r"smtp 1 > MAIL FROM:<digest@example\.org>")
        self.assertRegex(p.err, r"smtp \d < 250")
        self.assertIn("smtp 1 > STARTTLS", p.err)
        self.assertRegex(p.err, r"smtp \d > AUTH (PLAIN|LOGIN) \(credentials not shown\)")
        self.assertRegex(p.err, r"[\w.]+@example\.\w+: sent: 250")
        # Neither the password nor its base64 (AUTH PLAIN or LOGIN) shows.
        import base64
        for secret in ("pa55", base64.b64encode(b"pa55 word").decode(),
                       base64.b64encode(b"\0digest@example.org\0pa55 word").decode()):
            self.assertNotIn(secret, p.err)

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


class OAuthHandler(RecordingHandler):
    """Accepts AUTH XOAUTH2 (Gmail's and Microsoft's SASL mechanism) for
    one user and bearer token, and nothing else."""

    def __init__(self, user, token):
        super().__init__()
        self.user, self.token, self.seen = user, token, []

    async def auth_XOAUTH2(self, server, args):
        if len(args) > 1:   # initial response on the AUTH line
            raw = base64.b64decode(args[1]).decode()
        else:               # after a "334" (aiosmtpd decodes the answer)
            raw = (await server.challenge_auth("", encode_to_b64=False)).decode()
        self.seen.append(raw.split("\x01")[0])
        ok = raw == f"user={self.user}\x01auth=Bearer {self.token}\x01\x01"
        if ok:
            return AuthResult(success=True, handled=False)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not accepted")


class OAuth2Login(NkTestCase):
    def setUp(self):
        super().setUp()
        self.ca, crt, key = make_ca(self.dir)
        self.handler = OAuthHandler("digest@example.org", "ya29.token-abc")
        self.smtp = self.smtp_server(tls_context=server_tls_context(crt, key),
                                     require_starttls=True, handler=self.handler)

    def conf(self, name, **smtp):
        extra = {"tls": "required", "ca_file": str(self.ca), "user": "digest@example.org",
                 "auth": "xoauth2", **smtp}
        return self.config(str(SAMPLE_JSONFEED), smtp=self.smtp.url(), subscribers=SUBS,
                           smtp_extra=extra, name=name)

    def test_bearer_token_file_logs_in_with_xoauth2(self):
        self.write("token", "ya29.token-abc\n", mode=0o600)
        p = self.nk("send", config=self.conf("oauth.conf", oauth2_token_file="token"))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(len(self.smtp.received), 2)
        self.assertIn("user=digest@example.org", self.handler.seen)
        self.assertNotIn("ya29", p.err + p.out)

    def test_expired_token_exits_78(self):
        p = self.nk("send", config=self.conf("old.conf"),
                    env={"NKDIGEST_SMTP_OAUTH2_TOKEN": "ya29.expired"})
        self.assertEqual(p.returncode, 78, p.err)
        self.assertNotIn("ya29", p.err + p.out)
        self.assertEqual(self.smtp.received, [])

    def test_xoauth2_without_a_token_is_a_config_error(self):
        p = self.nk("send", config=self.conf("none.conf"))
        self.assertEqual(p.returncode, 78)
        self.assertIn("oauth2_token_file", p.err)
