"""harness.py — real servers on 127.0.0.1 and a way to run nkdigest.

Every integration test talks to servers it starts itself on free loopback
ports: an HTTP server for feeds and aiosmtpd for SMTP. Nothing here stands
in for a protocol; what the servers receive is parsed back and checked.
"""
import asyncio
import base64
import email
import email.policy
import http.server
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest
import warnings
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# aiosmtpd warns about its own deprecated attributes and about AUTH without
# TLS (which the loopback tests use on purpose); keep the TAP output clean.
warnings.filterwarnings("ignore", module="aiosmtpd")
warnings.filterwarnings("ignore", message="Session.login_data")
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)

REPO = Path(__file__).resolve().parents[2]
BIN = str((REPO / os.environ.get("NKDIGEST_BIN", "nkdigest")).resolve())
DATA = REPO / "tests" / "data"
SAMPLE_JSONFEED = DATA / "nknews-jsonfeed.json"
SAMPLE_WORDPRESS = DATA / "nknews-wp-posts.json"

# Sanitizer builds print these on a memory error, UB or a leak.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- HTTP ----------------------------------------------------------------

class FeedServer:
    """An HTTP server with fixed routes: path -> (status, content type, body)."""

    def __init__(self, routes=None, tls_context=None):
        self.routes = dict(routes or {})
        self.scheme = "https" if tls_context else "http"
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers)))
                status, ctype, body = outer.routes.get(
                    self.path, (404, "text/plain", b"not found"))
                self.send_response(status)
                if 300 <= status < 400:   # body is where to go
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path, body, status=200, ctype="application/feed+json"):
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = (status, ctype, body)
        return self.url(path)

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- SMTP ----------------------------------------------------------------

class Received:
    def __init__(self, mail_from, rcpt_tos, data):
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.data = data
        self.msg = email.message_from_bytes(data, policy=email.policy.default)


