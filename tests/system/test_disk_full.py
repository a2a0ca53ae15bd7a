"""The SQLite disk fills up: customers keep writing, nothing is lost, all answered later.

The database file lives on a small tmpfs of its own (mounting one needs root, as on
CI; elsewhere the test is skipped). After a first round of questions is answered, the
rest of the filesystem is filled with a file of zeros, after the write-ahead log was
checkpointed and truncated so that no write fits into space SQLite already holds. Then
10 customers ask two more questions each: SQLite answers "database or disk is full",
so the bot cannot store the events and does not acknowledge them (the fake Slack sends
them again, as Slack does), answers nothing, and `/healthz` answers 503 with the
reason. Once the file of zeros is deleted, every question is answered exactly once
and `/healthz` says ok again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
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

CUSTOMERS = customers("F", 10)
FULL_SECONDS = 8.0  # how long the disk stays full once the customers wrote
DISK_SIZE = "32m"  # room for the schema and the write-ahead log of the first round
WAIT = 40.0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a tmpfs of DISK_SIZE, unmounted after the test."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(folder)]
    try:
        subprocess.run(mount, check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {exc}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=10)


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    # An unacknowledged event comes again 4, 15 and 38 s after its first delivery.
    async with FakeSlack(ack_timeout=3.0, retry_pauses=(1.0, 8.0, 20.0)) as fake:
        add_users(fake, CUSTOMERS)
        yield fake


def truncate_wal(database: Path) -> None:
    """Checkpoint the write-ahead log into the database and cut it to zero bytes, so the
    next write must grow a file (retried while a reader of the bot holds the log)."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        for _ in range(100):
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
    raise AssertionError("the write-ahead log stayed busy")


def fill(folder: Path) -> Path:
    """Fill the filesystem of `folder` with a file of zeros, to the last byte."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, bytes(size))
    finally:
        os.close(descriptor)
    assert os.statvfs(folder).f_bavail == 0
    return filler


async def test_a_full_disk_holds_the_answers_back_and_loses_none(
    slack: FakeSlack, small_disk: Path, tmp_path: Path
) -> None:
    database = small_disk / "supportbot.db"
    url = f"sqlite+aiosqlite:///{database}"
    config = write_config(tmp_path, slack, url, lease_seconds=3.0, health=True)
    dms = [dm for _, dm in CUSTOMERS]
    first, *later = ASKED

    async with bots(config) as running:
        process = await running.start()
        await slack.wait_connections(1, timeout=WAIT)
        port = await running.health_port(0)

        asked = await ask(slack, CUSTOMERS, [first])
        await until(lambda: answers(slack, dms).total() == len(CUSTOMERS), WAIT)
        await wait_until_delivered(url, at_least=len(CUSTOMERS), timeout=WAIT)
        await slack.wait_redelivered(timeout=WAIT)
        truncate_wal(database)
        filler = fill(small_disk)

        asked += await ask(slack, CUSTOMERS, later[:2])
        full = await health_until(port, 503, WAIT)
        await asyncio.sleep(FULL_SECONDS)
        answered_while_full = answers(slack, dms).total()
        still, at_the_end = await healthz(port)
        filler.unlink()

        await until(lambda: len(answers(slack, dms)) == len(asked), WAIT)
        await slack.wait_redelivered(timeout=WAIT)
        await wait_until_delivered(url, at_least=len(asked), timeout=WAIT)
        after = await health_until(port, 200, WAIT)
        assert await running.stop(process) == 0
        log = running.log_of(0)

    assert answered_while_full == len(CUSTOMERS)  # only the first round's
    assert lost_and_repeated(slack, asked) == ([], {})
    assert full["status"] == "database unreachable"
    assert "full" in full["error"]
    assert (still, at_the_end["status"]) == (503, "database unreachable")
    assert after["status"] == "ok"
    assert log.count("database unreachable") == 1  # one warning for the whole outage
    assert "Traceback" not in log
