#!/usr/bin/python3
"""delayproxy.py — a TCP proxy on loopback that holds every chunk for a
while in each direction: a network round trip where the kernel has no
netem. Each chunk is delivered DELAY after it was read, in order, so a
connection behaves like one with a longer wire, not a slower one. An end
of stream (half close) and a hang-up travel with the same delay.

usage: delayproxy.py LISTEN_PORT TARGET_PORT [DELAY_MS]   (default 5 ms each way)
Prints "ready" once it listens.

Written with asyncio protocols and timers, not streams and tasks, so that
a chunk costs one timer and one write: at 16 busy connections the proxy
must stay far from its own limit, or it and not the client would be what
a benchmark through it measures.
"""
import asyncio
import collections
import selectors
import sys

EOF, CLOSE = object(), object()


class Side(asyncio.Protocol):
    """One socket of a proxied connection. What it reads is written to
    its peer DELAY later; the queue keeps the order whatever order the
    timers fire in."""

    def __init__(self, loop, delay):
        self.loop, self.delay = loop, delay
        self.transport = None
        self.peer = None
        self.queue = collections.deque()   # (due time, bytes | EOF | CLOSE)
        self.got_eof = self.sent_eof = False

    def connection_made(self, transport):
        self.transport = transport

    def _later(self, item):
        self.queue.append((self.loop.time() + self.delay, item))
        self.loop.call_at(self.queue[-1][0], self._flush)

    def _flush(self):
        if self.peer is None:   # not connected through yet: Client.link flushes
            return
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, item = self.queue.popleft()
            self.peer.deliver(item)

    def deliver(self, item):
        """Writes what the peer read (its due time has come)."""
        t = self.transport
        if t is None or t.is_closing():
            return
        if item is CLOSE:
            t.close()
        elif item is EOF:
            self.sent_eof = True
            if self.got_eof or not t.can_write_eof():
                t.close()
            else:
                try:
                    t.write_eof()
                except OSError:   # the other end is gone already
                    t.close()
        else:
            t.write(item)

    def data_received(self, data):
        self._later(data)

    def eof_received(self):
        self.got_eof = True
        self._later(EOF)
        if self.sent_eof:
            return False   # both ways ended: let the transport close
        return True        # keep writing what the peer still sends

    def connection_lost(self, exc):
        self.transport = None
        if self.peer is not None and not self.got_eof:
            self._later(CLOSE)

    # A peer that cannot keep up slows this side's reading down.
    def pause_writing(self):
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self):
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class Client(Side):
    """The side a client connects to: connects on to the target. What the
    client sends meanwhile waits, and goes once both its delay and the
    connection are through."""

    def __init__(self, loop, delay, target):
        super().__init__(loop, delay)
        self.target = target

    def connection_made(self, transport):
        super().connection_made(transport)
        self.loop.create_task(self.link())

    async def link(self):
        try:
            _, server = await self.loop.create_connection(
                lambda: Side(self.loop, self.delay), "127.0.0.1", self.target)
        except OSError:
            if self.transport is not None:
                self.transport.close()
            return
        if self.transport is None:   # the client left meanwhile
            server.transport.close()
            return
        self.peer, server.peer = server, self
        self._flush()


async def main():
    listen, target = int(sys.argv[1]), int(sys.argv[2])
    delay = (float(sys.argv[3]) if len(sys.argv) > 3 else 5.0) / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Client(loop, delay, target), "127.0.0.1",
                                      listen, backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # select(2) takes microseconds where epoll takes milliseconds: the
    # timers fire on time (a handful of sockets, far below FD_SETSIZE).
    # At most about 500 connections then.
    def select_loop():
        return asyncio.SelectorEventLoop(selectors.SelectSelector())
    try:
        with asyncio.Runner(loop_factory=select_loop) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        pass
