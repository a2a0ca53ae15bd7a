"""`GET /healthz`: is the database reachable, how much is waiting, which adapters run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Report = Callable[[], Awaitable[dict[str, Any]]]


class HealthServer:
    def __init__(self, report: Report, listen: str, port: int) -> None:
        self._report = report
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._listen, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        report = await self._report()
        status = 200 if report.get("status") == "ok" else 503
        return web.json_response(report, status=status)
