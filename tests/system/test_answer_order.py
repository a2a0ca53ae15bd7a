"""Every customer's answers arrive in the order of their questions.

40 customers ask 5 different questions each through `supportbot run` (Slack, Socket
Mode), all customers at once and each customer's questions back to back, as fast as
the fake Slack pushes them. The bot handles one conversation's events one at a time in
the order received and sends one chat's replies in order, so each DM shows the
answers in question order; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.system.bot_process import bots, wait_until_delivered, write_config
from tests.system.burst import ASKED, add_users, answered_in_order, answers, ask, customers, until

CUSTOMERS = customers("Q", 40)
TOTAL = len(CUSTOMERS) * len(ASKED)
WAIT = 60.0  # generous for a loaded CI machine; a passing run takes about 10 s


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        add_users(fake, CUSTOMERS)
        yield fake


async def test_every_customer_gets_the_answers_in_question_order(
    slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, slack, database_url, lease_seconds=5.0)
    async with bots(config) as running:
        process = await running.start()
        await slack.wait_connections(1, timeout=WAIT)

        # Each customer's five in order, all customers at once.
        await asyncio.gather(*(ask(slack, [customer], ASKED) for customer in CUSTOMERS))
        dms = [dm for _, dm in CUSTOMERS]
        await until(lambda: answers(slack, dms).total() >= TOTAL, WAIT)
        await wait_until_delivered(database_url, at_least=TOTAL, timeout=WAIT)
        assert await running.stop(process) == 0

    out_of_order = {
        dm: got for _, dm in CUSTOMERS if (got := answered_in_order(slack, dm)) != list(ASKED)
    }
    assert out_of_order == {}
