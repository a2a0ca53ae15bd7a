"""How updates arrive (long polling or a webhook) and how the Bot API is reached.

Telegram keeps an update until it is confirmed: in polling mode by a later getUpdates
whose offset lies past it, in webhook mode by a 2xx answer to its POST. Both
transports here confirm an update only once `take` has said it is stored (or is to
be ignored), so a crash at any point leaves Telegram holding what the bot had not
made durable. python-telegram-bot's Updater confirms before its handlers run, which
is why it is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update
from telegram.constants import UpdateType
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.config import TelegramSection

log = logging.getLogger("adapters.telegram")

ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY)
DEFAULT_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# An update the core could not store is offered again after this many seconds,
# doubling up to RETRY_CAP, for as long as it takes.
RETRY_FIRST = 0.2
RETRY_CAP = 5.0
# Requests still in flight when the webhook stops are cut after this many seconds;
# Telegram got no 2xx for them, so it sends them again.
WEBHOOK_GRACE = 2.0

TelegramBot: TypeAlias = ExtBot[Any]
Take = Callable[[Update], Awaitable[bool]]
"""Handles one update; True when Telegram may consider it done (stored or ignored)."""


class Transport(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_bot(section: TelegramSection, token: str) -> TelegramBot:
    """An ExtBot with AIORateLimiter (429s are retried after retry_after and the
    per-group and overall flood limits are respected) and the configured timeouts.

    `api_base_url` is a Bot API server's root, e.g. "https://api.telegram.org" or a local
    `telegram-bot-api` server; requests go to `<root>/bot<token>/<method>`.
    """
    timeout = section.request_timeout
    root = (section.api_base_url or DEFAULT_API).rstrip("/")
    return ExtBot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=HTTPXRequest(
            connection_pool_size=16,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        ),
        # get_updates adds the long-poll timeout to this read timeout.
        get_updates_request=TolerantUpdatesRequest(
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        ),
        rate_limiter=AIORateLimiter(max_retries=section.rate_limit_retries),
    )


def open_transport(section: TelegramSection, bot: TelegramBot, take: Take) -> Transport:
    if section.mode == "polling":
        return Polling(bot, take, poll_timeout=section.poll_timeout)
    return Webhook(
        bot,
        take,
        url=section.webhook_url or "",
        secret=section.webhook_secret.get_secret_value() if section.webhook_secret else "",
        listen=section.webhook_listen,
        port=section.webhook_port,
    )


class Polling:
    """Long-polls getUpdates; the offset moves past an update only once it is taken.

    Updates are taken one at a time in the order Telegram numbered them; one that is
    not stored is offered again with backoff, never skipped, and nothing after it is
    taken before it. Only one process may poll one bot token.
    """

    def __init__(self, bot: TelegramBot, take: Take, *, poll_timeout: int) -> None:
        self._bot = bot
        self._take = take
        self._poll_timeout = poll_timeout
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.failing: str | None = None  # the last getUpdates failure, until one succeeds

    async def start(self) -> None:
        await self._bot.delete_webhook()
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Cancel the pending long poll, then confirm what was taken since the last poll."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await self._bot.get_updates(
                offset=self._offset, limit=1, timeout=0, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:
            log.warning("could not confirm the last updates on stop: %s", exc.message)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=self._offset,
                    timeout=self._poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except TelegramError as exc:
                failures += 1
                self.failing = f"getUpdates failed {failures} times ({type(exc).__name__})"
                log.warning("getUpdates failed (%s); retry %d", exc.message, failures)
                await asyncio.sleep(retry_delay(failures))
                continue
            failures, self.failing = 0, None
            for update in updates:
                await self._take_until_stored(update)
                self._offset = update.update_id + 1

    async def _take_until_stored(self, update: Update) -> None:
        attempt = 0
        while not await _take_safely(self._take, update):
            attempt += 1
            await asyncio.sleep(retry_delay(attempt))


class Webhook:
    """An aiohttp endpoint at the webhook URL's path; registers itself with setWebhook.

    200 only once the update is taken; 403 for a wrong secret token; 503 when the core
    could not store it, so Telegram delivers it again later.
    """

    def __init__(
        self, bot: TelegramBot, take: Take, *, url: str, secret: str, listen: str, port: int
    ) -> None:
        self._bot = bot
        self._take = take
        self._url = url
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(urlsplit(self._url).path or "/", self._on_post)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=WEBHOOK_GRACE)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
            await self._bot.set_webhook(
                url=self._url,
                secret_token=self._secret.decode(),
                allowed_updates=ALLOWED_UPDATES,
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _on_post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        update = parse_update(data, self._bot)
        if update is not None and not await _take_safely(self._take, update):
            return web.Response(status=503)
        return web.Response(status=200)


def retry_delay(attempt: int) -> float:
    return float(min(RETRY_CAP, RETRY_FIRST * 2 ** (attempt - 1)))


def parse_update(data: dict[str, Any], bot: Bot | None) -> Update | None:
    """The Update, or None (logged by id) when it does not parse: it never will, so it
    is confirmed and dropped rather than offered forever."""
    try:
        return Update.de_json(data, bot)
    except Exception as exc:
        log.warning("dropping malformed update %d (%s)", data["update_id"], type(exc).__name__)
        return None


async def _take_safely(take: Take, update: Update) -> bool:
    try:
        return await take(update)
    except Exception:
        log.exception("taking update %d failed", update.update_id)
        return False


class TolerantUpdatesRequest(HTTPXRequest):
    """The request object for getUpdates, tolerant of updates that do not parse.

    PTB parses a whole getUpdates batch at once, so one update that does not parse
    would stop the batch for good. Such an update is logged (its id only) and replaced
    by an empty update with the same id: it is ignored and the offset moves on.
    """

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data: dict[str, Any] = HTTPXRequest.parse_json_payload(payload)
        result = data.get("result")
        if data.get("ok") and isinstance(result, list):
            data["result"] = [kept for item in result if (kept := _parseable(item)) is not None]
        return data


def _parseable(item: object) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("update_id"), int):
        log.warning("dropping an update without an update_id")
        return None
    if parse_update(item, None) is None:
        return {"update_id": item["update_id"]}
    return item
