"""faulty_http.py — an HTTP server on 127.0.0.1 that misbehaves on cue.

Each path gets a script: a list of replies, used one per request, the last
one repeating. A reply can be an ordinary answer or a fault: a status with
headers (503 with Retry-After, a redirect), a body sent slower than any
timeout, a body cut off before its Content-Length, a gzip body that
decodes to far more than it weighs, an answer that honours ETag /
Last-Modified validators with 304. Every request is recorded (path,
headers, arrival time) for the test to check what nkdigest sent.

    srv = FaultyHttp()                  # or FaultyHttp(tls_context=ctx)
    url = srv.script("/feed.json", Reply(503, retry_after="1"), Reply(body=feed))
    ... run nkdigest ...
    assert [r.path for r in srv.requests] == ["/feed.json", "/feed.json"]
"""
import gzip
import http.server
import threading
import time


class Reply:
    """One answer. status, body (bytes or str), headers (dict) as sent;
    retry_after: a Retry-After value; location: a redirect target (a path
    on this server or a full URL); etag / last_modified: send these
    validators and answer 304 when the request carries them back; slow:
    seconds to spread the body over; cut: stop this many bytes short of the
    Content-Length and close; gzip: send the body gzip-compressed."""

    def __init__(self, status=200, body=b"", ctype="application/feed+json", headers=None,
                 retry_after=None, location=None, etag=None, last_modified=None,
                 slow=0.0, cut=0, gzip=False):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.ctype = ctype
        self.headers = dict(headers or {})
        self.retry_after = retry_after
        self.location = location
        self.etag = etag
        self.last_modified = last_modified
        self.slow = slow
        self.cut = cut
        self.gzip = gzip


class Request:
    def __init__(self, path, headers):
        self.path = path
        self.headers = headers       # dict, names as sent
        self.at = time.monotonic()

    def header(self, name):
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class FaultyHttp:
    def __init__(self, tls_context=None):
        self.scripts = {}
        self.requests = []
        self.scheme = "https" if tls_context else "http"
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                req = Request(self.path, dict(self.headers))
                with outer.lock:
                    outer.requests.append(req)
                    script = outer.scripts.get(self.path)
                    if script:
                        reply = script.pop(0) if len(script) > 1 else script[0]
                    else:
                        reply = Reply(404, b"not found", "text/plain")
                try:
                    outer._answer(self, req, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the client gave up, as a test may want it to

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls_context:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def script(self, path, *replies):
        """Sets what path answers, one reply per request (the last repeats);
        returns its URL."""
        with self.lock:
            self.scripts[path] = list(replies)
        return self.url(path)

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def hits(self, path):
        return [r for r in self.requests if r.path == path]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, h, req, r):
        status, body = r.status, r.body
        fresh = ((r.etag and req.header("If-None-Match") == r.etag) or
                 (r.last_modified and req.header("If-Modified-Since") == r.last_modified))
        if fresh:
            status, body = 304, b""
        if r.gzip and body:
            body = gzip.compress(body)
        h.send_response(status)
        h.send_header("Content-Type", r.ctype)
        if r.gzip and body:
            h.send_header("Content-Encoding", "gzip")
        if r.etag:
            h.send_header("ETag", r.etag)
        if r.last_modified:
            h.send_header("Last-Modified", r.last_modified)
        if r.retry_after is not None:
            h.send_header("Retry-After", r.retry_after)
        if r.location:
            loc = r.location if "://" in r.location else self.url(r.location)
            h.send_header("Location", loc)
        for k, v in r.headers.items():
            h.send_header(k, v)
        if status != 304:
            h.send_header("Content-Length", str(len(body) + r.cut))
        h.end_headers()
        if status == 304:
            return
        if r.slow:
            # A trickle: small pieces, evenly over `slow` seconds.
            pieces = max(1, min(len(body), 20))
            step = (len(body) + pieces - 1) // pieces
            for i in range(0, len(body), step):
                h.wfile.write(body[i:i + step])
                h.wfile.flush()
                time.sleep(r.slow / pieces)
        else:
            h.wfile.write(body)
        h.wfile.flush()
        if r.cut:
            h.close_connection = True
