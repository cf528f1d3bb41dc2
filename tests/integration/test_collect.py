"""Collecting against servers that misbehave (faulty_http.py): retries with
backoff and Retry-After, conditional GET, slow, cut-off, looping, oversized
and HTML answers, https never falling back to http, several sources of
which one is down. And feed text as readers see it: broken escapes, HTML in
JSON Feed titles, upper-case link schemes, bidi controls, undated items."""
import gzip
import json
import sqlite3
import time
from email.utils import formatdate

from faulty_http import FaultyHttp, Reply
from harness import (NkTestCase, SAMPLE_JSONFEED, SAMPLE_WORDPRESS, free_port, ini,
                     make_ca, server_tls_context)

ITEMS = json.loads(SAMPLE_JSONFEED.read_text())["items"]
FEED = SAMPLE_JSONFEED.read_bytes()
SUBS = "email,name,tier\na@example.org,A,pro\nb@example.org,B,free\n"


def feed_with(items):
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T",
                       "items": items})


class Collect(NkTestCase):
    def setUp(self):
        super().setUp()
        self.srv = FaultyHttp()
        self._servers.append(self.srv)

    def conf(self, url, name="nkdigest.conf", smtp=None, **source):
        src = {"retries": "2", "retry_wait": "0", **source}
        return self.config(url, smtp=smtp, subscribers=SUBS if smtp else None,
                           source=src, name=name)

    def fetch(self, url, **source):
        return self.nk("fetch", config=self.conf(url, **source))

    def bodies(self, smtp):
        return [r.msg.get_body(("plain",)).get_content() for r in smtp.received]


class Retries(Collect):
    def test_503_then_200_is_fetched_on_the_second_try(self):
        url = self.srv.script("/f", Reply(503, "busy", "text/plain"), Reply(body=FEED))
        p = self.fetch(url, retry_wait="1")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)
        self.assertIn("after retrying", p.out)
        self.assertIn("HTTP 503; trying again in 1 s (attempt 2 of 3)", p.err)
        hits = self.srv.hits("/f")
        self.assertEqual(len(hits), 2)
        self.assertGreaterEqual(hits[1].at - hits[0].at, 0.9)

    def test_a_source_that_stays_down_gets_a_bounded_number_of_tries(self):
        url = self.srv.script("/f", Reply(503, "busy", "text/plain"))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 69)
        self.assertIn(f"{url}: server answered HTTP 503 (3 attempts)", p.err)
        self.assertEqual(len(self.srv.hits("/f")), 3)
        self.assertEqual(p.out, "")

    def test_429_retry_after_in_seconds_is_honoured(self):
        url = self.srv.script("/f", Reply(429, "slow down", "text/plain", retry_after="2"),
                              Reply(body=FEED))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("HTTP 429; trying again in 2 s", p.err)
        hits = self.srv.hits("/f")
        self.assertGreaterEqual(hits[1].at - hits[0].at, 1.9)

    def test_429_retry_after_as_an_http_date_is_honoured(self):
        when = formatdate(time.time() + 3, usegmt=True)
        url = self.srv.script("/f", Reply(429, "slow down", "text/plain", retry_after=when),
                              Reply(body=FEED))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.err, r"HTTP 429; trying again in [1-3] s")
        hits = self.srv.hits("/f")
        self.assertGreaterEqual(hits[1].at - hits[0].at, 0.9)

    def test_retry_after_beyond_retry_for_gives_up_at_once(self):
        url = self.srv.script("/f", Reply(503, "later", "text/plain", retry_after="3600"))
        p = self.fetch(url, retry_for="2m")
        self.assertEqual(p.returncode, 69)
        self.assertIn("the server asks to wait 3600 s (Retry-After), which would end "
                      "past retry_for (120 s)", p.err)
        self.assertEqual(len(self.srv.hits("/f")), 1)

    def test_retries_zero_means_one_try(self):
        url = self.srv.script("/f", Reply(500, "broken", "text/plain"), Reply(body=FEED))
        p = self.fetch(url, retries="0")
        self.assertEqual(p.returncode, 69)
        self.assertIn("HTTP 500", p.err)
        self.assertEqual(len(self.srv.hits("/f")), 1)

    def test_a_404_is_not_retried(self):
        url = self.srv.script("/f", Reply(404, "no such feed", "text/plain"))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 69)
        self.assertIn("HTTP 404", p.err)
        self.assertEqual(len(self.srv.hits("/f")), 1)

    def test_connection_refused_is_retried_then_reported(self):
        url = f"http://127.0.0.1:{free_port()}/feed.json"
        p = self.fetch(url)
        self.assertEqual(p.returncode, 69)
        self.assertIn(url, p.err)
        self.assertIn("(3 attempts)", p.err)
        self.assertEqual(p.err.count("trying again"), 2)


