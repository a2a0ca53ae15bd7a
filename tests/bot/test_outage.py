"""Telling an outage from a bad event, and one warning per outage however it flaps."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from bot.outage import Outage, describe, is_outage


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_outages_and_bad_events_are_told_apart() -> None:
    assert is_outage(ConnectionRefusedError(111, "Connection refused"))
    assert is_outage(OperationalError("INSERT", {}, Exception("database or disk is full")))
    assert is_outage(OperationalError("SELECT", {}, Exception("database is locked")))
    assert not is_outage(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    assert not is_outage(DataError("INSERT", {"text": "secret"}, Exception("value too long")))
    assert not is_outage(ValueError("a bug in a flow"))


def test_the_description_never_carries_the_statement_or_its_parameters() -> None:
    error = DataError("INSERT INTO messages", {"text": "my card 4111"}, Exception("too long"))
    assert describe(error) == "Exception: too long"


def test_a_flapping_database_is_one_outage(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage(clock, settle=2.0)
    caplog.set_level(logging.WARNING, "bot.outage")
    for second in range(10):  # fails, works, fails, ... every half second
        clock.now = second * 0.5
        if second % 2:
            outage.recovered()
        else:
            outage.failed(OperationalError("x", {}, Exception("database or disk is full")))
        assert outage.ongoing
    clock.now = 10.0
    outage.recovered()
    assert not outage.ongoing
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("database unreachable (Exception: database or disk is full)")
    assert messages[1] == "database back after 10.0 s"