class RecordingHandler:
    """Keeps every message; answers RCPT from a script when asked to."""

    def __init__(self):
        self.received = []
        self.rcpt_replies = {}   # address -> reply line, e.g. "550 5.1.1 unknown"
        self.data_delay = 0      # seconds to think before accepting a message
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
            # A client that went away before the 250 did not hand the
            # message over: a real server would not deliver it either.
            if server.transport is None or server.transport.is_closing():
                return "421 4.3.0 Client gone"
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free loopback port, optionally with STARTTLS and AUTH."""

    def __init__(self, tls_context=None, require_starttls=False, users=None,
                 implicit_tls=None, handler=None):
        self.handler = handler or RecordingHandler()
        self.port = free_port()
        self.scheme = "smtps" if implicit_tls else "smtp"
        kwargs = {}
        if implicit_tls:
            kwargs["ssl_context"] = implicit_tls
        if tls_context:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if users is not None:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (mechanism in ("PLAIN", "LOGIN") and
                      users.get(auth_data.login.decode()) == auth_data.password.decode())
                # handled=False: aiosmtpd itself answers 535 on failure.
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=authenticator, auth_required=True,
                          auth_require_tls=tls_context is not None)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="mx.test", **kwargs)
        self.controller.start()

    @property
    def received(self):
        return self.handler.received

    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stop(self):
        self.controller.stop()


class SmtpSink:
    """Postfix's smtp-sink on a free loopback port. It accepts as fast as
    it can, or fails on purpose: extra args such as ["-Q", "RCPT"] (421 and
    hang up after RCPT) or ["-f", "MAIL"] (5xx to MAIL). Each message is
    dumped to a file; counters show how many sessions carried them."""

    def __init__(self, workdir, *extra, dump=True):
        # As root smtp-sink drops to nobody, who must reach the dump
        # directory: a world-writable one of its own, not inside workdir.
        self.dir = Path(tempfile.mkdtemp(prefix="nkdigest-sink-"))
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        cmd = ["/usr/sbin/smtp-sink", "-c", *extra]
        if dump:   # off for speed measurements: disk writes would dominate
            cmd += ["-d", str(self.dir / "%Y%m%d%H%M%S.")]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        cmd += [f"127.0.0.1:{self.port}", "256"]
        self.out = open(Path(workdir) / f"sink-{self.port}.log", "w+b")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                threading.Event().wait(0.02)

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self):
        """(recipients, parsed message) for every message received."""
        out = []
        for f in sorted(self.dir.iterdir()):
            m = parse_message(f.read_bytes())
            rcpts = [a.strip("<>") for a in m.get_all("X-Rcpt-Args", [])]
            out.append((rcpts, m))
        return out

    def sessions(self):
        """Sessions counted so far (from the -c counters line), not
        counting the connection that checked the sink was up."""
        self.out.flush()
        self.out.seek(0)
        counts = re.findall(rb"sess=(\d+)", self.out.read())
        return int(counts[-1]) - 1 if counts else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- TLS -----------------------------------------------------------------

def make_ca(dirpath, host="127.0.0.1"):
    """A throwaway CA and a server certificate for host, made with openssl.
    Returns (ca_cert, server_cert, server_key) paths."""
    d = Path(dirpath)
    ca_key, ca_crt = d / "ca.key", d / "ca.crt"
    key, csr, crt, ext = d / "srv.key", d / "srv.csr", d / "srv.crt", d / "srv.ext"

    def ssl_cmd(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=nkdigest test CA", "-keyout", str(ca_key), "-out", str(ca_crt))
    ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}",
            "-keyout", str(key), "-out", str(csr))
    san = f"IP:{host}" if host[0].isdigit() else f"DNS:{host}"
    ext.write_text(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n")
    ssl_cmd("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt))
    return ca_crt, crt, key


def server_tls_context(crt, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(crt), str(key))
    return ctx


# ---- nkdigest ------------------------------------------------------------

def ini(sections):
    """Writes {"digest": {...}, 'source "x"': {...}} as INI text."""
    out = []
    for name, keys in sections.items():
        out.append(f"[{name}]")
        for k, v in keys.items():
            out.append(f"{k} = {v}")
        out.append("")
    return "\n".join(out)


def parse_message(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def mail_transactions(err):
    """Each message's part of the SMTP dialogue that -v printed: for every
    "> MAIL FROM:" line, it and the lines of its connection after it."""
    dialogues = {}
    for conn, line in re.findall(r"smtp (\d+) ([<>] .*)", err):
        dialogues.setdefault(conn, []).append(line)
    return [lines[i:] for lines in dialogues.values()
            for i, l in enumerate(lines) if l.startswith("> MAIL FROM:")]


def readme_token_check():
    """The README's Python recipe for checking an unsubscribe token, taken
    from the README itself and run as it stands: unsubscribe_address(
    secret_file, token) -> address or None."""
    text = (REPO / "README.md").read_text()
    start = text.index("\n    import base64\n")
    lines = []
    for line in text[start + 1:].splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line[4:])
    scope = {}
    exec("\n".join(lines), scope)
    return scope["unsubscribe_address"]


def make_token(secret, address):
    """A token made from unsubscribe.h's description alone (not by
    nkdigest), for addresses no message has carried yet."""
    import hashlib
    import hmac
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def hkdf(info):
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
    data = address.encode()
    nonce = hmac.new(hkdf(b"nkdigest unsubscribe v1 nonce"), data, hashlib.sha256).digest()[:12]
    sealed = ChaCha20Poly1305(hkdf(b"nkdigest unsubscribe v1 key")).encrypt(nonce, data, b"v1")
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unsubscribe_token(header):
    """The token in a List-Unsubscribe header's https URL."""
    m = re.search(r"<https://[^>]*[?&/]t=(v1\.[A-Za-z0-9_-]+)>", header)
    return m.group(1) if m else None