class Faults(Collect):
    def test_a_body_slower_than_the_timeout_is_cut_off_in_bounded_time(self):
        url = self.srv.script("/f", Reply(body=FEED, slow=30))
        t0 = time.monotonic()
        p = self.fetch(url, timeout="1", retries="1")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 69)
        self.assertRegex(p.err, r"timed out .*\(timeout\) \(2 attempts\)")
        self.assertLess(took, 20)   # two 1 s attempts, not the 30 s trickle
        self.assertEqual(len(self.srv.hits("/f")), 2)

    def test_a_slow_body_then_a_quick_one(self):
        url = self.srv.script("/f", Reply(body=FEED, slow=30), Reply(body=FEED))
        p = self.fetch(url, timeout="1")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)

    def test_a_truncated_body_is_retried_and_never_parsed(self):
        url = self.srv.script("/f", Reply(body=FEED, cut=500), Reply(body=FEED))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertRegex(p.err, r"transfer closed with 500 bytes remaining.*trying again")
        self.assertIn("10 new articles", p.out)
        url = self.srv.script("/g", Reply(body=FEED, cut=500))
        p = self.fetch(url, retries="1")
        self.assertEqual(p.returncode, 69)
        self.assertNotIn("not valid JSON", p.err)

    def test_a_redirect_loop_stops_after_five(self):
        url = self.srv.script("/loop", Reply(302, location="/loop"))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 69)
        self.assertIn("more than 5 redirects (a redirect loop?)", p.err)
        self.assertEqual(len(self.srv.hits("/loop")), 6)

    def test_an_oversized_body_is_refused(self):
        big = feed_with([dict(ITEMS[0], summary="x" * 20000)])
        url = self.srv.script("/f", Reply(body=big))
        p = self.fetch(url, max_bytes="4096")
        self.assertEqual(p.returncode, 65)
        self.assertIn("larger than max_bytes (4096 bytes)", p.err)
        self.assertEqual(len(self.srv.hits("/f")), 1)

    def test_the_size_cap_counts_decoded_bytes(self):
        # 200 KB of JSON that travels as about 1 KB of gzip.
        big = feed_with([dict(ITEMS[0], summary="x" * 200000)])
        url = self.srv.script("/f", Reply(body=big, gzip=True))
        p = self.fetch(url, max_bytes="65536")
        self.assertEqual(p.returncode, 65)
        self.assertIn("larger than max_bytes", p.err)

    def test_gzip_and_user_agent(self):
        url = self.srv.script("/f", Reply(body=FEED, gzip=True))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)
        req = self.srv.hits("/f")[0]
        self.assertRegex(req.header("User-Agent"), r"^nkdigest/\d")
        self.assertIn("gzip", req.header("Accept-Encoding"))

    def test_an_html_error_page_with_status_200_is_not_a_feed(self):
        url = self.srv.script("/f", Reply(body="<!DOCTYPE html><html><body><h1>We'll be "
                                          "right back</h1></body></html>", ctype="text/html"))
        p = self.fetch(url)
        self.assertEqual(p.returncode, 65)
        self.assertIn(f"{url}: not a feed but an HTML page", p.err)
        self.assertEqual(p.out, "")


