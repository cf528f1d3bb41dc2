"""Real feeds from public projects (../shared/realworld, beside the
checkout). They are third-party text and are not copied into the project:
these tests skip where that folder is absent, as in a user's clone."""
import os
import re
import unittest
from pathlib import Path

from harness import REPO, NkTestCase, ini

# $NKDIGEST_REALWORLD names the folder when the checkout is elsewhere (a
# worktree).
REAL = Path(os.environ.get("NKDIGEST_REALWORLD", REPO.parent / "shared" / "realworld"))


@unittest.skipUnless(REAL.is_dir(), "../shared/realworld is not beside this checkout")
class RealWorldFeeds(NkTestCase):
    def setUp(self):
        super().setUp()
        self.cfg = self.write("rw.conf", ini({
            "digest": {"timezone": "UTC", "max_age": "0", "state": "state.db"},
            'source "rw"': {"url": "unused.json"},
        }))

    def fetch(self, name):
        return self.nk("fetch", "--source", str(REAL / name), config=self.cfg)

    def render(self, name):
        return self.nk("render", "--source", str(REAL / name), config=self.cfg)

    def test_counts_of_usable_articles(self):
        # What each feed yields now: every item kept, nothing skipped or
        # repaired (no warning at all).
        want = {
            "jsonfeed10-adriel-dev-nextjs-feed.json": 3,
            "jsonfeed10-flightschool-jsonfeed-org-feed.json": 1,
            "jsonfeed10-netnewswire-pxlnv-wordpress-plugin.json": 20,
            "wp-frontity-embedded-posts.json": 3,
            "wp-python-wp-demo-wp-api-org-posts.json": 10,
            "wp-wordpress-query-posts-posts.json": 4,
        }
        for name, n in want.items():
            p = self.fetch(name)
            self.assertEqual(p.returncode, 0, name + p.err)
            self.assertIn(f"source rw: {n} usable item{'s' if n > 1 else ''}\n", p.out, name)
            self.assertIn(f"\n{n} new article", "\n" + p.out, name)
            self.assertNotIn("warning", p.err, name)

    def test_every_link_is_absolute_https_or_http(self):
        for name in ("jsonfeed10-netnewswire-pxlnv-wordpress-plugin.json",
                     "wp-frontity-embedded-posts.json"):
            p = self.fetch(name)
            links = [l.strip() for l in p.out.splitlines() if l.startswith("   ")]
            self.assertTrue(links, name)
            for link in links:
                self.assertRegex(link, r"^https?://[^\s/]+/\S*$", name)
                self.assertNotIn("&#038;", link)

    def test_truncated_feed_is_an_error_with_its_position(self):
        p = self.fetch("jsonfeed10-netnewswire-allthis-partial-malformed.json")
        self.assertEqual(p.returncode, 65)
        self.assertRegex(p.err, r"allthis-partial-malformed\.json: not valid JSON: "
                                r"parse error at line \d+, column \d+")

    def test_items_without_links_or_dates_are_named_and_skipped(self):
        # Titles and dates could be made up (from the text, from when the
        # item was first seen); a link cannot: every item is reported, and
        # the error itself gives each reason.
        p = self.fetch("jsonfeed11-netnewswire-authors.json")
        self.assertEqual(p.returncode, 65)
        self.assertIn("item 4 (id Item with both): no link (url); skipped", p.err)
        self.assertEqual(p.err.count("no link (url); skipped"), 4)
        self.assertIn("none of its 4 items is usable: item 1 (id Item without authors): "
                      "no link (url); item 2 (id Item with legacy author): no link (url); "
                      "item 3 (id Item with modern authors): no link (url); "
                      "item 4 (id Item with both): no link (url)", p.err)
        self.assertNotIn("no usable date", p.err)

    def test_entity_encoded_titles_are_decoded(self):
        p = self.fetch("jsonfeed10-netnewswire-pxlnv-wordpress-plugin.json")
        self.assertIn("Releasing ‘Jokes’ It Wrote About Ajit Pai", p.out)
        self.assertNotIn("&#8216;", p.out)
        self.assertNotIn("&#038;", p.out)

    def test_jsonfeed_1_0_author_and_modified_dates(self):
        out = self.render("jsonfeed10-flightschool-jsonfeed-org-feed.json").out
        self.assertIn("Announcing JSON Feed", out)
        self.assertIn("15:02 UTC", out)   # 2017-05-17T08:02:12-07:00
        self.assertRegex(out, r"Brent Simmons and Manton Reece|Manton Reece")
        p = self.render("jsonfeed10-adriel-dev-nextjs-feed.json")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("Hello, World!", p.out)

    def test_wordpress_without_titles_or_embeds(self):
        p = self.render("wp-python-wp-demo-wp-api-org-posts.json")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("This is a test post!", p.out)
        # Status posts have an empty title: their text gives them one.
        self.assertIn("\nThis is a status\n", p.out)
        self.assertEqual(p.out.count("https://demo.wp-api.org/"), 10)
        self.assertNotIn("&#8230;", p.out)

    def test_wordpress_embedded_authors_and_dst_offsets(self):
        out = self.render("wp-frontity-embedded-posts.json").out
        self.assertIn("Hello world!", out)
        self.assertRegex(out, r"\n  \w[^\n]*, 11:46 UTC\n")   # _embedded author
        out = self.render("wp-wordpress-query-posts-posts.json").out
        # date_gmt is UTC; date is the site's local time four or five hours
        # behind across daylight saving: the digest uses date_gmt.
        self.assertIn("21:55 UTC", out)
        self.assertIn("18:19 UTC", out)
