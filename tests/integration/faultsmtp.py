"""faultsmtp.py — an SMTP server that fails on purpose, on a free loopback port.

A real SMTP dialogue (greeting, EHLO, MAIL, RCPT, DATA, QUIT) whose replies
a test scripts: any reply can be replaced, and the server can stay silent,
hang up, or send garbage at a chosen point. It keeps every message it
accepted with a 250, so a test can check that nkdigest journals "sent"
only for those.

    srv = FaultSmtp(data_reply="550 5.7.1 Message content rejected")
    ... nkdigest send ...
    srv.accepted   # [(rcpt, bytes)] for each message answered 250

Scripts (keyword arguments):
  greeting        the greeting line(s) sent on connect ("220 ..."), or None
                  to say nothing at all
  ehlo_lines      the EHLO reply lines; "endless" streams 250- lines forever
  replies         {"MAIL": "451 ...", "RCPT": "550 ...", "DATA": "554 ..."}:
                  the reply to that command instead of the normal one
  data_reply      the reply after the message body instead of 250
  hangup_at       a command (or "BODY", after the body) at which the server
                  closes the connection without replying
  mute_at         the same, but it keeps the connection open and says nothing
  fail_first      apply data_reply to the first N messages only (then 250)
  per_rcpt        {address: reply} for RCPT
  mute_after      accept this many messages, then say nothing after every
                  later message body
"""
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    timeout = 120

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def stop_here(self, point):
        srv = self.server.owner
        if srv.mute_at == point:
            srv.events.append(("mute", point))
            threading.Event().wait(srv.mute_seconds)
            return True
        if srv.hangup_at == point:
            srv.events.append(("hangup", point))
            return True
        return False

    def handle(self):
        srv = self.server.owner
        srv.connections += 1
        if srv.greeting is None:
            srv.events.append(("silent", "greeting"))
            threading.Event().wait(srv.mute_seconds)
            return
        for line in srv.greeting.split("\n"):
            self.send(line)
        rcpts = []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("latin-1").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            srv.commands.append(verb)
            if self.stop_here(verb):
                return
            if verb in srv.replies:
                self.send(srv.replies[verb])
                if srv.replies[verb].startswith("421"):
                    return
                continue
            if verb in ("EHLO", "HELO"):
                if srv.ehlo_lines == "endless":
                    try:
                        while True:
                            self.send("250-" + "x" * 70)
                    except OSError:
                        return
                for l in srv.ehlo_lines:
                    self.send(l)
            elif verb == "MAIL":
                rcpts = []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line.split(":", 1)[1].strip().strip("<>") if ":" in line else ""
                reply = srv.per_rcpt.get(addr, "250 2.1.5 Ok")
                if reply.startswith("250"):
                    rcpts.append(addr)
                self.send(reply)
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while True:
                    raw = self.rfile.readline(1 << 20)
                    if not raw:
                        return
                    if raw in (b".\r\n", b".\n"):
                        break
                    body.append(raw)
                if self.stop_here("BODY"):
                    return
                if srv.mute_after is not None and len(srv.accepted) >= srv.mute_after:
                    srv.events.append(("mute", "BODY"))
                    threading.Event().wait(srv.mute_seconds)
                    return
                with srv.lock:
                    srv.messages += 1
                    n = srv.messages
                reply = srv.data_reply
                if reply and srv.fail_first is not None and n > srv.fail_first:
                    reply = None
                if reply:
                    self.send(reply)
                else:
                    with srv.lock:
                        for r in rcpts:
                            srv.accepted.append((r, b"".join(body)))
                    self.send("250 2.0.0 Ok: queued")
                    if srv.hangup_after_250:
                        srv.events.append(("hangup", "after 250"))
                        return
            elif verb == "RSET":
                rcpts = []
                self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class FaultSmtp:
    def __init__(self, greeting="220 fault.test ESMTP", ehlo_lines=None, replies=None,
                 data_reply=None, hangup_at=None, mute_at=None, fail_first=None,
                 per_rcpt=None, hangup_after_250=False, mute_seconds=60, mute_after=None):
        self.greeting = greeting
        self.ehlo_lines = ehlo_lines or ["250-fault.test", "250-PIPELINING", "250 8BITMIME"]
        self.replies = dict(replies or {})
        self.data_reply = data_reply
        self.hangup_at = hangup_at
        self.mute_at = mute_at
        self.fail_first = fail_first
        self.per_rcpt = dict(per_rcpt or {})
        self.hangup_after_250 = hangup_after_250
        self.mute_seconds = mute_seconds
        self.mute_after = mute_after
        self.accepted = []
        self.commands = []
        self.events = []
        self.connections = 0
        self.messages = 0
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
