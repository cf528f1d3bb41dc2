"""digestshape.py — what the format tests share: generated feeds of any
size, and a parse of a digest's HTML into what a reader sees (headings,
links, the preheader, inline styles)."""
import datetime
import html.parser
import json
import re

HANGUL_WORDS = ["북한이", "코로나19", "방역에서", "진전을", "보이고", "있다고", "김정은",
                "위원장이", "말했다", "평양에서", "열린", "정치국", "회의에서", "새로운",
                "확진자", "발생을", "보고받았다"]


def make_feed(n, pro_every=4, korean=False, start="2022-05-21T10:00:00+09:00"):
    """A JSON Feed of n articles, newest first, three an hour over several
    days; every pro_every-th one (0: none) is tagged NK PRO. Titles and
    summaries are English (or Korean) prose of realistic length."""
    t0 = datetime.datetime.fromisoformat(start)
    items = []
    for i in range(n):
        when = t0 - datetime.timedelta(minutes=20 * i)
        pro = pro_every and i % pro_every == 1
        if korean:
            words = [HANGUL_WORDS[(i + k) % len(HANGUL_WORDS)] for k in range(14)]
            title = f"{i}번 기사: " + " ".join(words[:7])
            summary = " ".join(words * 2)
        else:
            title = (f"Article {i}: North Korea reports progress on the economy and "
                     f"new trade figures")
            summary = ("Officials in Pyongyang say trade with China recovered in the "
                       "spring, while analysts caution that the figures are incomplete")
        items.append({
            "id": f"https://news.example/{i}",
            "url": f"https://news.example/{'pro/' if pro else ''}story-{i}/",
            "title": title,
            "summary": summary,
            "date_published": when.isoformat(),
            "authors": [{"name": f"Reporter {i % 7}"}],
            "tags": ["NK PRO"] if pro else ["News"],
        })
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T",
                       "items": items}, ensure_ascii=False)


def style_of(attrs):
    """The inline style as {property: value}."""
    out = {}
    for decl in (dict(attrs).get("style") or "").split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def px_box(value):
    """"6px 16px 20px" -> (top, right, bottom, left) in px."""
    nums = [float(x[:-2]) if x.endswith("px") else float(x) for x in value.split()]
    if len(nums) == 1:
        nums *= 4
    elif len(nums) == 2:
        nums = [nums[0], nums[1], nums[0], nums[1]]
    elif len(nums) == 3:
        nums = [nums[0], nums[1], nums[2], nums[1]]
    return tuple(nums)


class Shape(html.parser.HTMLParser):
    """Headings, links and styled elements of a digest, in document order.
    Comments (the Outlook conditionals) are kept apart."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.headings = []     # (tag, text)
        self.links = []        # (href, text, style dict, classes)
        self.elements = []     # (tag, attrs dict, style dict)
        self.comments = []
        self.preheader = None
        self.style_blocks = []
        self.text = []
        self._stack = []
        self._heading = None
        self._link = None
        self._pre = None
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        st = style_of(attrs)
        self.elements.append((tag, a, st))
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = [tag, ""]
        if tag == "a":
            self._link = [a.get("href"), "", st, (a.get("class") or "").split()]
        if tag == "div" and st.get("display") == "none" and self.preheader is None:
            self._pre = ""
        if tag == "style":
            self._in_style = True
            self.style_blocks.append("")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4") and self._heading:
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None
        if tag == "a" and self._link:
            self._link[1] = self._link[1].strip()
            self.links.append(tuple(self._link))
            self._link = None
        if tag == "div" and self._pre is not None:
            self.preheader = self._pre
            self._pre = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style_blocks[-1] += data
            return
        if self._pre is not None:
            self._pre += data
            return
        self.text.append(data)
        if self._heading:
            self._heading[1] += data
        if self._link:
            self._link[1] += data

    def handle_comment(self, data):
        self.comments.append(data)

    def h(self, tag):
        return [t for g, t in self.headings if g == tag]

    def hrefs(self):
        return [h for h, _, _, _ in self.links]


def luminance(hexcolour):
    c = hexcolour.lstrip("#")
    if len(c) == 3:
        c = "".join(x * 2 for x in c)
    rgb = [int(c[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg, bg):
    """The WCAG 2 contrast ratio of two #rrggbb colours."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def broken_inside_words(text, sources):
    """The sources (titles, summaries) that the wrapped text does not hold
    with its line breaks at spaces only: where a break fell inside a word
    (a break and the next line's indent count as one space)."""
    flat = re.sub(r"\n *", "\x00", text)
    return [s for s in sources
            if not re.search(re.escape(s).replace("\\ ", "[ \x00]"), flat)]


def eml_parts(msg):
    """{content type: decoded text} of a parsed message."""
    return {p.get_content_type(): p.get_content() for p in msg.walk()
            if not p.is_multipart()}


def strip_style(html_text):
    return re.sub(r"(?s)<style>.*?</style>", "", html_text)


class _Tree(html.parser.HTMLParser):
    """Every element with its ancestors: [(tag, classes, style, ancestors)]
    where ancestors is a list of (tag, classes), outermost first."""
    VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.nodes = []
        self._stack = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        self.nodes.append((tag, classes, style_of(attrs), list(self._stack)))
        if tag not in self.VOID:
            self._stack.append((tag, classes))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break


def _compound_matches(compound, tag, classes):
    m = re.fullmatch(r"([a-z0-9]*)((?:\.[-\w]+)*)", compound)
    if not m:
        return False
    want = set(c for c in m.group(2).split(".") if c)
    return (not m.group(1) or m.group(1) == tag) and want <= classes


def _selector_matches(selector, tag, classes, ancestors):
    parts = selector.split()
    if not _compound_matches(parts[-1], tag, classes):
        return False
    i = len(ancestors)
    for part in reversed(parts[:-1]):
        while i > 0 and not _compound_matches(part, *ancestors[i - 1]):
            i -= 1
        if i == 0:
            return False
        i -= 1
    return True


def unstyled_in_dark(html_text):
    """The elements whose inline style sets a text colour that no rule of
    the dark palette (prefers-color-scheme: dark) replaces: in dark mode
    they keep a colour chosen for a white page. [(tag, classes, colour)]"""
    css = "".join(re.findall(r"(?s)<style>(.*?)</style>", html_text))
    dark = css.split("prefers-color-scheme:dark", 1)[1] if "prefers-color-scheme:dark" in css else ""
    selectors = []
    for sels, decls in re.findall(r"([^{}]+)\{([^{}]*)\}", dark):
        if re.search(r"(?<![-\w])color:", decls):
            selectors += [s.strip() for s in sels.split(",") if s.strip()]
    out = []
    for tag, classes, st, ancestors in _Tree(html_text).nodes:
        if "color" not in st or st.get("display") == "none":
            continue
        if not any(_selector_matches(s, tag, classes, ancestors) for s in selectors):
            out.append((tag, sorted(classes), st["color"]))
    return out
