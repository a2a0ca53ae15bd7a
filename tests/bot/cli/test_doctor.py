"""`supportbot doctor`: the command as a user runs it, against the fake platforms (served
from this test's event loop while the command runs its own in a thread), and the
database check on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from adapters.discord.doctor import INVITE_PERMISSIONS, MESSAGE_CONTENT_LIMITED
from adapters.registry import Severity
from adapters.slack.doctor import BOT_SCOPES
from bot.cli import main
from bot.cli.doctor import check_database
from handoff.storage import make_engine, upgrade
from tests.conftest import EXAMPLE_FAQ
from tests.fakes import discord_api, slack_api
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import BOT_ID, FakeTelegramApi
from tests.fakes.unreachable import free_port

TELEGRAM_TOKEN = "424242:DOCTOR-TEST-SECRET-TOKEN"
STAFF_GROUP = -100321


@pytest.fixture(autouse=True)
def _direct(no_proxy: None) -> None:
    """The platform clients reach the fakes on 127.0.0.1 directly."""


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi(token=TELEGRAM_TOKEN) as fake:
        fake.add_group(STAFF_GROUP, "Agents", forum=False, members={BOT_ID: "administrator"})
        yield fake


async def _migrated(url: str) -> str:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


def _write(folder: Path, sections: dict[str, Any]) -> str:
    base: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "database": {"url": f"sqlite+aiosqlite:///{folder / 'bot.db'}"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(base | sections), encoding="utf-8")
    return str(path)


def _telegram(fake: FakeTelegramApi, **extra: Any) -> dict[str, Any]:
    return {
        "staff": {"platform": "telegram", "chat_id": str(STAFF_GROUP)},
        "telegram": {
            "enabled": True,
            "token": "${DOCTOR_TELEGRAM_TOKEN}",
            "api_base_url": fake.base_url,
            "request_timeout": 3,
        }
        | extra,
    }


async def _doctor(config: str) -> int:
    return await asyncio.to_thread(main, ["doctor", "--config", config])


async def test_all_three_platforms_ready(
    tmp_path: Path,
    telegram: FakeTelegramApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCTOR_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    await _migrated(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with FakeSlack() as slack, FakeDiscord() as discord:
        slack.scopes = sorted(BOT_SCOPES)
        slack.add_channel("CSUPPORT", "support")
        discord.application_flags = MESSAGE_CONTENT_LIMITED
        discord.bot_permissions = INVITE_PERMISSIONS.value
        config = _write(
            tmp_path,
            _telegram(telegram)
            | {
                "slack": {
                    "enabled": True,
                    "bot_token": slack_api.BOT_TOKEN,
                    "app_token": slack_api.APP_TOKEN,
                    "support_channel": "CSUPPORT",
                    "api_base_url": slack.base_url,
                },
                "discord": {
                    "enabled": True,
                    "token": discord_api.TOKEN,
                    "api_base_url": discord.api_url,
                    "support_channel_id": str(discord.support_channel_id),
                },
            },
        )

        assert await _doctor(config) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "no problems (0 warning(s))"
    for area in ("database", "telegram", "slack", "discord"):
        assert f"\n{area}\n" in out
    assert "PROBLEM" not in out and "schema is up to date" in out
    assert TELEGRAM_TOKEN not in out


async def test_a_problem_is_printed_with_its_fix_and_exits_1(
    tmp_path: Path,
    telegram: FakeTelegramApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCTOR_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
    telegram.add_group(STAFF_GROUP, "Agents", forum=False, members={BOT_ID: "member"})
    config = _write(tmp_path, _telegram(telegram))

    assert await _doctor(config) == 1

    out = capsys.readouterr().out
    assert "PROBLEM  no database file at" in out
    assert "fix: run `supportbot db upgrade`" in out
    assert "PROBLEM  the bot sees only commands in the staff group 'Agents'" in out
    assert "/setprivacy" in out
    assert out.splitlines()[-1].startswith("2 problem(s), 0 warning(s)")


async def test_a_rejected_token_never_shows_the_token(
    tmp_path: Path,
    telegram: FakeTelegramApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "777777:WRONG-TOKEN-WRONG-TOKEN-WRONG-TOKEN"
    monkeypatch.setenv("DOCTOR_TELEGRAM_TOKEN", wrong)
    config = _write(tmp_path, _telegram(telegram))

    assert await _doctor(config) == 1

    out = capsys.readouterr().out
    assert "Telegram rejected the token (telegram.token)" in out and "@BotFather" in out
    assert wrong not in out and "777777" not in out


async def test_no_platform_enabled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await _migrated(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")

    assert await _doctor(_write(tmp_path, {})) == 1

    assert "no platform is enabled" in capsys.readouterr().out


async def test_a_database_behind_the_newest_migration(sqlite_url: str) -> None:
    await _migrated(sqlite_url)
    engine = make_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    await engine.dispose()

    [reached, schema] = await check_database(sqlite_url)

    assert reached.severity == Severity.OK
    assert schema.severity == Severity.PROBLEM and "the schema is at 0003" in schema.what
    assert "db upgrade" in schema.fix


async def test_a_database_newer_than_this_supportbot(sqlite_url: str) -> None:
    await _migrated(sqlite_url)
    engine = make_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await engine.dispose()

    [_, schema] = await check_database(sqlite_url)

    assert "(9999) is newer than this supportbot knows" in schema.what


async def test_an_empty_database_has_no_schema(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
    await engine.dispose()

    [_, schema] = await check_database(sqlite_url)

    assert schema.what == "the database has no schema yet"


async def test_a_postgresql_server_that_is_not_there() -> None:
    [problem] = await check_database(f"postgresql+asyncpg://bot:pw@127.0.0.1:{free_port()}/bot")

    assert problem.severity == Severity.PROBLEM and "cannot connect to" in problem.what
    assert ":pw@" not in problem.what  # the password is hidden


async def test_a_url_without_a_driver() -> None:
    [problem] = await check_database("mysql://bot@db/bot")

    assert problem.severity == Severity.PROBLEM and "unusable URL" in problem.what


@pytest.mark.postgres
async def test_postgresql_at_the_newest_migration(postgres_url: str) -> None:
    found = await check_database(await _migrated(postgres_url))

    assert [f.severity for f in found] == [Severity.OK, Severity.OK]
    assert "schema is up to date" in found[1].what
