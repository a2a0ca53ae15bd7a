"""The Discord bot of the system tests: a config for `supportbot run` against a fake
Discord served by the test process, and what the customers' DM channels answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adapters.discord.cursors import Cursors
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.discord_api import TOKEN, FakeDiscord
from tests.system.bot_process import QUESTIONS

TOKENS = {"DISCORD_BOT_TOKEN": TOKEN}


def write_discord_config(folder: Path, fake: FakeDiscord, database_url: str) -> Path:
    """A Discord-only configuration (staff room: the fake's staff channel); fast retries,
    short leases, and the spool in `folder`."""
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "discord", "chat_id": str(fake.staff_channel_id)},
        "database": {"url": database_url},
        "delivery": {"lease_seconds": 2, "retry_seconds": 0.05},
        "discord": {
            "enabled": True,
            "token": "${DISCORD_BOT_TOKEN}",
            "api_base_url": fake.api_url,
            "staff_role_id": str(fake.staff_role_id),
            "guild_ready_timeout": 0.05,
            "spool_dir": str(spool_dir(folder)),
        },
        "health": {"enabled": False},
        "logging": {"format": "text", "level": "INFO"},
    }
    path = folder / "supportbot.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def spool_dir(folder: Path) -> Path:
    return folder / "discord-spool"


def known_channels(folder: Path) -> set[str]:
    """The channels the bot would catch up on if it started now."""
    cursors = Cursors(spool_dir(folder))
    cursors.load()
    return {str(channel) for channel, _ in cursors.snapshot()}


def answered(fake: FakeDiscord, channel_id: str) -> list[str]:
    """Which QUESTIONS the bot's messages in `channel_id` answer, in the order sent."""
    return [
        question
        for message in fake.messages_in(channel_id)
        for question, answer in QUESTIONS.items()
        if answer in message["content"]
    ]