class ConditionalGet(Collect):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()

    def test_304_after_an_etag_reuses_the_stored_feed(self):
        url = self.srv.script("/f", Reply(body=FEED, etag='"v1"'))
        cfg = self.conf(url, smtp=self.smtp.url())
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIsNone(self.srv.hits("/f")[0].header("If-None-Match"))
        db = sqlite3.connect(self.dir / "state.db")
        etag, body = db.execute("SELECT etag, body FROM feed_cache WHERE url = ?",
                                (url,)).fetchone()
        self.assertEqual((etag, bytes(body)), ('"v1"', FEED))

        p = self.nk("fetch", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("source nknews: 10 usable items, unchanged since the last send "
                      "(HTTP 304)", p.out)
        self.assertIn("0 new articles", p.out)
        self.assertEqual(self.srv.hits("/f")[1].header("If-None-Match"), '"v1"')

        p = self.nk("check", config=cfg)
        self.assertIn("10 usable items, unchanged since the last send (HTTP 304)", p.out)

        # The stored copy serves a send as well: nothing new, nothing sent.
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("nothing new", p.err)
        self.assertEqual(len(self.smtp.received), 2)

    def test_a_changed_feed_replaces_the_stored_copy(self):
        first = feed_with(ITEMS[:3])
        url = self.srv.script("/f", Reply(body=first, last_modified="Sat, 21 May 2022 01:00:00 GMT"))
        cfg = self.conf(url, smtp=self.smtp.url())
        self.assertEqual(self.nk("send", config=cfg).returncode, 0)
        self.srv.script("/f", Reply(body=FEED, last_modified="Sun, 22 May 2022 01:00:00 GMT"))
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(self.srv.hits("/f")[1].header("If-Modified-Since"),
                         "Sat, 21 May 2022 01:00:00 GMT")
        self.assertIn("edition 2: 7 articles", p.err)
        db = sqlite3.connect(self.dir / "state.db")
        lm, = db.execute("SELECT last_modified FROM feed_cache").fetchone()
        self.assertEqual(lm, "Sun, 22 May 2022 01:00:00 GMT")

    def test_a_bad_document_is_not_stored(self):
        url = self.srv.script("/f", Reply(body="{not json", etag='"bad"'))
        cfg = self.conf(url, smtp=self.smtp.url())
        self.assertEqual(self.nk("send", config=cfg).returncode, 65)
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT count(*) FROM feed_cache").fetchone()[0], 0)


class SeveralSources(Collect):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()
        self.a = self.srv.script("/a", Reply(body=feed_with(ITEMS[:5])))
        self.b = self.srv.script("/b", Reply(503, "down", "text/plain"))

    def two(self, b_extra=None):
        sections = {
            "digest": {"timezone": "Asia/Seoul", "max_age": "0", "state": "state.db"},
            'source "alpha"': {"url": self.a, "retries": "0"},
            'source "beta"': {"url": self.b, "retries": "1", "retry_wait": "0",
                              **(b_extra or {})},
            "smtp": {"url": self.smtp.url(), "tls": "none", "retries": "0",
                     "from": "Digest <d@example.org>"},
            "subscribers": {"file": "subscribers.csv"},
            "unsubscribe": {"mailto": "unsubscribe@example.org"},
        }
        self.write("subscribers.csv", SUBS)
        return self.write("two.conf", ini(sections))

    def test_one_source_down_among_two_is_skipped_and_its_articles_wait(self):
        cfg = self.two()
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn(f"source beta skipped: {self.b}: server answered HTTP 503 (2 attempts); "
                      "its articles wait for the next edition", p.err)
        self.assertEqual(len(self.smtp.received), 2)
        for text in self.bodies(self.smtp):
            self.assertIn(ITEMS[0]["url"], text)
            self.assertNotIn(ITEMS[7]["url"], text)
        # beta comes back: its articles make the next edition.
        self.srv.script("/b", Reply(body=feed_with(ITEMS[5:])))
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("edition 2: 5 articles", p.err)
        texts = self.bodies(self.smtp)[2:]
        self.assertEqual(len(texts), 2)
        for text in texts:
            self.assertIn(ITEMS[7]["url"], text)
            self.assertNotIn(ITEMS[0]["url"], text)

    def test_fetch_lists_the_skipped_source(self):
        p = self.nk("fetch", config=self.two())
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("source alpha: 5 usable items\n", p.out)
        self.assertIn("source beta: skipped (", p.out)
        self.assertIn("5 new articles", p.out)

    def test_every_source_down_stops_the_run_and_sends_nothing(self):
        self.srv.script("/a", Reply(502, "bad gateway", "text/plain"))
        p = self.nk("send", config=self.two())
        self.assertEqual(p.returncode, 69)
        self.assertIn("none of the 2 sources could be read", p.err)
        self.assertEqual(self.smtp.received, [])
        db = sqlite3.connect(self.dir / "state.db")
        self.assertEqual(db.execute("SELECT count(*) FROM editions").fetchone()[0], 0)

    def test_a_required_source_that_fails_stops_the_run(self):
        p = self.nk("send", config=self.two({"required": "yes"}))
        self.assertEqual(p.returncode, 69)
        self.assertIn("HTTP 503 (2 attempts) (source beta is required: nothing is sent "
                      "without it)", p.err)
        self.assertEqual(self.smtp.received, [])

    def test_check_fails_on_the_source_that_is_down(self):
        p = self.nk("check", config=self.two())
        self.assertEqual(p.returncode, 69)
        self.assertIn("ok    source alpha", p.out)
        self.assertIn("FAIL  beta: ", p.out)


class Https(Collect):
    def setUp(self):
        super().setUp()
        self.ca, crt, key = make_ca(self.dir)
        self.tls = FaultyHttp(tls_context=server_tls_context(crt, key))
        self._servers.append(self.tls)

    def test_an_https_source_never_follows_a_redirect_to_http(self):
        plain = self.srv.script("/feed.json", Reply(body=FEED))
        url = self.tls.script("/feed.json", Reply(301, location=plain))
        p = self.fetch(url, ca_file=str(self.ca))
        self.assertEqual(p.returncode, 69)
        self.assertIn(f"{url}: refusing a redirect from https to plain http ({plain})", p.err)
        self.assertEqual(self.srv.requests, [])
        # Nor through an https hop in between.
        hop = self.tls.script("/hop", Reply(302, location="/feed.json"))
        self.tls.script("/feed.json", Reply(302, location=plain))
        p = self.fetch(hop, ca_file=str(self.ca))
        self.assertEqual(p.returncode, 69)
        self.assertIn("refusing a redirect from https to plain http", p.err)
        self.assertEqual(self.srv.requests, [])

    def test_http_to_https_is_fine(self):
        secure = self.tls.script("/feed.json", Reply(body=FEED))
        url = self.srv.script("/old", Reply(301, location=secure))
        p = self.fetch(url, ca_file=str(self.ca))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)
        self.assertEqual(len(self.tls.hits("/feed.json")), 1)

    def test_an_upper_case_scheme_in_the_config_is_https(self):
        url = self.tls.script("/feed.json", Reply(body=FEED))
        p = self.fetch(url.replace("https://", "HTTPS://"), ca_file=str(self.ca))
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("10 new articles", p.out)


