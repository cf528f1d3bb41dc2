"""The README's promise "render shows exactly what send sends": for each
tier, the message `render --format eml` prints and the one a real SMTP
server (aiosmtpd) receives are the same message, apart from what is
personal to the recipient (To, Date and the greeting; the boundary follows
the Date)."""
import json
import re
import sqlite3

from harness import NkTestCase, SAMPLE_JSONFEED, parse_message

SUBSCRIBERS = """email,name,tier
pro.reader@example.org,Kim Min-jun,pro
free.reader@example.org,"Doe, Jane",free
"""
NAMES = {"pro.reader@example.org": "Kim Min-jun", "free.reader@example.org": "Doe, Jane"}
# How the digest greets them: the list's "Doe, Jane" is said "Jane Doe".
GREETINGS = {"pro.reader@example.org": "Hello Kim Min-jun,",
             "free.reader@example.org": "Hello Jane Doe,"}
TIERS = {"pro.reader@example.org": "pro", "free.reader@example.org": "free"}
# Per recipient by design; everything else must match.
PERSONAL = {"to", "date"}


def parts(msg):
    """(content type, charset, transfer encoding, decoded text) of each part."""
    return [(p.get_content_type(), p.get_content_charset(), p["Content-Transfer-Encoding"],
             p.get_content()) for p in msg.walk() if not p.is_multipart()]


class PreviewIsWhatIsSent(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.smtp = self.smtp_server()
        url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.cfg = self.config(url, smtp=self.smtp.url(), subscribers=SUBSCRIBERS)

    def preview(self, rcpt):
        """What render prints for rcpt's tier, addressed to rcpt (no name:
        the greeting without one, "Hello,")."""
        p = self.nk("render", "--format", "eml", "--tier", TIERS[rcpt], "--to", rcpt,
                    config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        return parse_message(p.stdout)

    def test_each_tier_is_sent_exactly_as_render_showed_it(self):
        previews = {rcpt: self.preview(rcpt) for rcpt in TIERS}
        p = self.nk("send", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        sent = {r.rcpt_tos[0]: r.msg for r in self.smtp.received}
        self.assertEqual(set(sent), set(TIERS))
        for rcpt, shown in previews.items():
            got = sent[rcpt]
            with self.subTest(tier=TIERS[rcpt]):
                # The same headers in the same order, with the same values,
                # Message-ID and List-Unsubscribe included: render predicts
                # the edition number and the recipient's token.
                self.assertEqual([k.lower() for k in shown.keys()],
                                 [k.lower() for k in got.keys()])
                for name in shown.keys():
                    if name.lower() in PERSONAL:
                        continue
                    a, b = shown[name], got[name]
                    if name.lower() == "content-type":
                        a, b = a.content_type, b.content_type   # boundary follows Date
                    if name.lower() == "message-id":
                        # Before the first send there is no state file, so
                        # no instance id yet (test_next_edition... below
                        # checks the whole Message-ID once there is).
                        a, b = (re.sub(r"^<nkdigest\.[0-9a-f]{16}\.", "<nkdigest.I.", str(x))
                                for x in (a, b))
                    self.assertEqual(a, b, name)
                self.assertEqual(shown["To"].addresses[0].addr_spec,
                                 got["To"].addresses[0].addr_spec)
                self.assertEqual(got["To"].addresses[0].display_name, NAMES[rcpt])
                self.assertIn("List-Unsubscribe", got)
                # The parts, decoded, differ only by the greeting.
                want = parts(shown)
                have = [(t, c, e, body.replace(GREETINGS[rcpt], "Hello,"))
                        for t, c, e, body in parts(got)]
                self.assertEqual([x[:3] for x in want], [x[:3] for x in have])
                for (t, _, _, a), (_, _, _, b) in zip(want, have):
                    self.assertEqual(a, b, f"{t} part differs from the preview")
                self.assertNotIn(GREETINGS[rcpt], parts(shown)[0][3])
                self.assertIn(GREETINGS[rcpt], parts(got)[0][3])

    def test_next_edition_message_ids_are_predicted_whole(self):
        self.assertEqual(self.nk("send", config=self.cfg).returncode, 0)
        db = sqlite3.connect(self.dir / "state.db")
        (instance,) = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
        db.close()
        feed = json.loads(SAMPLE_JSONFEED.read_text())
        feed["items"].insert(0, {"id": "n2", "url": "https://www.nknews.org/n2/",
                                 "title": "Second", "summary": "x",
                                 "date_published": "2022-05-22T08:00:00+09:00",
                                 "authors": [{"name": "A"}], "tags": ["News"]})
        self.http.serve("/feed.json", json.dumps(feed))
        previews = {rcpt: self.preview(rcpt)["Message-ID"] for rcpt in TIERS}
        self.assertEqual(self.nk("send", config=self.cfg).returncode, 0)
        sent = {r.rcpt_tos[0]: r.msg["Message-ID"] for r in self.smtp.received[2:]}
        self.assertEqual(previews, sent)
        for mid in sent.values():
            self.assertTrue(mid.startswith(f"<nkdigest.{instance}.2."), mid)

    def test_the_tiers_really_differ(self):
        """Guards the test above: it would pass vacuously if both tiers
        rendered the same digest."""
        free = parts(self.preview("free.reader@example.org"))
        pro = parts(self.preview("pro.reader@example.org"))
        self.assertNotEqual(free[0][3], pro[0][3])
