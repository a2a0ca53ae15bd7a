"""Customers asking the bot questions over Socket Mode, and what came back.

Shared by the system tests that push a burst through `supportbot run` (database
outage, full disk, answer order): each customer has a DM with the bot and asks the
questions of ASKED (five different FAQ questions, so each answer tells which question
it answers). `answers` counts the answers per (DM, question); `answered_in_order` lists
one DM's answers as they arrived; `healthz` reads the bot's health endpoint.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiohttp

from tests.fakes.slack_api import FakeSlack

# Five questions from the example FAQ, and words their answers start with.
ASKED = {
    "How do I reset my password?": "On the login page",
    "Can I order as a guest?": "No, you can order as a guest",
    "How can I contact you?": "Right here in this chat",
    "Where is my order?": "As soon as your parcel leaves",
    "What are your support hours?": "Our team answers Monday",
}

Customer = tuple[str, str]  # (Slack user id, the DM channel with the bot)


def customers(prefix: str, count: int) -> tuple[Customer, ...]:
    """`count` customers with user ids U<prefix>NN and DMs D<prefix>NN."""
    return tuple((f"U{prefix}{n:02d}", f"D{prefix}{n:02d}") for n in range(count))


def add_users(fake: FakeSlack, people: Iterable[Customer]) -> None:
    for user_id, _ in people:
        fake.add_user(user_id, user_id.lower())


def answered_in_order(fake: FakeSlack, dm: str) -> list[str]:
    """Which questions of ASKED the bot's messages in `dm` answer, in arrival order."""
    return [
        question
        for message in fake.messages_in(dm)
        for question, answer in ASKED.items()
        if answer in message.text
    ]


def answers(fake: FakeSlack, dms: Iterable[str]) -> Counter[tuple[str, str]]:
    """(DM, question) -> how many answers to that question are in that DM."""
    return Counter((dm, question) for dm in dms for question in answered_in_order(fake, dm))


def lost_and_repeated(
    fake: FakeSlack, asked: Iterable[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], int]]:
    """The (DM, question) pairs `asked` that got no answer, and those answered twice or more."""
    wanted = list(asked)
    counts = answers(fake, {dm for dm, _ in wanted})
    lost = [key for key in wanted if not counts[key]]
    repeated = {key: n for key, n in counts.items() if n > 1}
    return lost, repeated


async def ask(
    fake: FakeSlack, people: Sequence[Customer], questions: Iterable[str], *, pause: float = 0.0
) -> list[tuple[str, str]]:
    """Every customer asks each question, round by round (one question of every customer,
    then the next), `pause` seconds between two messages; the (DM, question) pairs asked."""
    asked: list[tuple[str, str]] = []
    for question in questions:
        for user_id, dm in people:
            await fake.push_event(fake.message_event(dm, user_id, question))
            asked.append((dm, question))
            await asyncio.sleep(pause)
    return asked


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    """The status and the JSON report of the bot's /healthz."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        report: dict[str, Any] = await response.json()
        return response.status, report


async def health_until(port: int, status: int, timeout: float) -> dict[str, Any]:
    """Poll /healthz until it answers `status`; that answer's report."""
    async with asyncio.timeout(timeout):
        while True:
            got, report = await healthz(port)
            if got == status:
                return report
            await asyncio.sleep(0.1)
