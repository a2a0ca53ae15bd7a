"""PostgreSQL goes away for 30 s in the middle of a burst: a wait, never a loss.

`supportbot run` (Slack, Socket Mode) reaches PostgreSQL through a TCP forwarder this
test controls. 20 customers ask 5 questions each (100 in all): the first round goes
out, and once some answers are back the forwarder is cut (open connections dropped,
new ones refused) for 30 s while the customers go on writing. Meanwhile the bot cannot
store events, so it does not acknowledge them and the fake Slack sends them again
(three retries, as Slack does; the pauses are scaled so the last retry of every event
comes after the database is back); `/healthz` answers 503 with the reason. Once the
forwarder is back every question is answered exactly once, `/healthz` says ok again,
and the log shows the outage as one warning and one recovery line, not a traceback per
retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.tcp_forwarder import TcpForwarder
from tests.system.bot_process import bots, wait_until_delivered, write_config
from tests.system.burst import (
    ASKED,
    add_users,
    answers,
    ask,
    customers,
    health_until,
    healthz,
    lost_and_repeated,
    until,
)

CUSTOMERS = customers("O", 20)
TOTAL = len(CUSTOMERS) * len(ASKED)
CUT_AFTER = 10  # answers out before the cut
CUT_SECONDS = 30.0
PAUSE = 0.05  # between two customer messages during the cut: they keep coming
WAIT = 40.0


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    # An unacknowledged event comes again 4, 15 and 38 s after its first delivery.
    async with FakeSlack(ack_timeout=3.0, retry_pauses=(1.0, 8.0, 20.0)) as fake:
        add_users(fake, CUSTOMERS)
        yield fake


@pytest.fixture
async def forwarder(postgres_url: str) -> AsyncIterator[TcpForwarder]:
    server = urlsplit(postgres_url.replace("+asyncpg", ""))
    forwarding = TcpForwarder(server.hostname or "127.0.0.1", server.port or 5432)
    await forwarding.start()
    try:
        yield forwarding
    finally:
        await forwarding.close()


async def test_a_30_second_database_cut_loses_and_repeats_nothing(
    slack: FakeSlack, forwarder: TcpForwarder, postgres_url: str, tmp_path: Path
) -> None:
    through = forwarder.url_for(postgres_url)
    config = write_config(tmp_path, slack, through, lease_seconds=3.0, health=True)
    dms = [dm for _, dm in CUSTOMERS]
    questions = list(ASKED)

    async with bots(config) as running:
        process = await running.start()
        await slack.wait_connections(1, timeout=WAIT)
        port = await running.health_port(0)
        assert (await healthz(port))[0] == 200

        asked = await ask(slack, CUSTOMERS, questions[:1])
        await until(lambda: answers(slack, dms).total() >= CUT_AFTER, WAIT)
        await forwarder.cut()
        cut_at = asyncio.get_running_loop().time()
        out_at_cut = answers(slack, dms).total()

        asked += await ask(slack, CUSTOMERS, questions[1:], pause=PAUSE)
        during = await health_until(port, 503, WAIT)
        await asyncio.sleep(CUT_SECONDS - (asyncio.get_running_loop().time() - cut_at))
        still, at_the_end = await healthz(port)
        await forwarder.restore()

        await until(lambda: len(answers(slack, dms)) == TOTAL, WAIT)
        await slack.wait_redelivered(timeout=WAIT)
        await wait_until_delivered(postgres_url, at_least=TOTAL, timeout=WAIT)
        after = await health_until(port, 200, WAIT)
        assert await running.stop(process) == 0
        log = running.log_of(0)

    print(f"{out_at_cut} of {TOTAL} answered at the cut; {len(slack.envelopes)} deliveries")
    assert out_at_cut < TOTAL  # cut mid-burst
    assert lost_and_repeated(slack, asked) == ([], {})

    assert during["status"] == "database unreachable" and during["error"]
    assert (still, at_the_end["status"]) == (503, "database unreachable")
    assert after["status"] == "ok"

    lines = log.splitlines()
    warnings = [line for line in lines if " WARNING " in line]
    refused = [line for line in warnings if "not stored yet" in line]
    others = [line for line in warnings if "not stored yet" not in line]
    assert sum("database unreachable" in line for line in others) == 1
    assert sum("database back after" in line for line in others) == 1
    # One line per delivery the bot could not store (Slack then repeats it), a few
    # others; not a line per retry (every 0.5 s would be 60 in 30 s).
    assert len(refused) <= len(slack.envelopes) - TOTAL
    assert len(others) <= 6, others
    assert [line for line in lines if " ERROR " in line] == []
    assert "Traceback" not in log
    assert not [question for question in ASKED if question in log]  # ids only, no texts


async def test_healthz_is_ok_again_when_the_database_is_back_even_with_no_traffic(
    slack: FakeSlack, forwarder: TcpForwarder, postgres_url: str, tmp_path: Path
) -> None:
    """A cut only /healthz noticed (nobody wrote meanwhile) must not leave the bot
    reporting 503 after the database is back: a load balancer would then keep the
    events that could end the outage away from it."""
    config = write_config(
        tmp_path, slack, forwarder.url_for(postgres_url), lease_seconds=3.0, health=True
    )
    async with bots(config) as running:
        process = await running.start()
        await slack.wait_connections(1, timeout=WAIT)
        port = await running.health_port(0)
        assert (await healthz(port))[0] == 200

        await forwarder.cut()
        during = await health_until(port, 503, WAIT)
        await forwarder.restore()
        after = await health_until(port, 200, WAIT)
        assert await running.stop(process) == 0

    assert during["status"] == "database unreachable"
    assert after["status"] == "ok"
