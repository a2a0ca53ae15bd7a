"""SIGKILL `supportbot run` mid-burst on Discord: nothing lost, nothing answered twice.

Discord never sends an event again: what the dead process had received but not handed
over, and what customers wrote while no bot was connected, exists only in the channels'
history. The restarted bot reads it from there (the catch-up after READY) for every
channel it knew; the core recognises messages it already had.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.fakes.discord_api import FakeDiscord, Payload
from tests.system.bot_process import QUESTIONS, bots, wait_until_delivered
from tests.system.discord_process import TOKENS, answered, known_channels, write_discord_config

CUSTOMERS = 40
BURST = 200
KILL_AFTER = 40  # answers of the burst
WAIT = 40.0
ASKED = list(QUESTIONS)


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


class Customers:
    """Customers who each have a DM channel with the bot, and what they asked."""

    def __init__(self, fake: FakeDiscord, count: int) -> None:
        self._fake = fake
        self._users: list[Payload] = [fake.user(fake.new_id(), f"c{n}") for n in range(count)]
        self.channels = [str(fake.dm_channel(user)["id"]) for user in self._users]
        self.asked: dict[str, Counter[str]] = {channel: Counter() for channel in self.channels}

    async def ask(self, number: int, question: str) -> None:
        user = self._users[number % len(self._users)]
        message = self._fake.dm_message(user, question)
        self.asked[message["channel_id"]][question] += 1
        await self._fake.write(message)

    def answers(self) -> int:
        return sum(len(answered(self._fake, channel)) for channel in self.channels)

    def questions(self) -> int:
        return sum(sum(counts.values()) for counts in self.asked.values())


async def test_sigkill_mid_burst_loses_nothing_and_repeats_nothing(
    tmp_path: Path, no_proxy: None
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'supportbot.db'}"
    async with (
        FakeDiscord() as fake,
        bots(write_discord_config(tmp_path, fake, database_url), TOKENS) as running,
    ):
        customers = Customers(fake, CUSTOMERS)
        first = await running.start()
        await fake.wait_for_identify(1, timeout=WAIT)
        for number in range(CUSTOMERS):
            await customers.ask(number, ASKED[number % len(ASKED)])
        await until(lambda: customers.answers() == CUSTOMERS, "every customer's first answer")
        await until(
            lambda: known_channels(tmp_path) == set(customers.channels),
            "the bot knows every customer's channel",
        )

        for number in range(BURST):
            await customers.ask(number, ASKED[(number // CUSTOMERS + number) % len(ASKED)])
        await until(lambda: customers.answers() >= CUSTOMERS + KILL_AFTER, "some answers")
        await running.kill(first)
        answered_before_kill = customers.answers()
        for number in range(CUSTOMERS):  # nobody is connected: only the history has these
            await customers.ask(number, ASKED[(number + 1) % len(ASKED)])

        await running.start()
        await fake.wait_for_identify(2, timeout=WAIT)
        expected = customers.questions()
        await until(lambda: customers.answers() >= expected, f"{expected} answers")
        await wait_until_delivered(database_url, at_least=expected, timeout=WAIT)

    assert answered_before_kill < CUSTOMERS + BURST, "the kill came after the burst was done"
    wrong = {
        channel: (asked, Counter(answered(fake, channel)))
        for channel, asked in customers.asked.items()
        if Counter(answered(fake, channel)) != asked
    }
    assert wrong == {}, "lost or repeated answers (asked, answered) per channel"
