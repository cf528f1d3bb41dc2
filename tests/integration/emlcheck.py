"""emlcheck.py — the shape every message nkdigest writes must have, checked
on the raw bytes (apart from nkdigest's own encoder and from Python's
parser, which forgives what mail readers may not).

check(raw) returns a list of problems, empty when the message is right:
- CRLF line ends only; no line over 998 octets (RFC 5322 2.1.1);
- header lines at most 78 characters (RFC 5322 2.1.1 SHOULD) wherever
  folding can get there: a line is only excused when it holds a word
  (a URL) so long that no folding could bring it to 78;
- each header field once, the ones a digest needs all there;
- multipart/alternative holding text/plain then text/html, nothing else,
  each charset=utf-8, quoted-printable or base64;
- quoted-printable and base64 lines at most 76 characters (RFC 2045 6.7,
  6.8), only the base64 alphabet in base64, nothing unencoded above 127;
- each part decodes to valid UTF-8.
"""
import base64
import binascii
import quopri
import re

REQUIRED = ["date", "from", "to", "subject", "message-id", "mime-version", "content-type",
            "list-unsubscribe"]
B64 = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")


def _header_fields(block):
    """[(name, unfolded value, [physical lines])] of a header block."""
    fields = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1].append(line)
            fields[-1][2].append(line)
        else:
            name, _, value = line.partition(b":")
            fields.append([name.strip().lower().decode("ascii", "replace"), [value], [line]])
    return [(n, b"".join(v).strip(), lines) for n, v, lines in fields]


def _param(value, name):
    m = re.search(rb'(?i)\b' + name + rb'="?([^";]+)"?', value)
    return m.group(1).decode() if m else None


def _check_header_lines(lines, where, problems):
    for line in lines:
        if len(line) <= 78:
            continue
        # A fold goes before white space. Folding this line at every
        # space there is, as tightly as can be: only a line that then
        # still holds one word over 78 (with its leading space) has a
        # reason to be long.
        words = line.split()
        foldable = all(len(w) + 1 <= 78 for w in words[1:]) and len(words[0]) <= 78
        if foldable:
            problems.append(f"{where}: header line of {len(line)} characters: {line[:60]!r}")


def _check_part(head, body, want_type, problems):
    fields = _header_fields(head)
    names = [n for n, _, _ in fields]
    for n, _, lines in fields:
        _check_header_lines(lines, want_type, problems)
    for n in set(names):
        if names.count(n) > 1:
            problems.append(f"{want_type}: header {n} appears {names.count(n)} times")
    f = {n: v for n, v, _ in fields}
    ctype = f.get("content-type", b"")
    if not ctype.lower().startswith(want_type.encode()):
        problems.append(f"part is {ctype!r}, expected {want_type}")
    if (_param(ctype, b"charset") or "").lower() != "utf-8":
        problems.append(f"{want_type}: charset is not utf-8: {ctype!r}")
    cte = f.get("content-transfer-encoding", b"").lower()
    lines = body.split(b"\r\n")
    for line in lines:
        if len(line) > 76:
            problems.append(f"{want_type}: {cte.decode()} line of {len(line)} characters")
            break
        if any(c > 126 for c in line):
            problems.append(f"{want_type}: an 8-bit byte in a {cte.decode()} body")
            break
    if cte == b"quoted-printable":
        data = quopri.decodestring(body)
    elif cte == b"base64":
        if not all(B64.match(line) for line in lines):
            problems.append(f"{want_type}: a base64 line outside the alphabet")
            return None
        try:
            data = base64.b64decode(b"".join(lines), validate=True)
        except binascii.Error as err:
            problems.append(f"{want_type}: bad base64: {err}")
            return None
    else:
        problems.append(f"{want_type}: Content-Transfer-Encoding is {cte!r}")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        problems.append(f"{want_type}: not UTF-8 once decoded: {err}")
        return None


def part_sizes(raw):
    """{content type: bytes of its body as sent (still encoded)}."""
    head, _, body = raw.partition(b"\r\n\r\n")
    boundary = _param(dict((n, v) for n, v, _ in _header_fields(head))["content-type"],
                      b"boundary")
    out = {}
    for chunk in (b"\r\n" + body).split(b"\r\n--" + boundary.encode())[1:-1]:
        phead, _, pbody = chunk[2:].partition(b"\r\n\r\n")
        ctype = dict((n, v) for n, v, _ in _header_fields(phead))["content-type"]
        out[ctype.split(b";")[0].decode()] = len(pbody)
    return out


def check(raw):
    """The problems of raw (bytes of one message); [] when there are none."""
    problems = []
    if re.search(rb"(?<!\r)\n|\r(?!\n)", raw):
        problems.append("a line end that is not CRLF")
    for line in raw.split(b"\r\n"):
        if len(line) > 998:
            problems.append(f"a line of {len(line)} octets")
            break
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return problems + ["no blank line after the header"]
    fields = _header_fields(head)
    names = [n for n, _, _ in fields]
    for n in set(names):
        if names.count(n) > 1:
            problems.append(f"header {n} appears {names.count(n)} times")
    for n in REQUIRED:
        if n not in names:
            problems.append(f"header {n} is missing")
    for _, _, lines in fields:
        _check_header_lines(lines, "header", problems)
    f = {n: v for n, v, _ in fields}
    ctype = f.get("content-type", b"")
    if not ctype.lower().startswith(b"multipart/alternative"):
        return problems + [f"Content-Type is {ctype!r}, expected multipart/alternative"]
    boundary = _param(ctype, b"boundary")
    if not boundary:
        return problems + ["no boundary"]
    delim = b"\r\n--" + boundary.encode()
    chunks = (b"\r\n" + body).split(delim)
    if chunks[0].strip() or not chunks[-1].startswith(b"--"):
        problems.append("text outside the parts or no closing delimiter")
    parts = chunks[1:-1]
    if len(parts) != 2:
        return problems + [f"{len(parts)} parts, expected text/plain and text/html"]
    for chunk, want in zip(parts, ("text/plain", "text/html")):
        if not chunk.startswith(b"\r\n"):
            problems.append("a delimiter line with something after it")
        phead, psep, pbody = chunk[2:].partition(b"\r\n\r\n")
        if not psep:
            problems.append(f"{want}: no blank line after its header")
            continue
        _check_part(phead, pbody, want, problems)
    return problems
