from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot import logs
from bot.contract import DeliveryError
from bot.health import HealthServer, Report, degraded_when_stuck
from bot.logs import ScrubbingFormatter
from bot.outage import describe
from handoff import outbox
from handoff.states import OutboxStatus
from handoff.storage import make_engine
from tests.bot.conversation_kit import running_bot

TELEGRAM_SHAPED = "7001234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


@pytest.fixture
def _forget_secrets() -> Iterator[None]:
    yield
    logs.use_secrets([])


async def _get(report: Report) -> tuple[int, dict[str, Any]]:
    server = HealthServer(report, "127.0.0.1", 0)
    await server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/healthz"
        async with aiohttp.ClientSession() as client, client.get(url) as response:
            return response.status, await response.json()
    finally:
        await server.stop()


def test_json_logs_scrub_secrets_everywhere() -> None:
    formatter = ScrubbingFormatter(["xoxb-secret-token"], as_json=True)
    try:
        raise RuntimeError("POST https://api/xoxb-secret-token failed")
    except RuntimeError:
        record = logging.LogRecord(
            "adapters.slack",
            logging.ERROR,
            __file__,
            1,
            "token %s",
            ("xoxb-secret-token",),
            sys.exc_info(),
        )
    record.platform = "slack"
    line = formatter.format(record)
    assert "xoxb-secret-token" not in line
    entry = json.loads(line)
    assert entry["message"] == "token ***"
    assert entry["platform"] == "slack" and entry["level"] == "ERROR"
    assert "***" in entry["exception"]


async def test_healthz_reports_database_and_outbox(sqlite_url: str) -> None:
    async with running_bot(sqlite_url) as bot:
        await bot.customer.says("Where is my order?")
        server = HealthServer(bot.runtime.health, "127.0.0.1", 0)
        await server.start()
        try:
            url = f"http://127.0.0.1:{server.port}/healthz"
            async with aiohttp.ClientSession() as client, client.get(url) as response:
                assert response.status == 200
                report = await response.json()
        finally:
            await server.stop()
        assert report["status"] == "ok"
        assert report["outbox"] == {"pending": 1}
        assert report["adapters"] == ["test"]
        assert report["faq_entries"] >= 30


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("x", logging.WARNING, __file__, 1, message, args, None)


def test_json_logs_scrub_a_secret_that_json_would_escape() -> None:
    secret = 'pa"ss\\wörd-42'
    line = ScrubbingFormatter([secret], as_json=True).format(_record("login with %s", secret))

    assert json.loads(line)["message"] == "login with ***"


def test_url_encoded_secrets_and_token_shaped_text_are_scrubbed() -> None:
    formatter = ScrubbingFormatter(["s3cret/with+plus"], as_json=False)
    url = f"GET https://api.telegram.org/bot{TELEGRAM_SHAPED}/getMe?key=s3cret%2Fwith%2Bplus"

    line = formatter.format(_record("%s failed; xoxb-123-456-abcdefghij too", url))

    assert "s3cret" not in line and TELEGRAM_SHAPED not in line and "xoxb-" not in line
    assert "bot***/getMe?key=***" in line


def test_scrub_knows_the_secrets_configure_was_given(_forget_secrets: None) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("INFO", as_json=True, secrets=["hunter2-secret"])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    assert logs.scrub("token hunter2-secret, short abc") == "token ***, short abc"


async def test_a_failed_send_stores_its_error_scrubbed_and_health_notes_it(
    sqlite_url: str, _forget_secrets: None
) -> None:
    logs.use_secrets(["configured-secret-value"])
    error = f"NetworkError: POST https://api.telegram.org/bot{TELEGRAM_SHAPED}/sendMessage"
    async with running_bot(sqlite_url) as bot:
        bot.platform.failures.append(DeliveryError(error, permanent=True))
        bot.platform.failures.append(
            DeliveryError("refused: configured-secret-value", permanent=True)
        )
        await bot.customer.says("Where is my order?")
        await bot.customer.says("How do I return an item?")
        await bot.settle()

        status, report = await _get(degraded_when_stuck(bot.runtime.health, bot.runtime.adapters))

    engine = make_engine(sqlite_url)
    async with engine.connect() as conn:
        stored = list(await conn.execute(select(outbox.TABLE).order_by(outbox.TABLE.c.id)))
    await engine.dispose()
    parked = [row.last_error for row in stored if row.status == OutboxStatus.PARKED]
    assert parked == [
        "NetworkError: POST https://api.telegram.org/bot***/sendMessage",
        "refused: ***",
    ]
    # Parked on their way to a customer: noted, and the bot stays healthy.
    assert status == 200
    assert report["status"] == "ok"
    assert "problems" not in report
    assert report["notes"] == [
        "2 messages to customers parked (they blocked the bot or left); see docs/operations.md"
    ]


async def test_health_degrades_when_a_message_for_the_staff_room_is_parked(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        await bot.customer.says("Where is my order?")
        await bot.settle()
        # The customer's handoff reply and the ticket's card both fail for good.
        bot.platform.failures.extend(
            [DeliveryError("forbidden", permanent=True), DeliveryError("gone", permanent=True)]
        )
        await bot.customer.says("talk to a human")
        await bot.settle()

        status, report = await _get(degraded_when_stuck(bot.runtime.health, bot.runtime.adapters))

    assert report["outbox"]["parked"] == 2
    assert report["parked_for_staff_room"] == 1
    assert status == 503
    assert report["status"] == "degraded"
    assert report["problems"] == [
        "1 messages for the staff room parked (failed for good); see docs/operations.md"
    ]
    assert report["notes"] == [
        "1 messages to customers parked (they blocked the bot or left); see docs/operations.md"
    ]


@dataclass
class _Adapter:
    platform: str
    down: str | None = None

    async def down_reason(self) -> str | None:
        return self.down


async def test_health_degrades_while_an_adapter_is_down(sqlite_url: str) -> None:
    discord = _Adapter("discord")
    async with running_bot(sqlite_url) as bot:
        report = degraded_when_stuck(bot.runtime.health, [discord, _Adapter("telegram")])
        healthy, _ = await _get(report)
        discord.down = "the gateway connection ended (4004)"
        down, answer = await _get(report)

    assert healthy == 200
    assert down == 503 and answer["status"] == "degraded"
    assert answer["problems"] == ["discord adapter down: the gateway connection ended (4004)"]


def test_a_described_failure_is_scrubbed(_forget_secrets: None) -> None:
    """What an inbox row stores as its last error, and /healthz shows for an outage."""
    logs.use_secrets(["db-password-value"])

    described = describe(OSError(f"connect bot{TELEGRAM_SHAPED} as db-password-value"))

    assert described == "OSError: connect bot*** as ***"
