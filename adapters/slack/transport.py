"""The two ways Slack events reach the Bolt app: Socket Mode or the HTTP Events API.

Both only transport; what an event means, and whether it is acknowledged, is decided
by the Bolt listeners (`receive.py`). Socket Mode acks an envelope only when Bolt's
answer is a 200; over HTTP, Bolt's answer is the HTTP response. In HTTP mode Bolt
verifies every request's signature and timestamp (401 otherwise) before any listener
runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

_log = logging.getLogger("adapters.slack")

EVENTS_PATH = "/slack/events"


class Transport(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


EnvelopeListener = Callable[[Any, dict[str, Any], str | None], Awaitable[None]]


class SocketTransport:
    """Socket Mode: a websocket the SDK keeps open (and reconnects) in the background."""

    def __init__(
        self, app: AsyncApp, app_token: str, on_envelope: EnvelopeListener | None = None
    ) -> None:
        self._app = app
        self._app_token = app_token
        self._on_envelope = on_envelope
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        handler = AsyncSocketModeHandler(self._app, self._app_token)
        if self._on_envelope is not None:
            # Called for each envelope in the order it came, before Bolt's middleware
            # (whose awaits may let a later envelope overtake an earlier one).
            handler.client.message_listeners.insert(0, self._on_envelope)
        try:
            # Asking for the websocket URL first makes a bad app token fail start-up at
            # once, instead of the SDK retrying the connection forever.
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
            await handler.connect_async()  # type: ignore[no-untyped-call]
        except BaseException:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise
        self._handler = handler
        _log.info("slack socket mode connected")

    async def stop(self) -> None:
        handler, self._handler = self._handler, None
        if handler is not None:
            await handler.close_async()  # type: ignore[no-untyped-call]

    async def connected(self) -> bool:
        """Whether the websocket is up (False while the SDK reconnects)."""
        handler = self._handler
        return handler is not None and bool(await handler.client.is_connected())


class HttpTransport:
    """The Events API: Bolt's aiohttp application served on `listen`:`port`."""

    def __init__(self, app: AsyncApp, listen: str, port: int) -> None:
        self._app = app
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        runner = web.AppRunner(
            self._app.web_app(path=EVENTS_PATH), access_log=None, shutdown_timeout=5.0
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self._listen, self._port)
        await site.start()
        address = runner.addresses[0]
        self.bound_port = int(address[1])
        _log.info(
            "slack events api listening on %s:%s%s", self._listen, self.bound_port, EVENTS_PATH
        )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
