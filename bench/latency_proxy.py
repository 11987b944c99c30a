"""A TCP proxy on loopback that delays everything it forwards: a PostgreSQL server "on another PC
over a VPN" for the benchmark (``--pg-latency MS``), where the kernel has no netem.

Each direction holds every chunk it reads for half the round trip before writing it on, in order,
so a query and its answer take ``latency_ms`` more than on loopback. It also counts the queries
the client sends (PostgreSQL's simple-query and parse messages): the statements a screen costs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

QUERY_MESSAGES = (b"Q", b"P")  # simple query; parse (extended protocol)


class _Counter:
    """Reads the client → server stream as PostgreSQL messages: type byte, length, body."""

    def __init__(self) -> None:
        self.queries = 0
        self._buffer = b""
        self._started = False  # the startup packet has no type byte

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if not self._started:
                if len(self._buffer) < 8:
                    return
                length = int.from_bytes(self._buffer[:4], "big")
                code = int.from_bytes(self._buffer[4:8], "big")
                if len(self._buffer) < length:
                    return
                self._buffer = self._buffer[length:]
                if code != 80877103:  # not an SSL request: the real startup packet
                    self._started = True
                continue
            if len(self._buffer) < 5:
                return
            length = int.from_bytes(self._buffer[1:5], "big")
            if len(self._buffer) < 1 + length:
                return
            if self._buffer[:1] in QUERY_MESSAGES:
                self.queries += 1
            self._buffer = self._buffer[1 + length:]


class LatencyProxy:
    """``with LatencyProxy("127.0.0.1", 5432, 20) as proxy: ... proxy.port``"""

    def __init__(self, host: str, port: int, latency_ms: float) -> None:
        self.upstream = (host, port)
        self.delay = latency_ms / 2000  # each way
        self.port = 0
        self.counters: list[_Counter] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="latency-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def queries(self) -> int:
        """Queries sent through the proxy so far, over every connection."""
        return sum(c.queries for c in self.counters)

    def start(self) -> LatencyProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connected, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Both ends of every connection closed before the loop stops: a transport closes its
            # socket in a later callback, which a stopped loop never runs (the upstream end then
            # stayed open, and a server reading it waited for ever under Wine).
            for writer in self._writers:
                writer.close()
            await asyncio.wait_for(asyncio.gather(*(w.wait_closed() for w in self._writers),
                                                  return_exceptions=True), 5)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._writers += [writer, up_writer]
        counter = _Counter()
        self.counters.append(counter)
        try:
            await asyncio.gather(self._pump(reader, up_writer, counter.feed), self._pump(up_reader, writer, None),
                                 return_exceptions=True)
        except asyncio.CancelledError:  # the proxy is stopping
            for w in (writer, up_writer):
                w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    seen: Callable[[bytes], None] | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if seen is not None:
                    seen(data)
                # Timers due at the same time run in the order they were set: the stream stays in order.
                loop.call_later(self.delay, writer.write, data)
        finally:
            loop.call_later(self.delay, writer.close)