class NkTestCase(unittest.TestCase):
    """A temporary directory, servers that stop with the test, and nk()."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="nkdigest-test-"))
        self._servers = []

    def tearDown(self):
        for s in self._servers:
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def feed_server(self, routes=None, tls_context=None):
        s = FeedServer(routes, tls_context)
        self._servers.append(s)
        return s

    def smtp_server(self, **kw):
        s = SmtpServer(**kw)
        self._servers.append(s)
        return s

    def smtp_sink(self, *extra):
        s = SmtpSink(self.dir, *extra)
        self._servers.append(s)
        return s

    def write(self, name, text, mode=None):
        p = self.dir / name
        p.write_text(text) if isinstance(text, str) else p.write_bytes(text)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def config(self, feed_url, smtp=None, subscribers=None, digest=None, source=None,
               tiers=True, unsubscribe=None, smtp_extra=None, name="nkdigest.conf"):
        """The standard test configuration; keyword arguments override parts."""
        sections = {
            "digest": {"title": "NK News Daily Digest", "timezone": "Asia/Seoul",
                       "max_age": "0", "tiers": "free, pro", "pro_teasers": "show",
                       "state": "state.db", **(digest or {})},
            'source "nknews"': {"url": feed_url, "tier": "free",
                                "pro_when": "tag:NK PRO, url:/pro/", **(source or {})},
        }
        if tiers:
            sections['tier "free"'] = {"label": "News"}
            sections['tier "pro"'] = {"label": "NK PRO",
                                      "upgrade_url": "https://www.nknews.org/pro/"}
        if smtp is not None:
            sections["smtp"] = {"url": smtp, "tls": "none",
                                "from": "NK News Digest <digest@example.org>",
                                "connections": "2", "retries": "0", **(smtp_extra or {})}
        if subscribers is not None:
            self.write("subscribers.csv", subscribers)
            sections["subscribers"] = {"file": "subscribers.csv"}
        self.write("unsubscribe.key", "test-secret-123\n", mode=0o600)
        sections["unsubscribe"] = unsubscribe if unsubscribe is not None else {
            "url": "https://example.org/unsubscribe?t={{token}}",
            "mailto": "unsubscribe@example.org",
            "secret_file": "unsubscribe.key"}
        return self.write(name, ini(sections))

    def serve(self, config, *extra):
        """Starts `nkdigest serve` on a free port; stops with the test."""
        s = ServeProcess(self, config, *extra)
        self._servers.append(s)
        return s

    def nk(self, *args, config=None, env=None, stdin=None, timeout=120):
        """Runs nkdigest; fails the test on any sanitizer report."""
        cmd = [BIN]
        if config is not None:
            cmd += ["-c", str(config)]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.pop("NKDIGEST_CONFIG", None)
        full_env["HOME"] = str(self.dir)
        full_env.pop("XDG_CONFIG_HOME", None)
        full_env.update(env or {})
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=full_env,
                           timeout=timeout, cwd=self.dir)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        for mark in SANITIZER_MARKS:
            if mark in p.err:
                self.fail(f"sanitizer report from {' '.join(cmd)}:\n{p.err}")
        return p


class ServeProcess:
    """`nkdigest serve --listen 127.0.0.1:0`, its port read from its log."""

    def __init__(self, test, config, *extra):
        self.test = test
        self.log = open(test.dir / f"serve-{len(test._servers)}.log", "w+b")
        env = dict(os.environ, HOME=str(test.dir))
        env.pop("NKDIGEST_CONFIG", None)
        self.proc = subprocess.Popen([BIN, "-c", str(config), "serve", "--listen",
                                      "127.0.0.1:0", *extra], stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=env, cwd=test.dir)
        self.port = None
        for _ in range(500):
            m = re.search(r"serving unsubscribe links on port (\d+)", self.text())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            threading.Event().wait(0.02)
        if self.port is None:
            raise RuntimeError("serve did not start:\n" + self.text())

    def text(self):
        if self.log.closed:
            return self.final_text
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        """SIGTERM; returns the exit status. Fails the test on a sanitizer
        report."""
        if self.log.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(timeout=30)
        out = self.final_text = self.text()
        self.log.close()
        for mark in SANITIZER_MARKS:
            if mark in out:
                raise AssertionError(f"sanitizer report from serve:\n{out}")
        return rc
