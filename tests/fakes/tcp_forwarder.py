"""A TCP forwarder between the bot and its database that a test can cut and restore.

`cut()` closes every open connection and stops listening, so new connections are
refused, as when the database server goes away; `restore()` listens on the same port
again. It runs in the test's event loop (for a bot in the same loop) or in a thread of
its own (`ThreadedForwarder`, for a bot in another process or a synchronous test).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator


class TcpForwarder:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut()

    def url_for(self, database_url: str) -> str:
        """`database_url` (postgresql+asyncpg://user@host:port/db) through this forwarder."""
        head, _, tail = database_url.partition("@")
        _, _, database = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{database}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            _pipe(reader, upstream_writer),
            _pipe(upstream_reader, writer),
            return_exceptions=True,
        )
        self._writers.difference_update((writer, upstream_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        writer.transport.abort()


class ThreadedForwarder:
    """A TcpForwarder on an event loop of its own thread."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.forwarder = TcpForwarder(target_host, target_port)

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    def cut(self) -> None:
        self._call(self.forwarder.cut())

    def restore(self) -> None:
        self._call(self.forwarder.restore())

    @contextlib.contextmanager
    def running(self) -> Iterator[TcpForwarder]:
        self._thread.start()
        self._call(self.forwarder.start())
        try:
            yield self.forwarder
        finally:
            self._call(self.forwarder.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()
