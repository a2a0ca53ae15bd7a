from __future__ import annotations

import json
import logging

import aiohttp

from bot.health import HealthServer
from bot.logs import ScrubbingFormatter
from tests.bot.conversation_kit import running_bot


def test_json_logs_scrub_secrets_everywhere() -> None:
    formatter = ScrubbingFormatter(["xoxb-secret-token"], as_json=True)
    try:
        raise RuntimeError("POST https://api/xoxb-secret-token failed")
    except RuntimeError:
        import sys

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