class FeedText(Collect):
    def setUp(self):
        super().setUp()
        self.smtp = self.smtp_server()

    def send(self, body, **source):
        url = self.srv.script("/f", Reply(body=body))
        return self.nk("send", config=self.conf(url, smtp=self.smtp.url(), **source))

    def test_a_lone_surrogate_costs_one_character_not_the_feed(self):
        raw = feed_with([dict(ITEMS[0], title="Kim meets Yoon PLACEHOLDER"), ITEMS[2]])
        raw = raw.replace("PLACEHOLDER", "\\ud83d").replace("Authorities", "Bad \\x escape")
        p = self.send(raw)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("2 broken escapes in JSON strings", p.err)
        for text in self.bodies(self.smtp):
            self.assertIn("Kim meets Yoon \ufffd", text)
            self.assertIn("Bad \ufffd escape", text)
            self.assertIn(ITEMS[2]["url"], text)

    def test_html_in_jsonfeed_titles_and_summaries_becomes_text(self):
        item = dict(ITEMS[0], title="Kim &amp; <b>Yoon</b>",
                    summary="<p>Talks <i>resume</i> in Seoul</p>")
        p = self.send(feed_with([item]))
        self.assertEqual(p.returncode, 0, p.err)
        msg = self.smtp.received[0].msg
        self.assertIn("Kim & Yoon", msg["Subject"])
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.assertIn("\nKim & Yoon\n", text)
        self.assertIn("Talks resume in Seoul", text)
        self.assertNotIn("<b>", text)
        self.assertNotIn("&amp;", text)

    def test_summary_from_content_and_external_url(self):
        words = " ".join(f"word{i}" for i in range(200))
        item = {"id": "c1", "external_url": "https://elsewhere.example/story",
                "title": "Linked", "content_html": f"<p>{words}</p>",
                "date_published": ITEMS[0]["date_published"]}
        p = self.send(feed_with([item]))
        self.assertEqual(p.returncode, 0, p.err)
        text = self.bodies(self.smtp)[0]
        self.assertIn("https://elsewhere.example/story", text)
        self.assertIn("word0 word1", text)
        self.assertRegex(text.replace("\n", " "), r"word\d+ ?\u2026")
        self.assertNotIn("word199", text)

    def test_upper_case_link_schemes_are_accepted_and_normalised(self):
        item = dict(ITEMS[0], url="HTTPS://WWW.NKNEWS.ORG/2022/05/Story/")
        p = self.send(feed_with([item]))
        self.assertEqual(p.returncode, 0, p.err)
        text = self.bodies(self.smtp)[0]
        self.assertIn("https://www.nknews.org/2022/05/Story/", text)
        self.assertNotIn("HTTPS://", text)

    def test_bidi_controls_never_reach_a_subject_or_a_greeting(self):
        item = dict(ITEMS[0], title="Report \u202egpj.exe\u202c on talks")
        url = self.srv.script("/f", Reply(body=feed_with([item])))
        cfg = self.config(url, smtp=self.smtp.url(), source={"retries": "0"},
                          subscribers="email,name,tier\na@example.org,Eve\u2066lyn\u2069,pro\n")
        p = self.nk("send", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        msg = self.smtp.received[0].msg
        self.assertIn("Report gpj.exe on talks", msg["Subject"])
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        self.assertIn("Hello Evelyn,", text)
        for part in (msg["Subject"], msg["To"], text, html):
            for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
                self.assertNotIn(c, part)

    def test_undated_items_appear_once_at_the_time_first_seen(self):
        items = [dict(ITEMS[0]), {"id": "undated-1", "url": "https://example.org/u1",
                                  "title": "An item without a date"}]
        body = feed_with(items)
        t0 = int(time.time())
        p = self.send(body)
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("edition 1: 2 articles", p.err)
        db = sqlite3.connect(self.dir / "state.db")
        (seen,), = db.execute("SELECT seen FROM first_seen WHERE key = ?",
                              ("nknews\tundated-1",)).fetchall()
        self.assertGreaterEqual(seen, t0)
        self.assertLessEqual(seen, int(time.time()))
        for text in self.bodies(self.smtp):
            self.assertIn("An item without a date", text)
        # The next day's run sees it again, with its first time: not new.
        p = self.nk("send", config=self.dir / "nkdigest.conf")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertIn("nothing new", p.err)
        self.assertEqual(len(self.smtp.received), 2)
        self.assertEqual(db.execute("SELECT seen FROM first_seen").fetchall(), [(seen,)])

    def test_render_without_state_dates_undated_items_now(self):
        items = [{"id": "u", "url": "https://example.org/u", "title": "Undated"}]
        url = self.srv.script("/f", Reply(body=feed_with(items)))
        cfg = self.config(url, digest={"timezone": "UTC"})
        p = self.nk("render", "--stdout", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        today = time.strftime("%-d %B %Y", time.gmtime())
        self.assertIn(today, p.out)
        self.assertIn("Undated", p.out)
        self.assertFalse((self.dir / "state.db").exists())

    def test_stripped_wordpress_posts_are_reported_item_by_item(self):
        posts = [{"id": 11, "link": "https://example.org/?p=11"},
                 {"id": 12, "slug": "twelve"}]
        p = self.send(json.dumps(posts))
        self.assertEqual(p.returncode, 65)
        self.assertNotIn("neither a JSON Feed", p.err)
        self.assertIn("none of its 2 items is usable: item 1 (id 11): no title "
                      "(title.rendered) and no excerpt or content to make one from; "
                      "item 2 (id 12): no link (\"link\")", p.err)
        self.assertEqual(self.smtp.received, [])


class TierRules(Collect):
    def test_category_and_field_rules_mark_pro_articles(self):
        posts = json.loads(SAMPLE_WORDPRESS.read_text())
        posts[0]["categories"] = [4242]
        posts[1].setdefault("meta", {})
        posts[1]["meta"] = {"paywall": True}
        url = self.srv.script("/wp", Reply(body=json.dumps(posts)))
        cfg = self.config(url, source={"pro_when": "category_id:4242, field:/meta/paywall=true",
                                       "retries": "0"}, name="rules.conf")
        p = self.nk("fetch", config=cfg)
        self.assertEqual(p.returncode, 0, p.err)
        lines = p.out.splitlines()
        tiers = {lines[i + 1].strip(): lines[i].split()[3]
                 for i in range(len(lines) - 1) if lines[i + 1].startswith("   ")}
        self.assertEqual(tiers[posts[0]["link"]], "pro")
        self.assertEqual(tiers[posts[1]["link"]], "pro")
        self.assertEqual(sorted(tiers.values()).count("pro"), 2, p.out)

    def test_a_mistyped_rule_names_its_line(self):
        cfg = self.config("feed.json", source={"pro_when": "tags:NK PRO"}, name="typo.conf")
        p = self.nk("fetch", config=cfg)
        self.assertEqual(p.returncode, 78)
        self.assertRegex(p.err, r"typo\.conf:\d+: pro_when: 'tags:NK PRO' is not a rule")
