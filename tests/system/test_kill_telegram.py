"""SIGKILL `supportbot run` in the middle of a burst of Telegram questions, then restart it.

40 customers ask 5 questions each (200 updates, all from the example FAQ), by long
polling or over a webhook, while 20% of the bot's sends fail with 429 or 502. Once
some answers are out, the process is killed: no clean-up of any kind. A new process
on the same SQLite file takes over. The fake Telegram keeps every update that was not
confirmed (polling: no offset past it; webhook: no 2xx) and offers it again, as the
Bot API does. In the end no question is unanswered. The Bot API has no idempotency
key, so an answer may show twice, but only one whose send was in flight at the kill:
sent, yet not marked sent in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.unreachable import free_port
from tests.system.bot_process import Bots, bots, outbox_rows, wait_until_delivered
from tests.system.burst import ASKED
from tests.system.telegram_process import (
    CUSTOMERS,
    STAFF_GROUP,
    answers,
    customer_messages,
    write_telegram_config,
)

TOTAL = len(CUSTOMERS) * len(ASKED)
KILL_AFTER = 30  # answers out before the kill
WAIT = 40.0
SECRET = "kill-test-secret"


@pytest.fixture
async def telegram(no_proxy: None) -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as fake:
        fake.add_group(STAFF_GROUP, "Support staff", forum=False)
        for customer in CUSTOMERS:
            fake.add_private_chat(customer)
        yield fake


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def settled(fake: FakeTelegramApi, timeout: float) -> None:
    """Until every question is answered and every update confirmed, or `timeout`
    passed (then the assertions below tell what is missing)."""
    with contextlib.suppress(TimeoutError):
        await until(lambda: len(answers(fake)) == TOTAL and not fake.pending_updates, timeout)


async def ask_everything(fake: FakeTelegramApi) -> None:
    """All questions, one customer after another per round, as separate updates."""
    for question in ASKED:
        for customer in CUSTOMERS:
            fake.user_writes(customer, question)
            await asyncio.sleep(0.005)


async def in_flight_at_kill(fake: FakeTelegramApi, database_url: str) -> int:
    """Answers the customers have that the dead process had not marked sent."""
    rows = await outbox_rows(database_url)
    customers = {str(customer.id) for customer in CUSTOMERS}
    marked = sum(row.status == "sent" and row.chat_id in customers for row in rows)
    return customer_messages(fake) - marked


async def burst_kill_restart(
    fake: FakeTelegramApi, running: Bots, database_url: str
) -> tuple[int, int]:
    """The answers out when the first process died, and the sends in flight then."""
    first = await running.start()
    asking = asyncio.create_task(ask_everything(fake))
    await until(lambda: answers(fake).total() >= KILL_AFTER, WAIT)
    await running.kill(first)
    out_at_kill = answers(fake).total()
    in_flight = await in_flight_at_kill(fake, database_url)

    second = await running.start()
    await asking
    await settled(fake, WAIT)
    assert fake.pending_updates == []
    await wait_until_delivered(database_url, at_least=len(answers(fake)), timeout=WAIT)
    assert await running.stop(second) == 0
    return out_at_kill, in_flight


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_killed_bot_loses_no_question(
    telegram: FakeTelegramApi, sqlite_url: str, tmp_path: Path, mode: str
) -> None:
    section: dict[str, Any] = {"mode": mode}
    if mode == "webhook":
        port = free_port()
        section |= {
            "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
            "webhook_secret": "${TELEGRAM_WEBHOOK_SECRET}",
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
        }
    config = write_telegram_config(
        tmp_path, telegram, sqlite_url, lease_seconds=3.0, telegram=section
    )
    telegram.fail_randomly("sendMessage", 0.2, (429, 502))
    tokens = {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_WEBHOOK_SECRET": SECRET}

    async with bots(config, tokens) as running:
        out_at_kill, in_flight = await burst_kill_restart(telegram, running, sqlite_url)
        counts = answers(telegram)
        lost = [(c.id, q) for c in CUSTOMERS for q in ASKED if not counts[(c.id, q)]]
        repeated = sum(n - 1 for n in counts.values())
        print(
            f"{mode}: {out_at_kill} of {TOTAL} answered at the kill, {in_flight} sends in "
            f"flight; {len(lost)} lost, {repeated} repeated"
        )

        assert KILL_AFTER <= out_at_kill < TOTAL  # killed mid-burst
        assert lost == []
        assert repeated <= in_flight
