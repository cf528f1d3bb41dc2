"""`render`: the digest of the bundled sample, fetched over real HTTP."""
import html.parser
import re

from harness import NkTestCase, SAMPLE_JSONFEED, SAMPLE_WORDPRESS, parse_message
import json

FEED = json.loads(SAMPLE_JSONFEED.read_text())
ITEMS = FEED["items"]
PRO_URLS = [i["url"] for i in ITEMS if "NK PRO" in i["tags"]]
DAYS = ["Saturday, 21 May 2022", "Friday, 20 May 2022", "Thursday, 19 May 2022",
        "Wednesday, 18 May 2022"]
# The newest article leads the digest; its day (it is the only one of the
# 21st) then has nothing left under it.
LEAD = ITEMS[0]
REST_DAYS = DAYS[1:]


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.text, self.h2, self.h3 = [], [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])
        if tag in ("h2", "h3"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self._in = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in == "h2":
            self.h2.append(data)
        elif self._in == "h3":
            self.h3.append(data)


class RenderSample(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.cfg = self.config(url)

    def test_text_digest_has_the_lead_then_every_article_under_its_date(self):
        p = self.nk("render", "--stdout", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertTrue(self.http.requests, "the feed was not fetched over HTTP")
        out = p.out
        top = out.index("TOP STORY")
        self.assertLess(top, out.index(LEAD["url"]))
        self.assertLess(out.index(LEAD["url"]), out.index(REST_DAYS[0]))
        self.assertNotIn(DAYS[0], out)
        positions = [out.index(d) for d in REST_DAYS]
        self.assertEqual(positions, sorted(positions))
        # Every article once; inside each tier newest first (the sample
        # lists newest first), each under its own date.
        flat = re.sub(r"\s+", " ", out)
        for tag in ("News", "NK PRO"):
            spots = [out.index(i["url"]) for i in ITEMS if tag in i["tags"]]
            self.assertEqual(spots, sorted(spots), tag)
        for item in ITEMS:
            for field in ("title", "summary"):
                self.assertIn(item[field], flat)
            self.assertEqual(out.count(item["url"]), 1)
            self.assertIn(item["authors"][0]["name"], out)
            if item is LEAD:
                continue
            day = DAYS[21 - int(item["date_published"][8:10])]
            start = out.index(day)
            nxt = [out.index(d) for d in REST_DAYS if out.index(d) > start]
            self.assertTrue(start < out.index(item["url"]) < (min(nxt) if nxt else len(out)),
                            item["url"])
        # Curly quotes intact.
        self.assertIn("‘progress’", flat)
        self.assertIn("North Korea’s fertilizer", flat)

    def test_text_shows_local_times_in_the_configured_zone(self):
        out = self.nk("render", config=self.cfg).out
        # 2022-05-21T10:12:00+09:00 is 10:12 in Seoul; the lead also says
        # which day, having no date heading above it.
        self.assertIn("Colin Zwirko, 21 May, 10:12 KST", out)
        self.assertIn("Jeongmin Kim, 16:05 KST", out)
        cfg = self.config(self.http.url("/feed.json"), digest={"timezone": "UTC"},
                          name="utc.conf")
        out = self.nk("render", config=cfg).out
        self.assertIn("Colin Zwirko, 21 May, 01:12 UTC", out)
        # 09:30 KST on the 19th is 00:30 UTC on the 19th; 18 May 15:00 KST is
        # 06:00 UTC: still the same days, same order.
        for d in REST_DAYS:
            self.assertIn(d, out)

    def test_dates_split_into_news_and_pro_sections_only_where_both_are(self):
        out = self.nk("render", config=self.cfg).out
        day20 = out[out.index(DAYS[1]):out.index(DAYS[2])]
        news, pro = day20.index("\nNews\n"), day20.index("\nNK PRO\n")
        self.assertLess(news, pro)
        for u in PRO_URLS:
            self.assertGreater(day20.index(u), pro)
        # 19 May has only News: no heading says so.
        day19 = out[out.index(DAYS[2]):out.index(DAYS[3])]
        self.assertNotIn("\nNews\n", day19)
        self.assertNotIn("\nNK PRO\n", day19)

    def test_text_lines_are_wrapped_except_links(self):
        out = self.nk("render", config=self.cfg).out
        for line in out.splitlines():
            if "://" not in line:
                self.assertLessEqual(len(line), 72, line)

    def test_free_tier_shows_pro_articles_as_teasers_and_the_upgrade_once(self):
        out = self.nk("render", "--tier", "free", config=self.cfg).out
        self.assertEqual(out.count("https://www.nknews.org/pro/\n"), 1)
        self.assertEqual(out.count("Subscribe to NK PRO: https://www.nknews.org/pro/"), 1)
        flat = re.sub(r"\s+", " ", out)
        self.assertIn("Major outage disrupts North Korean websites and email delivery [NK PRO]",
                      flat)
        # The teasers come after every readable article, then the call.
        block = out.index("Also in NK PRO")
        for item in ITEMS:
            if item["url"] in PRO_URLS:
                self.assertGreater(out.index(item["url"]), block)
            else:
                self.assertLess(out.index(item["url"]), block)
        self.assertGreater(out.index("Subscribe to NK PRO"), max(out.index(u) for u in PRO_URLS))
        self.assertIn("8 articles · 2 NK PRO previews", out)
        pro = self.nk("render", "--tier", "pro", config=self.cfg).out
        self.assertNotIn("Subscribe to NK PRO", pro)
        self.assertNotIn("preview", pro)
        self.assertIn("· 10 articles\n", pro)

    def test_free_tier_without_teasers_hides_pro_articles(self):
        cfg = self.config(self.http.url("/feed.json"), digest={"pro_teasers": "hide"},
                          name="hide.conf")
        out = self.nk("render", "--tier", "free", config=cfg).out
        for u in PRO_URLS:
            self.assertNotIn(u, out)
        self.assertNotIn("\nNK PRO\n", out)
        self.assertIn("8 articles", out)

    def test_html_digest_escapes_and_links_every_article(self):
        p = self.nk("render", "--format", "html", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        parser = Links()
        parser.feed(p.out)
        for item in ITEMS:
            self.assertIn(item["url"], parser.hrefs)
        self.assertEqual([d.strip() for d in parser.h2], REST_DAYS)
        text = "".join(parser.text)
        self.assertIn("North Korea making ‘progress’ in COVID-19 fight", text)
        self.assertIn("10:12 KST", text)
        self.assertNotIn("<script", p.out.lower())

    def test_feed_html_is_escaped_in_the_html_digest(self):
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{
            "id": "1", "url": "https://example.org/a?x=1&y=2",
            # HTML in a title becomes text (the script goes); what was
            # entity-encoded text comes out as text to be escaped again.
            "title": "Tags <script>alert(1)</script>&lt;b&gt; & \"quotes\"",
            "summary": "<img src=x onerror=alert(1)>",
            "date_published": "2022-05-21T10:12:00+09:00"}]}
        url = self.http.serve("/evil.json", json.dumps(feed))
        cfg = self.config(url, name="evil.conf")
        p = self.nk("render", "--format", "html", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertNotIn("<script>", p.out)
        self.assertNotIn("<img", p.out)
        self.assertNotIn("alert(1)", p.out)
        self.assertIn("Tags &lt;b&gt; &amp; &quot;quotes&quot;", p.out)
        self.assertIn('href="https://example.org/a?x=1&amp;y=2"', p.out)

    def test_eml_is_the_complete_message(self):
        p = self.nk("render", "--format", "eml", "--tier", "free",
                    "--to", "editor@example.org", config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertNotIn(b"\n", p.stdout.replace(b"\r\n", b""))
        m = parse_message(p.stdout)
        self.assertEqual(m.get_content_type(), "multipart/alternative")
        parts = [x.get_content_type() for x in m.iter_parts()]
        self.assertEqual(parts, ["text/plain", "text/html"])
        self.assertEqual(m["To"], "editor@example.org")
        # The top story first, shortened on a word, then how many more.
        self.assertEqual(m["Subject"], "North Korea making ‘progress’ in COVID-19 fight but… +9 more")
        self.assertIn("Subscribe to NK PRO", m.get_body(("plain",)).get_content())

    def test_no_template_syntax_reaches_any_output(self):
        for tier in ("free", "pro"):
            for fmt in ("text", "html", "eml"):
                p = self.nk("render", "--tier", tier, "--format", fmt, config=self.cfg)
                self.assertEqual(p.returncode, 0, p.err)
                self.assertNotIn("{{", p.out, (tier, fmt))
                self.assertNotIn("}}", p.out, (tier, fmt))
        html = self.nk("render", "--format", "html", config=self.cfg).out
        self.assertTrue(html.startswith("<!DOCTYPE html>\n<html"), html[:80])

    def test_render_changes_nothing(self):
        self.nk("render", config=self.cfg)
        self.nk("render", "--format", "eml", config=self.cfg)
        self.assertFalse((self.dir / "state.db").exists())

    def test_out_dir_gets_every_tier_and_format(self):
        p = self.nk("render", "--out", str(self.dir / "out"), config=self.cfg)
        self.assertEqual(p.returncode, 0, p.err)
        for tier in ("free", "pro"):
            for ext in ("txt", "html", "eml"):
                f = self.dir / "out" / f"{tier}.{ext}"
                self.assertTrue(f.exists(), f)
        self.assertIn("Subscribe to NK PRO", (self.dir / "out" / "free.txt").read_text())
        self.assertNotIn("Subscribe to NK PRO", (self.dir / "out" / "pro.txt").read_text())

    def test_wordpress_posts_give_the_same_digest(self):
        url = self.http.serve("/wp/v2/posts", SAMPLE_WORDPRESS.read_bytes(),
                              ctype="application/json")
        cfg = self.config(url, name="wp.conf")
        wp = self.nk("render", config=cfg)
        self.assertEqual(wp.returncode, 0, wp.err)
        js = self.nk("render", config=self.cfg)
        self.assertEqual(wp.out, js.out)

    def test_source_option_reads_a_file_or_stdin(self):
        p = self.nk("render", "--source", "-", config=self.cfg,
                    stdin=SAMPLE_JSONFEED.read_bytes())
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("Major outage disrupts", p.out)
        self.assertFalse(self.http.requests, "--source must not fetch the configured feed")


class RenderLimits(NkTestCase):
    def test_max_articles_keeps_the_newest(self):
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"max_articles": "3"})
        out = self.nk("render", config=cfg).out
        for item in ITEMS[:3]:
            self.assertIn(item["url"], out)
        for item in ITEMS[3:]:
            self.assertNotIn(item["url"], out)

    def test_max_age_keeps_recent_articles_only(self):
        # The sample is from 2022: with a 48h window nothing is new.
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"max_age": "48h"})
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(p.out, "")
        self.assertIn("nothing new", p.err)


