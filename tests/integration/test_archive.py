"""The web archive: `nkdigest archive` and the archive `send` writes when
[archive] dir is set. Editions go out through a real SMTP server
(aiosmtpd); the pages, the index and the JSON Feed are parsed and checked:
one page per edition with its articles, nothing personal, self-contained,
escaped, and the mail's "view online" link pointing at its page."""
import json
import re

from digestshape import Shape, eml_parts
from harness import NkTestCase, SAMPLE_JSONFEED

FEED = json.loads(SAMPLE_JSONFEED.read_text())
ITEMS = FEED["items"]
OLDER, NEWER = ITEMS[5:], ITEMS[:5]
SUBSCRIBERS = """email,name,tier
pro.reader@example.org,Kim Min-jun,pro
free.reader@example.org,"Doe, Jane",free
"""
ARCHIVE_URL = "https://www.nknews.org/digest/"


def feed_of(items):
    return json.dumps({**FEED, "items": items})


class ArchiveCase(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.smtp = self.smtp_server()
        self.url = self.http.serve("/feed.json", feed_of(OLDER))
        self.out = self.dir / "web"

    def conf(self, archive=None, **kw):
        cfg = self.config(self.url, smtp=self.smtp.url(), subscribers=SUBSCRIBERS, **kw)
        with open(cfg, "a") as f:
            f.write("\n[archive]\n")
            for k, v in (archive if archive is not None else
                         {"dir": "web", "url": ARCHIVE_URL}).items():
                f.write(f"{k} = {v}\n")
        return cfg

    def two_editions(self, **kw):
        cfg = self.conf(**kw)
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.http.serve("/feed.json", feed_of(ITEMS))
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        return cfg, p

    def page(self, name):
        return (self.out / name).read_text()


class ArchiveAfterSend(ArchiveCase):
    def test_send_writes_a_page_per_edition_an_index_and_a_feed(self):
        _, p = self.two_editions()
        self.assertIn("archive " + str(self.out) + ": 2 edition pages", p.err)
        self.assertEqual(sorted(x.name for x in self.out.iterdir()),
                         ["edition-1.html", "edition-2.html", "feed.json", "index.html"])
        for name, items in (("edition-1.html", OLDER), ("edition-2.html", NEWER)):
            s = Shape(self.page(name))
            hrefs = s.hrefs()
            for item in items:
                self.assertEqual(hrefs.count(item["url"]), 1, (name, item["url"]))
            others = [i for i in ITEMS if i not in items]
            for item in others:
                self.assertNotIn(item["url"], hrefs)
            self.assertIn("index.html", hrefs)           # back to all editions
            # The pro tier: every article in full, no upgrade call.
            self.assertNotIn("Subscribe to", self.page(name))

    def test_pages_carry_nothing_personal(self):
        self.two_editions()
        for f in self.out.iterdir():
            text = f.read_text()
            for personal in ("pro.reader@example.org", "free.reader@example.org",
                             "Kim Min-jun", "Jane", "unsubscribe?t=", "Hello",
                             "This copy was sent", "{{", "}}"):
                self.assertNotIn(personal, text, (f.name, personal))

    def test_index_lists_the_editions_newest_first(self):
        self.two_editions()
        s = Shape(self.page("index.html"))
        pages = [h for h in s.hrefs() if h.startswith("edition-")]
        self.assertEqual(pages, ["edition-2.html", "edition-1.html"])
        # Each is named by its lead story, with its count.
        self.assertEqual(s.h("h2"), [NEWER[0]["title"], OLDER[0]["title"]])
        text = "".join(s.text)
        self.assertIn("2 editions", text)
        self.assertIn("5 articles", text)
        self.assertIn("feed.json", s.hrefs())

    def test_json_feed_of_the_editions(self):
        self.two_editions()
        feed = json.loads(self.page("feed.json"))
        self.assertEqual(feed["version"], "https://jsonfeed.org/version/1.1")
        self.assertEqual(feed["feed_url"], ARCHIVE_URL + "feed.json")
        self.assertEqual(feed["home_page_url"], ARCHIVE_URL + "index.html")
        self.assertEqual([i["url"] for i in feed["items"]],
                         [ARCHIVE_URL + "edition-2.html", ARCHIVE_URL + "edition-1.html"])
        self.assertEqual(len({i["id"] for i in feed["items"]}), 2)
        for item, articles in zip(feed["items"], (NEWER, OLDER)):
            self.assertEqual(item["title"], articles[0]["title"])
            self.assertRegex(item["date_published"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            for a in articles:
                self.assertIn(a["title"] + "\n" + a["url"], item["content_text"])

    def test_view_online_in_the_mail_is_the_editions_page(self):
        self.two_editions()
        for r in self.smtp.received:
            html = eml_parts(r.msg)["text/html"]
            links = [h for h, text, _, _ in Shape(html).links if text == "View online"]
            self.assertEqual(len(links), 1)
            self.assertTrue(links[0].startswith(ARCHIVE_URL))
            self.assertTrue((self.out / links[0][len(ARCHIVE_URL):]).exists(), links[0])

    def test_pages_are_self_contained(self):
        self.two_editions()
        for f in self.out.glob("*.html"):
            text = f.read_text().lower()
            for ref in ("<script", " src=", "<link", "@import", "url(", "<iframe", "<img"):
                self.assertNotIn(ref, text, (f.name, ref))

    def test_archive_tier_is_configurable(self):
        self.two_editions(archive={"dir": "web", "url": ARCHIVE_URL, "tier": "free"})
        page = self.page("edition-2.html")   # the one with PRO articles
        self.assertIn("Also in NK PRO", page)
        self.assertIn("Subscribe to NK PRO", page)

    def test_a_failing_archive_does_not_fail_the_send(self):
        (self.dir / "blocker").write_text("a file where a folder should be\n")
        cfg = self.conf(archive={"dir": "blocker/web"})
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("archive not updated", p.err)
        self.assertIn("blocker/web", p.err)
        self.assertEqual(len(self.smtp.received), 2)


class ArchiveCommand(ArchiveCase):
    def test_escapes_what_the_feed_says(self):
        # Titles are read as HTML: the tags are written as entities, so
        # that the text itself holds "<script>" for the archive to escape.
        evil = [{"id": "1", "url": "https://example.org/a?x=1&y=2",
                 "title": "Tags &lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\"",
                 "summary": "<b>bold</b> & more", "date_published": "2022-05-21T10:12:00+09:00"}]
        self.url = self.http.serve("/evil.json", json.dumps({**FEED, "items": evil}))
        cfg = self.conf()
        self.assertEqual(self.nk("send", config=cfg).returncode, 0)
        for name in ("edition-1.html", "index.html"):
            text = self.page(name)
            self.assertNotIn("<script>", text)
            self.assertIn("Tags &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;",
                          text)
        self.assertIn('href="https://example.org/a?x=1&amp;y=2"', self.page("edition-1.html"))
        feed = json.loads(self.page("feed.json"))
        self.assertEqual(feed["items"][0]["title"], 'Tags <script>alert(1)</script> & "quotes"')

    def test_out_dir_and_an_empty_state(self):
        cfg = self.conf(archive={})
        out = self.dir / "elsewhere"
        p = self.nk("archive", "--out", str(out), config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("0 edition pages", p.err)
        self.assertIn("No edition has been sent yet.", (out / "index.html").read_text())
        self.assertEqual(json.loads((out / "feed.json").read_text())["items"], [])
        self.assertFalse((self.dir / "state.db").exists())

    def test_next_adds_the_coming_edition_and_changes_nothing(self):
        cfg = self.conf()
        p = self.nk("archive", "--next", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("1 edition page", p.err)
        hrefs = Shape(self.page("edition-1.html")).hrefs()
        for item in OLDER:
            self.assertIn(item["url"], hrefs)
        self.assertFalse((self.dir / "state.db").exists())
        self.assertEqual(self.smtp.received, [])

    def test_rewrites_pages_after_the_templates_change(self):
        cfg, _ = self.two_editions()
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "footer.html").write_text('<p id="new-footer">{{title}}</p>\n')
        text = cfg.read_text().replace("[digest]\n", "[digest]\ntemplates = tpl\n", 1)
        cfg.write_text(text)
        p = self.nk("archive", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        for name in ("edition-1.html", "edition-2.html"):
            self.assertIn('<p id="new-footer">', self.page(name))
        self.assertEqual(list(self.out.glob(".*.tmp")), [])

    def test_needs_a_directory(self):
        cfg = self.conf(archive={})
        p = self.nk("archive", config=cfg)
        self.assertEqual(p.returncode, 64)
        self.assertIn("--out DIR", p.err)
        p = self.nk("archive", "--source", "x.json", config=cfg)
        self.assertEqual(p.returncode, 64)
        self.assertTrue(re.search(r"--source only goes with --next", p.err))
