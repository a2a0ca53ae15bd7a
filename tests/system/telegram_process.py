"""The Telegram side of the system tests: a configuration for `supportbot run` against
the fake Telegram, the customers of a burst, and counting their answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import EXAMPLE_FAQ
from tests.fakes.telegram_api import FakeTelegramApi, FakeUser
from tests.system.burst import ASKED

STAFF_GROUP = -100777
CUSTOMERS = tuple(FakeUser(7000 + n, f"Customer{n:02d}", language_code="en") for n in range(40))


def write_telegram_config(
    folder: Path,
    fake: FakeTelegramApi,
    database_url: str,
    *,
    lease_seconds: float,
    telegram: dict[str, Any] | None = None,
) -> Path:
    """A Telegram-only configuration, staff in the plain group STAFF_GROUP; fast retries.
    `telegram` adds or overrides keys of the telegram section (e.g. webhook mode)."""
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "telegram", "chat_id": str(STAFF_GROUP)},
        "database": {"url": database_url},
        "delivery": {"lease_seconds": lease_seconds, "retry_seconds": 0.05},
        "telegram": {
            "enabled": True,
            "token": "${TELEGRAM_BOT_TOKEN}",
            "api_base_url": fake.base_url,
            "poll_timeout": 1,
            "request_timeout": 5.0,
            "rate_limit_retries": 0,
        }
        | (telegram or {}),
        "health": {"enabled": False},
        "logging": {"format": "text", "level": "INFO"},
    }
    path = folder / "supportbot.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def answers(fake: FakeTelegramApi) -> Counter[tuple[int, str]]:
    """(customer, question) -> how many answers to it the bot sent that customer."""
    return Counter(
        (customer.id, question)
        for customer in CUSTOMERS
        for message in fake.messages_in(customer.id)
        for question, answer in ASKED.items()
        if answer in message["text"]
    )


def customer_messages(fake: FakeTelegramApi) -> int:
    """How many messages the bot has sent to the customers."""
    return sum(len(fake.messages_in(customer.id)) for customer in CUSTOMERS)
