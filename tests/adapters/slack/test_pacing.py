"""The per-channel pacer, on a fake clock."""

from __future__ import annotations

import pytest

from adapters.slack.pacing import ChannelPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_burst_goes_out_at_once_then_one_per_second_per_channel() -> None:
    time = FakeTime()
    pacer = ChannelPacer(per_second=1.0, burst=3, clock=time.clock, sleep=time.sleep)

    for _ in range(5):
        await pacer.wait("C1")
    await pacer.wait("C2")

    assert time.slept == [pytest.approx(1.0), pytest.approx(1.0)]


async def test_an_idle_channel_gets_its_burst_back() -> None:
    time = FakeTime()
    pacer = ChannelPacer(per_second=2.0, burst=2, clock=time.clock, sleep=time.sleep)
    for _ in range(2):
        await pacer.wait("C1")
    time.now += 5.0
    for _ in range(2):
        await pacer.wait("C1")

    assert time.slept == []


def test_a_pacer_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError, match="per_second"):
        ChannelPacer(per_second=0)
    with pytest.raises(ValueError, match="burst"):
        ChannelPacer(burst=0)