class FetchAndCheck(NkTestCase):
    def test_fetch_lists_the_next_edition_with_tiers(self):
        http = self.feed_server()
        cfg = self.config(http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes()))
        p = self.nk("fetch", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles for the next edition", p.out)
        self.assertIn("2022-05-20 18:40 KST  pro     Major outage disrupts", p.out)
        self.assertIn("2022-05-21 10:12 KST  free    North Korea making", p.out)
        self.assertFalse((self.dir / "state.db").exists())

    def test_check_offline_reports_each_part(self):
        cfg = self.config(str(SAMPLE_JSONFEED), smtp="smtp://127.0.0.1:25",
                          subscribers="email,name,tier\na@example.org,A,pro\nbad,B,free\n")
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 0, p.out + p.err)
        self.assertIn("ok    templates (built-in)", p.out)
        self.assertIn("ok    subscribers", p.out)
        self.assertIn("1 valid, 1 skipped", p.out)

    def test_check_finds_a_broken_template(self):
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "digest.html").write_text("<p>{{#days}}{{date}}</p>\n")
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"templates": "tpl"})
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertRegex(p.out, r"FAIL .*digest\.html:1: section 'days'")
        p = self.nk("render", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertIn("digest.html:1:", p.err)

    def test_template_directory_overrides_file_by_file(self):
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "digest.txt").write_text("{{#days}}{{date}}: {{#sections}}"
                                         "{{#articles}}[{{title}}]{{/articles}}"
                                         "{{/sections}}\n{{/days}}")
        cfg = self.config(str(SAMPLE_JSONFEED), digest={"templates": "tpl"})
        out = self.nk("render", config=cfg).out
        self.assertTrue(out.startswith("Friday, 20 May 2022: [Seoul investigating"), out[:80])
        html = self.nk("render", "--format", "html", config=cfg).out
        self.assertIn("<!DOCTYPE html>", html)   # still the built-in one
