"""The digest's form: subject and preheader, greeting, plurals, the lead
and the days, the free tier's upgrade call, phone, dark mode and Outlook,
the footer, languages, the HTML size budget, and the shape of every
message (emlcheck). Feeds come over real HTTP, mail through aiosmtpd; the
HTML is parsed and its structure checked."""
import json
import re

import emlcheck
from digestshape import (Shape, contrast, eml_parts, make_feed, px_box, strip_style,
                         broken_inside_words, unstyled_in_dark)
from harness import NkTestCase, SAMPLE_JSONFEED, parse_message

FEED = json.loads(SAMPLE_JSONFEED.read_text())
ITEMS = FEED["items"]
LEAD = ITEMS[0]
PRO = [i for i in ITEMS if "NK PRO" in i["tags"]]
REST_DAYS = ["Friday, 20 May 2022", "Thursday, 19 May 2022", "Wednesday, 18 May 2022"]

FOOTER = {"organisation": "NK News", "address": "1 Example Street, Seoul 04523",
          "reason": "You signed up at nknews.org.",
          "preferences_url": "https://www.nknews.org/prefs?t={{token}}"}
ARCHIVE = {"url": "https://www.nknews.org/digest"}


class FormatCase(NkTestCase):
    def setUp(self):
        super().setUp()
        self.http = self.feed_server()
        self.url = self.http.serve("/feed.json", SAMPLE_JSONFEED.read_bytes())
        self.n = 0

    def conf(self, feed=None, digest=None, extra=None, **kw):
        """A config for feed (bytes; default the sample) with extra sections."""
        self.n += 1
        url = self.http.serve(f"/f{self.n}.json", feed) if feed is not None else self.url
        cfg = self.config(url, digest=digest, name=f"c{self.n}.conf", **kw)
        if extra:
            with open(cfg, "a") as f:
                for section, keys in extra.items():
                    f.write(f"\n[{section}]\n")
                    for k, v in keys.items():
                        f.write(f"{k} = {v}\n")
        return cfg

    def render(self, cfg, tier="pro", fmt="html"):
        p = self.nk("render", "--tier", tier, "--format", fmt, config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        return p.stdout if fmt == "eml" else p.out

    def eml(self, cfg, tier="pro"):
        raw = self.render(cfg, tier, "eml")
        self.assertEqual(emlcheck.check(raw), [], "the message is malformed")
        return raw, parse_message(raw)


class SubjectAndPreheader(FormatCase):
    def test_subject_is_the_top_story_cut_on_a_word_within_60(self):
        raw, m = self.eml(self.conf(), "free")
        subject = m["Subject"]
        self.assertEqual(subject, "North Korea making ‘progress’ in COVID-19 fight but… +9 more")
        self.assertLessEqual(len(subject), 60)
        head = subject.split("…")[0]
        self.assertTrue(LEAD["title"].startswith(head))
        self.assertEqual(LEAD["title"][len(head)], " ")   # cut between words
        self.assertNotIn("NK News Daily Digest", subject)  # the brand is in From

    def test_short_headline_is_whole_and_subject_max_is_configurable(self):
        one = json.loads(make_feed(1, pro_every=0))
        one["items"][0]["title"] = "Summit in Seoul"
        _, m = self.eml(self.conf(json.dumps(one)))
        self.assertEqual(m["Subject"], "Summit in Seoul")
        _, m = self.eml(self.conf(digest={"subject_max": "30"}))
        self.assertLessEqual(len(m["Subject"]), 30)
        self.assertTrue(m["Subject"].endswith("… +9 more"), m["Subject"])

    def test_preheader_is_the_next_headlines_and_padded(self):
        cfg = self.conf()
        html = self.render(cfg, "free")
        _, m = self.eml(cfg, "free")
        pre = Shape(html).preheader
        text = pre.strip("\u034f\u200c\u00a0 ")
        self.assertTrue(text.startswith(ITEMS[2]["title"]), text)   # the next readable one
        self.assertNotIn(LEAD["title"], text)
        self.assertNotEqual(text, m["Subject"])
        # Padding after it, so that no body text joins the inbox preview.
        self.assertGreaterEqual(pre.count("\u034f"), 40)
        self.assertIn("display:none", html[:html.index("Top story")])

    def test_editors_line_is_the_preheader(self):
        html = self.render(self.conf(digest={"preheader": "Our pick: the summit, explained"}))
        self.assertTrue(Shape(html).preheader.startswith("Our pick: the summit, explained"))


SUBSCRIBERS = """email,name,tier
jane@example.org,"Doe, Jane",free
nameless@example.org,,free
junior@example.org,"Smith, Jr.",pro
long@example.org,{long},pro
""".format(long="Maximiliane Alexandrina Featherstonehaugh-Cholmondeley "
                "von und zu Liechtenstein-Hohenzollern")


class Greeting(FormatCase):
    def send(self, digest=None):
        smtp = self.smtp_server()
        # A state file of its own: each send is a first edition.
        cfg = self.conf(smtp=smtp.url(), subscribers=SUBSCRIBERS,
                        digest={"state": f"s{self.n}.db", **(digest or {})})
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        out = {}
        for r in smtp.received:
            self.assertEqual(emlcheck.check(r.data), [], r.rcpt_tos)
            out[r.rcpt_tos[0]] = eml_parts(r.msg)
        return out, p

    def test_greeting_reads_right_for_every_kind_of_name(self):
        got, p = self.send()
        self.assertIn("\r\nHello Jane Doe,\r\n", got["jane@example.org"]["text/plain"])
        self.assertIn(">Hello Jane Doe,</p>", got["jane@example.org"]["text/html"])
        self.assertIn("\r\nHello,\r\n", got["nameless@example.org"]["text/plain"])
        self.assertNotIn("Hello reader", got["nameless@example.org"]["text/plain"])
        self.assertIn("Hello Smith, Jr.,", got["junior@example.org"]["text/plain"])
        for parts in got.values():
            # The greeting is its own sentence; the next starts a new one.
            self.assertIn("\r\n\r\nHere is what we published", parts["text/plain"])
        # Command output counts in words that agree with the number.
        self.assertIn("edition 1: 10 articles for 4 subscribers", p.err)

    def test_a_long_name_wraps_with_its_line(self):
        got, _ = self.send()
        text = got["long@example.org"]["text/plain"]
        for line in text.split("\r\n"):
            if len(line) > 72:
                self.assertNotIn(" ", line.strip(), "an over-long line that could break")
        self.assertIn("Featherstonehaugh-Cholmondeley", text)

    def test_greeting_words_come_from_the_config_or_the_language(self):
        got, _ = self.send(digest={"greeting": "Dear {{name}},",
                                   "greeting_anonymous": "Dear reader,"})
        self.assertIn("\r\nDear Jane Doe,\r\n", got["jane@example.org"]["text/plain"])
        self.assertIn("\r\nDear reader,\r\n", got["nameless@example.org"]["text/plain"])
        got, _ = self.send(digest={"lang": "ko"})
        self.assertIn("Jane Doe님, 안녕하세요.", got["jane@example.org"]["text/plain"])
        self.assertIn("\r\n안녕하세요.\r\n", got["nameless@example.org"]["text/plain"])


class Plurals(FormatCase):
    def test_one_of_each_is_singular_in_text_and_html(self):
        feed = make_feed(2, pro_every=2)     # one free article, one pro
        cfg = self.conf(feed)
        for fmt in ("text", "html"):
            free = self.render(cfg, "free", fmt)
            flat = re.sub(r"<[^>]+>", "", free)
            self.assertIn("1 article · 1 NK PRO preview", flat)
            self.assertNotIn("1 articles", flat)
            self.assertNotIn("1 NK PRO previews", flat)
            self.assertIn("2 articles", re.sub(r"<[^>]+>", "", self.render(cfg, "pro", fmt)))

    def test_commands_say_one_article_and_one_subscriber(self):
        smtp = self.smtp_server()
        cfg = self.conf(make_feed(1, pro_every=0), smtp=smtp.url(),
                        subscribers="email,name,tier\na@example.org,A,pro\n")
        p = self.nk("send", "--dry-run", config=cfg)
        self.assertIn("dry run: 1 article, 1 message, nothing sent", p.err)
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("edition 1: 1 article for 1 subscriber", p.err)


class Layout(FormatCase):
    def test_lead_then_a_heading_per_day_and_one_link_per_article(self):
        html = self.render(self.conf(extra={"footer": FOOTER, "archive": ARCHIVE}))
        s = Shape(html)
        self.assertEqual(s.h("h2"), REST_DAYS)
        # The lead's headline comes before the first day.
        first_h4 = s.h("h4")[0]
        self.assertEqual(first_h4, LEAD["title"])
        hrefs = s.hrefs()
        for item in ITEMS:
            self.assertEqual(hrefs.count(item["url"]), 1, item["url"])
        self.assertEqual(len(s.h("h4")), len(ITEMS))
        # Section headings only on the one day with two sections.
        self.assertEqual(s.h("h3"), ["News", "NK PRO"])
        day20 = html[html.index(REST_DAYS[0]):html.index(REST_DAYS[1])]
        self.assertIn(">News</h3>", day20)
        self.assertIn(">NK PRO</h3>", day20)

    def test_free_tier_one_lock_label_per_teaser_and_one_button(self):
        cfg = self.conf(extra={'tier "pro"': {
            "upgrade_url": "https://www.nknews.org/pro/join?next={{url}}",
            "campaign": "utm_source=digest&utm_medium=email",
            "benefit": "Every analysis and data set, in full.",
            "button": "Join NK PRO"}})
        html = self.render(cfg, "free")
        s = Shape(html)
        self.assertEqual(s.h("h2"), REST_DAYS + ["Also in NK PRO"])
        self.assertEqual(s.h("h3"), [])      # one readable section a day: no heading
        # Each teaser: its own headline, one lock label, a link that takes
        # the article along to the upgrade page with the campaign.
        for item in PRO:
            start = html.index(item["title"])
            nxt = html.find("<h4", start)
            block = html[start:nxt if nxt > 0 else html.index("Join NK PRO")]
            self.assertEqual(block.count("NK PRO"), 1, block)
            self.assertIn("&#128274;", block)   # the lock
            enc = item["url"].replace(":", "%3A").replace("/", "%2F")
            self.assertIn(f"https://www.nknews.org/pro/join?next={enc}&amp;"
                          "utm_source=digest&amp;utm_medium=email", html)
        buttons = [link for link in s.links if "btn" in link[3]]
        self.assertEqual(len(buttons), 1)
        href, text, _, _ = buttons[0]
        self.assertEqual(text, "Join NK PRO")
        self.assertEqual(href, "https://www.nknews.org/pro/join?next="
                               "&utm_source=digest&utm_medium=email")
        self.assertGreater(html.index("Join NK PRO"), max(html.index(i["title"]) for i in PRO))
        self.assertLess(html.index("Every analysis and data set, in full."),
                        html.index("Join NK PRO"))
        # Readers see how many they can read and how many are previews.
        self.assertIn("8 articles</span> · <span style=\"white-space:nowrap;\">"
                      "2 NK PRO previews", html)

    def test_pro_articles_are_marked_in_text_as_in_html(self):
        # A PRO lead stands under no heading: both parts mark it.
        cfg = self.conf(digest={"lead_tag": "NK PRO"})
        html, text = self.render(cfg), self.render(cfg, fmt="text")
        lead = PRO[0]
        self.assertEqual(Shape(html).h("h4")[0], lead["title"])
        self.assertRegex(html, re.escape(lead["title"]) + r"</a></h4>\n(?s:.)*?>NK PRO</span>")
        self.assertIn(lead["title"] + " [NK PRO]", re.sub(r"\s+", " ", text))
        # The other one is under the day's "NK PRO" heading in both.
        other = PRO[1]
        self.assertNotIn(other["title"] + " [NK PRO]", re.sub(r"\s+", " ", text))
        day20 = text[text.index(REST_DAYS[0]):]
        self.assertLess(day20.index("\nNK PRO\n"), day20.index(other["title"][:40]))


class PhoneDarkOutlook(FormatCase):
    def setUp(self):
        super().setUp()
        self.html = self.render(self.conf(extra={"footer": FOOTER, "archive": ARCHIVE}), "free")
        self.shape = Shape(self.html)

    def card(self):
        return next(st for tag, a, st in self.shape.elements if "card" in a.get("class", ""))

    def test_phone_padding_long_words_and_tap_targets(self):
        st = self.card()
        self.assertEqual(st["max-width"], "600px")
        self.assertEqual(st["overflow-wrap"], "anywhere")
        blocks = [st for tag, a, st in self.shape.elements if "px" in a.get("class", "").split()]
        self.assertGreater(len(blocks), 5)
        for st in blocks:
            _, right, _, left = px_box(st["padding"])
            self.assertTrue(16 <= left <= 20 and 16 <= right <= 20, st)
        # The outer frame adds nothing at the sides.
        outer = next(st for tag, a, st in self.shape.elements if a.get("role") == "article")
        self.assertEqual(px_box(outer["padding"])[1], 0)
        # Every link is a block or inline-block 44 px tall or more: its
        # padding plus one line of its text.
        for href, text, st, cls in self.shape.links:
            self.assertIn(st.get("display"), ("block", "inline-block"), href)
            top, _, bottom, _ = px_box(st["padding"])
            line = 20 if "btn" in cls else 24.7 if "t" in cls else 13 * 1.6
            self.assertGreaterEqual(top + bottom + line, 44, (href, st))

    def test_dark_palette_in_style_and_light_colours_inline(self):
        css = "".join(self.shape.style_blocks)
        self.assertIn("@media (prefers-color-scheme:dark)", css)
        self.assertIn("color-scheme:light dark", css)
        self.assertIn('<meta name="color-scheme" content="light dark">', self.html)
        # Where <style> is stripped, the inline colours alone are a light,
        # readable page: a background and a text colour on the card, a
        # colour on every link.
        bare = Shape(strip_style(self.html))
        self.assertEqual(bare.style_blocks, [])
        st = next(st for tag, a, st in bare.elements if "card" in a.get("class", ""))
        self.assertEqual((st["background"], st["color"]), ("#ffffff", "#1a1a1a"))
        for href, _, st, _ in bare.links:
            self.assertIn("color", st, href)
        # Every class the dark palette styles is used in a page of one
        # tier or the other (section headings are only in pro's).
        pro = Shape(self.render(self.conf(extra={"footer": FOOTER, "archive": ARCHIVE}), "pro"))
        for cls in set(re.findall(r"\.([a-z]+)\b", css.split("prefers-color-scheme")[1])):
            self.assertTrue(any(cls in a.get("class", "").split()
                                for _, a, _ in self.shape.elements + pro.elements), cls)

    def test_every_inline_text_colour_has_a_dark_one(self):
        # An inline colour chosen for the white card stays in dark mode
        # unless a rule of the dark palette replaces it: the free
        # section's heading was #1a1a1a on #1c1c1c. Both tiers, with
        # section headings (pro) and the teasers' box (free).
        pro = self.render(self.conf(extra={"footer": FOOTER, "archive": ARCHIVE}), "pro")
        self.assertIn(">News</h3>", pro)
        for tier, page in (("free", self.html), ("pro", pro)):
            self.assertEqual(unstyled_in_dark(page), [], tier)

    def test_outlook_gets_a_fixed_width_table(self):
        opened = [c for c in self.shape.comments if c.startswith("[if mso]><table")]
        self.assertEqual(len(opened), 1)
        self.assertIn('width="600"', opened[0])
        self.assertIn("[if mso]></td></tr></table><![endif]", self.shape.comments)

    def test_footer_from_config_at_aa_contrast(self):
        html = self.html
        foot = html[html.index("You signed up at nknews.org."):]
        self.assertIn("This copy was sent to reader@example.invalid.", foot)
        self.assertIn('href="https://www.nknews.org/digest/edition-1.html"', foot)
        self.assertIn(">View online<", foot)
        self.assertIn('href="https://www.nknews.org/prefs?t=', foot)
        self.assertIn(">Manage preferences<", foot)
        self.assertIn(">Unsubscribe<", foot)
        self.assertIn("NK News, 1 Example Street, Seoul 04523", foot)
        # Every text colour against its background: AA is 4.5:1. Inline
        # (light) ones on the white card or the teasers' tinted box; the
        # dark palette's on the dark card.
        colours = {st["color"] for _, _, st in self.shape.elements if "color" in st}
        for c in colours - {"#ffffff"}:
            for bg in ("#ffffff", "#f7f0f1"):
                self.assertGreaterEqual(contrast(c, bg), 4.5, (c, bg))
        dark = "".join(self.shape.style_blocks).split("prefers-color-scheme:dark")[1]
        for c in set(re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", dark)) - {"#ffffff", "#1c1c1c"}:
            for bg in ("#1c1c1c", "#2b1c1f"):
                self.assertGreaterEqual(contrast(c, bg), 4.5, (c, bg))
        self.assertGreaterEqual(contrast("#ffffff", "#b3001b"), 4.5)   # the button
        self.assertGreaterEqual(contrast("#ffffff", "#d12c44"), 4.5)
        # The text part has the same footer.
        text = self.render(self.conf(extra={"footer": FOOTER, "archive": ARCHIVE}), "free",
                           "text")
        flat = re.sub(r"\s+", " ", text)
        for want in ("You signed up at nknews.org.", "View online: https://www.nknews.org/"
                     "digest/edition-1.html", "Manage preferences: https://www.nknews.org/"
                     "prefs?t=", "Unsubscribe: https://", "NK News, 1 Example Street"):
            self.assertIn(want, flat)


KO_FEED = make_feed(12, korean=True)


class Languages(FormatCase):
    def test_lang_defaults_to_english(self):
        html = self.render(self.conf())
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertIn('<html lang="en"', html)
        self.assertNotIn("keep-all", html)

    def test_korean_breaks_between_words_only(self):
        cfg = self.conf(KO_FEED, digest={"lang": "ko", "text_width": "40"})
        html = self.render(cfg)
        self.assertIn('<html lang="ko"', html)
        card = next(st for _, a, st in Shape(html).elements if "card" in a.get("class", ""))
        self.assertEqual(card["word-break"], "keep-all")
        text = self.render(cfg, fmt="text")
        items = json.loads(KO_FEED)["items"]
        sources = [i["summary"] for i in items] + [i["title"] for i in items]
        self.assertGreater(sum(1 for l in text.splitlines() if "다" in l), 10)
        self.assertEqual(broken_inside_words(text, sources), [])
        for line in text.splitlines():
            if "://" not in line:
                self.assertLessEqual(sum(2 if "\uac00" <= ch <= "\ud7a3" else 1
                                         for ch in line), 40, line)
        # English wraps as before: the same feed without lang = ko splits
        # words (UAX #14 allows it between syllables), which is the point.
        plain = self.render(self.conf(KO_FEED, digest={"text_width": "40"}), fmt="text")
        self.assertNotEqual(broken_inside_words(plain, sources), [])

    def test_mostly_korean_part_is_base64_english_quoted_printable(self):
        raw, m = self.eml(self.conf(KO_FEED, digest={"lang": "ko"}))
        ctes = [p["Content-Transfer-Encoding"] for p in m.walk() if not p.is_multipart()]
        self.assertEqual(ctes[0], "base64")
        raw, m = self.eml(self.conf())
        ctes = [p["Content-Transfer-Encoding"] for p in m.walk() if not p.is_multipart()]
        self.assertEqual(ctes, ["quoted-printable", "quoted-printable"])


class SizeBudget(FormatCase):
    def shape_of(self, n, tier="pro", digest=None):
        cfg = self.conf(make_feed(n), digest={"max_articles": "1000", **(digest or {})},
                        extra={"footer": FOOTER, "archive": ARCHIVE})
        raw, m = self.eml(cfg, tier)
        html = eml_parts(m)["text/html"]
        return raw, html, Shape(html)

    def check_complete_footer(self, html, s):
        self.assertTrue(html.rstrip().endswith("</html>"))
        self.assertIn(">Unsubscribe<", html)
        self.assertTrue(any(h.startswith("https://example.org/unsubscribe?t=")
                            for h in s.hrefs()))
        self.assertIn("NK News, 1 Example Street", html)

    def article_links(self, s):
        return [h for h in s.hrefs() if h.startswith("https://news.example/")]

    def sizes(self, raw, html):
        sent = emlcheck.part_sizes(raw)
        return (f"HTML part {len(html.encode())} bytes ({sent['text/html']} as sent), "
                f"text part {sent['text/plain']} as sent, message {len(raw)} bytes")

    def test_sixty_articles_fit_whole(self):
        raw, html, s = self.shape_of(60)
        links = self.article_links(s)
        self.assertEqual(len(links), 60)
        self.assertEqual(len(set(links)), 60)
        self.assertNotIn("more articles on the site", html)
        self.assertLessEqual(emlcheck.part_sizes(raw)["text/html"], 90 * 1024)
        self.check_complete_footer(html, s)
        print(f"# 60 articles: {self.sizes(raw, html)}")

    def test_two_hundred_articles_are_cut_to_the_budget(self):
        for tier in ("pro", "free"):
            raw, html, s = self.shape_of(200, tier)
            # Within the budget as it travels, encoded: what Gmail counts.
            self.assertLessEqual(emlcheck.part_sizes(raw)["text/html"], 90 * 1024)
            links = self.article_links(s)
            self.assertEqual(len(links), len(set(links)))    # one link per article
            self.assertGreater(len(links), 60)
            m = re.search(r"(\d+) more articles on the site", html)
            self.assertIsNotNone(m)
            self.assertEqual(int(m.group(1)), 200 - len(links))
            self.assertIn('href="https://www.nknews.org/digest/edition-1.html"',
                          html[html.index(m.group(0)) - 300:])
            # A heading for each day that still has an article, in order.
            self.assertEqual(len(s.h("h2")), len(set(s.h("h2"))))
            self.check_complete_footer(html, s)
            print(f"# 200 articles ({tier}): {len(links)} shown, {self.sizes(raw, html)}")

    def test_budget_is_configurable_and_zero_means_none(self):
        raw, html, s = self.shape_of(200, digest={"html_budget": "40k"})
        self.assertLessEqual(emlcheck.part_sizes(raw)["text/html"], 40 * 1024)
        small = len(self.article_links(s))
        self.check_complete_footer(html, s)
        _, html, s = self.shape_of(200, digest={"html_budget": "0"})
        self.assertEqual(len(self.article_links(s)), 200)
        self.assertGreater(len(html.encode()), 90 * 1024)
        self.assertLess(small, 100)


class MessageShape(FormatCase):
    def test_every_variant_passes_the_checker(self):
        for cfg in (self.conf(), self.conf(KO_FEED, digest={"lang": "ko"}),
                    self.conf(make_feed(200), digest={"max_articles": "500"})):
            for tier in ("free", "pro"):
                self.eml(cfg, tier)

    def test_the_checker_finds_what_is_wrong(self):
        raw = self.render(self.conf(), "pro", "eml")
        self.assertEqual(emlcheck.check(raw), [])
        head, _, body = raw.partition(b"\r\n\r\n")
        bad = {
            "header subject appears 2 times": head + b"\r\nSubject: again\r\n\r\n" + body,
            "not CRLF": raw.replace(b"\r\n", b"\n", 3),
            "header line of": head.replace(b"Subject: ", b"Subject: " + b"word " * 20) +
                              b"\r\n\r\n" + body,
            "quoted-printable line of": raw.replace(b"=\r\n", b"", 5),
            "charset is not utf-8": raw.replace(b'charset="utf-8"', b'charset="latin1"', 1),
            "header list-unsubscribe is missing": raw.replace(b"List-Unsubscribe:", b"X-No:"),
        }
        for want, msg in bad.items():
            problems = emlcheck.check(msg)
            self.assertTrue(any(want in p for p in problems), (want, problems))


class TemplatesAndStrictCheck(FormatCase):
    def test_a_partial_in_the_templates_directory_overrides_the_built_in(self):
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "footer.html").write_text('<p id="own-footer">{{title}} · '
                                          '<a href="{{unsubscribe_url}}">leave</a></p>\n')
        html = self.render(self.conf(digest={"templates": "tpl"}))
        self.assertIn('<p id="own-footer">NK News Daily Digest · <a href="https://', html)
        self.assertNotIn("Manage preferences", html)
        self.assertIn(LEAD["title"], html)      # digest.html is still the built-in one

    def test_check_reports_unknown_names_with_file_and_line(self):
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "digest.txt").write_text("{{title}}\n{{unknownvar}}\n{{#lead}}{{title}}{{/lead}}"
                                         "\n{{#days}}{{#sectoins}}x{{/sectoins}}{{/days}}\n"
                                         "{{#locked}}{{> article}}{{/locked}}\n")
        (tdir / "article.txt").write_text("{{title}}\n{{autors}}\n")
        cfg = self.conf(digest={"templates": "tpl"})
        p = self.nk("check", "--offline", config=cfg)
        self.assertEqual(p.returncode, 78, p.out)
        self.assertIn("FAIL  template " + str(tdir / "digest.txt") +
                      ":2: unknown variable 'unknownvar'", p.out)
        self.assertIn(str(tdir / "digest.txt") + ":4: unknown section 'sectoins'", p.out)
        self.assertIn(str(tdir / "article.txt") + ":2: unknown variable 'autors'", p.out)
        # The built-in templates pass.
        p = self.nk("check", "--offline", config=self.conf())
        self.assertIn("ok    templates (built-in)", p.out)

    def test_check_says_when_a_template_would_lose_articles(self):
        tdir = self.dir / "tpl"
        tdir.mkdir()
        (tdir / "digest.html").write_text("{{#days}}{{date}}{{/days}}\n")
        p = self.nk("check", "--offline", config=self.conf(digest={"templates": "tpl"}))
        self.assertEqual(p.returncode, 78)
        self.assertIn("digest.html:1: lists the days but never shows 'lead'", p.out)
        self.assertIn("digest.html:1: lists the days but never shows 'locked'", p.out)
