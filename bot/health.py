"""`GET /healthz`: is the database reachable, how much is waiting, which adapters run.

200 when all is well; 503 when the database is unreachable, and 503 "degraded" when
the bot runs but something needs a person: a message for the staff room was parked
(it failed for good: the bot lost its access there) or an adapter reports itself
down. The answer lists the problems. Messages parked on their way to customers (who
blocked the bot, or whose chat is gone) are listed as notes and keep the status: no
one can fix those, and a health check failing for each would restart a working bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

Report = Callable[[], Awaitable[dict[str, Any]]]


@runtime_checkable
class Watched(Protocol):
    """An adapter that can tell it lost its platform (a connection ended for good)."""

    platform: str

    async def down_reason(self) -> str | None:
        """Why the adapter cannot receive or send now; None while it can."""
        ...


def degraded_when_stuck(report: Report, adapters: Sequence[object]) -> Report:
    """`report`, with status "degraded" when a message for the staff room is parked or an
    adapter is down."""

    async def checked() -> dict[str, Any]:
        result = await report()
        problems: list[str] = []
        for_staff = int(result.get("parked_for_staff_room", 0))
        for_customers = int((result.get("outbox") or {}).get("parked", 0)) - for_staff
        if for_staff:
            problems.append(
                f"{for_staff} messages for the staff room parked (failed for good);"
                " see docs/operations.md"
            )
        if for_customers > 0:
            result["notes"] = [
                f"{for_customers} messages to customers parked (they blocked the bot"
                " or left); see docs/operations.md"
            ]
        for adapter in adapters:
            if isinstance(adapter, Watched) and (reason := await adapter.down_reason()) is not None:
                problems.append(f"{adapter.platform} adapter down: {reason}")
        if problems:
            result["problems"] = problems
            if result.get("status") == "ok":
                result["status"] = "degraded"
        return result

    return checked


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
