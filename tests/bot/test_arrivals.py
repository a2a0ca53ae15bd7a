"""Events of one key leave in the order they entered, whatever their preparation takes;
other keys are not held up, and a place left after a failure does not block the line."""

from __future__ import annotations

import asyncio

from bot.arrivals import Arrivals


async def test_one_key_in_arrival_order_other_keys_free() -> None:
    arrivals = Arrivals()
    stored: list[str] = []

    async def arrive(key: str, name: str, preparing: float, fail: bool = False) -> None:
        place = arrivals.enter(key)
        try:
            await asyncio.sleep(preparing)
            if fail:
                raise ValueError(name)
            await place.turn()
            stored.append(name)
        finally:
            place.leave()

    results = await asyncio.gather(
        arrive("a", "a1", 0.05),
        arrive("a", "a2", 0.0, fail=True),
        arrive("a", "a3", 0.0),
        arrive("b", "b1", 0.0),
        return_exceptions=True,
    )
    assert stored == ["b1", "a1", "a3"]
    assert isinstance(results[1], ValueError)
    assert len(arrivals) == 0
