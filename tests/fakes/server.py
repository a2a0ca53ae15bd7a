"""What every fake platform server is: an aiohttp app on 127.0.0.1, on a port the OS picks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from aiohttp import web


class LocalServer(ABC):
    """Serves `_app()` for as long as it is used as `async with`; `port` says where."""

    def __init__(self, *, shutdown_timeout: float = 60.0) -> None:
        self.port = 0
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    @abstractmethod
    def _app(self) -> web.Application:
        """The application to serve, routes set."""

    @abstractmethod
    async def _before_stop(self) -> None:
        """Let go of what outlives a request (websockets, long polls) so stopping is quick."""

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(
            self._app(), shutdown_timeout=self._shutdown_timeout, access_log=None
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._before_stop()
        if self._runner is not None:
            await self._runner.cleanup()
