"""The bench's delay proxy (tests/bench/delayproxy.py), run for real in
front of a TCP echo server on loopback: it must add its delay each way,
pass every byte unchanged and in order, and carry a half close through.
A test of the tool `make bench` measures with, not a timing of nkdigest:
only lower bounds on time are checked, which a loaded machine cannot break."""
import hashlib
import os
import socket
import subprocess
import threading
import time
import unittest

from harness import REPO, free_port

PROXY = REPO / "tests" / "bench" / "delayproxy.py"


class EchoServer:
    """Sends back what it reads on each connection, then half-closes when
    the client has."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(conn,), daemon=True).start()

    @staticmethod
    def echo(conn):
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)

    def stop(self):
        self.sock.close()


class DelayProxyTest(unittest.TestCase):
    DELAY_MS = 5

    def setUp(self):
        self.echo = EchoServer()
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(PROXY), str(self.port), str(self.echo.port),
             str(self.DELAY_MS)], stdout=subprocess.PIPE)
        self.assertEqual(self.proc.stdout.readline().strip(), b"ready")

    def tearDown(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        self.echo.stop()

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def recv_exactly(self, s, n):
        out = bytearray()
        while len(out) < n:
            chunk = s.recv(n - len(out))
            self.assertTrue(chunk, f"connection closed after {len(out)} of {n} bytes")
            out += chunk
        return bytes(out)

    def test_each_round_trip_takes_the_delay_both_ways(self):
        with self.connect() as s:
            for i in range(20):
                line = f"ping {i}\r\n".encode()
                start = time.monotonic()
                s.sendall(line)
                self.assertEqual(self.recv_exactly(s, len(line)), line)
                rtt = time.monotonic() - start
                self.assertGreaterEqual(rtt, 2 * self.DELAY_MS / 1000,
                                        f"round trip {i} took {rtt * 1000:.2f} ms")

    def test_data_passes_unchanged_and_in_order(self):
        # 4 MiB in writes of odd sizes while reading: many chunks, queued
        # in both directions at once; what comes back must be the same bytes.
        data = os.urandom(4 << 20)
        got = bytearray()
        with self.connect() as s:
            def reader():
                while chunk := s.recv(65536):
                    got.extend(chunk)
            t = threading.Thread(target=reader)
            t.start()
            pos, step = 0, 1
            while pos < len(data):
                s.sendall(data[pos:pos + step])
                pos += step
                step = step * 7 % 100003 + 1
            s.shutdown(socket.SHUT_WR)   # the echo server half-closes back
            t.join(60)
            self.assertFalse(t.is_alive(), "the end of the stream did not come back")
        self.assertEqual(len(got), len(data))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_connections_are_independent(self):
        # Several at once, each its own stream: nothing crosses over.
        socks = [self.connect() for _ in range(8)]
        try:
            for i, s in enumerate(socks):
                s.sendall(f"connection {i}\n".encode() * 100)
            for i, s in enumerate(socks):
                want = f"connection {i}\n".encode() * 100
                self.assertEqual(self.recv_exactly(s, len(want)), want)
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
