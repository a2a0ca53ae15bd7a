"""SIGKILL `supportbot run` in the middle of a burst of Slack questions, then restart it.

40 customers ask 5 questions each (200 events, all from the example FAQ), over the HTTP
Events API or Socket Mode. Once some answers are out, the process is killed: no
clean-up of any kind. A new process on the same database takes over. The fake Slack
redelivers what the dead process never acknowledged, as Slack does (HTTP: non-2xx or
no answer, X-Slack-Retry-Num; Socket Mode: an unacked envelope, retry_attempt). In the
end every customer has every answer exactly once: an event is acknowledged only once
stored, a stored event is handled after the restart, and a redelivered one only once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.system.bot_process import Bots, bots, wait_until_delivered, write_config
from tests.system.burst import ASKED

CUSTOMERS = tuple((f"UK{n:02d}", f"DK{n:02d}") for n in range(40))
TOTAL = len(CUSTOMERS) * len(ASKED)
KILL_AFTER = 30  # answers out before the kill
WAIT = 40.0
TOKENS = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_APP_TOKEN": APP_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
}


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    # Retries spaced so that the last one comes after the restart (Slack's own are 1 and
    # 5 minutes apart); envelopes wait for a connection while the bot restarts.
    async with FakeSlack(retry_pauses=(1.0, 3.0, 8.0), reconnect_wait=WAIT) as fake:
        for user_id, _ in CUSTOMERS:
            fake.add_user(user_id, user_id.lower())
        yield fake


def answers(fake: FakeSlack) -> Counter[tuple[str, str]]:
    """(customer's DM, question) -> how many answers to it are in that DM."""
    return Counter(
        (dm, question)
        for _, dm in CUSTOMERS
        for message in fake.messages_in(dm)
        for question, answer in ASKED.items()
        if answer in message.text
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(condition: Any, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def listening(port: int) -> None:
    """Until the bot's Events API accepts connections."""
    async with asyncio.timeout(WAIT):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


class Burst:
    """The customers' questions, sent the way Slack sends them in `mode`."""

    def __init__(self, fake: FakeSlack, mode: str, port: int) -> None:
        self._fake = fake
        self._mode = mode
        self._url = f"http://127.0.0.1:{port}/slack/events"
        self._port = port
        self._sending: list[asyncio.Task[Any]] = []

    async def ready(self) -> None:
        if self._mode == "http":
            await listening(self._port)
        else:
            await self._fake.wait_connections(1, timeout=WAIT)

    async def send(self) -> None:
        """All questions, one customer after another per round, as separate deliveries."""
        for question in ASKED:
            for user_id, dm in CUSTOMERS:
                event = self._fake.message_event(dm, user_id, question)
                delivery: Coroutine[Any, Any, object]
                if self._mode == "http":
                    delivery = self._fake.deliver_event(self._url, event)
                else:
                    delivery = self._fake.push_event(event)
                self._sending.append(asyncio.create_task(delivery))
                await asyncio.sleep(0.005)

    async def settled(self) -> None:
        """Until Slack has nothing left to (re)deliver."""
        await asyncio.wait_for(asyncio.gather(*self._sending), WAIT)
        await self._fake.wait_redelivered(timeout=WAIT)

    def redeliveries(self) -> int:
        if self._mode == "http":
            return sum(a.retry_num > 0 for a in self._fake.http_attempts)
        return sum("retry_attempt" in e for e in self._fake.envelopes)


async def burst_kill_restart(
    fake: FakeSlack, running: Bots, burst: Burst, database_url: str
) -> tuple[int, int]:
    """The answers out when the first process died, and the deliveries Slack repeated."""
    first = await running.start()
    await burst.ready()
    sending = asyncio.create_task(burst.send())
    await until(lambda: answers(fake).total() >= KILL_AFTER, WAIT)
    await running.kill(first)
    out_at_kill = answers(fake).total()

    second = await running.start()
    await burst.ready()
    await sending
    await burst.settled()
    with contextlib.suppress(TimeoutError):  # what is lost is counted by the caller
        await until(lambda: len(answers(fake)) == TOTAL, WAIT)
    await wait_until_delivered(database_url, at_least=KILL_AFTER, timeout=WAIT)
    assert await running.stop(second) == 0
    return out_at_kill, burst.redeliveries()


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_a_killed_bot_loses_and_repeats_no_answer(
    slack: FakeSlack, database_url: str, tmp_path: Path, mode: str
) -> None:
    port = free_port()
    section: dict[str, Any] = {"mode": mode}
    if mode == "http":
        section |= {"http_port": port, "signing_secret": "${SLACK_SIGNING_SECRET}"}
    config = write_config(tmp_path, slack, database_url, lease_seconds=3.0, slack=section)

    async with bots(config, TOKENS) as running:
        out_at_kill, repeated = await burst_kill_restart(
            slack, running, Burst(slack, mode, port), database_url
        )
        print(f"{mode}: {out_at_kill} of {TOTAL} answered at the kill; {repeated} redeliveries")

        assert KILL_AFTER <= out_at_kill < TOTAL  # killed mid-burst
        counts = answers(slack)
        lost = [key for key in ((dm, q) for _, dm in CUSTOMERS for q in ASKED) if not counts[key]]
        repeated_answers = {key: n for key, n in counts.items() if n > 1}
        assert (lost, repeated_answers) == ([], {})
