"""The fake Slack of the burst bench, timing each question to its answer, in a process
of its own (`python -m bench.slack_fake_process CUSTOMERS QUESTIONS SHARE FLOOD`).

Slack does not run inside the bot, so the fake must not either: served from the bot's
process it would take a share of that process's one core (its websocket pushes, its
HTTP handling), and the bench would time the fake as much as the bot. The protocol is
one JSON line each way on stdout: `{"base_url": ...}` once the fake listens, then, once
the burst is over and every envelope it sent is acked, the figures (`Timings`). The
fake keeps serving until its stdin closes, so the bot is stopped while Slack is still up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from tests.fakes.slack_api import FakeSlack, Route
from tests.system.burst import ASKED

WAIT_SECONDS = 90.0  # for all answers of one run
SLACK_BURST = 4  # posts to one channel at once before the pacer spaces them a second apart
ANSWER_SECONDS = 3.5  # the bot answers an envelope within Slack's 3 s ack budget


@dataclass(frozen=True)
class Timings:
    questions: int
    seconds: float  # first question pushed to last answer recorded
    latency_ms: list[float]  # sorted
    unpaced_ms: list[float]  # sorted: each customer's first SLACK_BURST answers
    refused: int  # 429s the fake gave


class TimedSlack(FakeSlack):
    """The fake Slack, noting when each answer is posted (as the post is carried out),
    and refusing the call after a successful post with probability `refuse_after`."""

    def __init__(self, refuse_after: float) -> None:
        super().__init__()
        self._refuse_after = refuse_after
        self._random = random.Random(11)
        self.asked: dict[tuple[str, str], float] = {}
        self.answered: dict[tuple[str, str], float] = {}
        self._progress = asyncio.Event()
        self.last_push = time.perf_counter()

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        now = time.perf_counter()
        channel, text = str(args.get("channel", "")), str(args.get("text", ""))
        for question, answer in ASKED.items():
            if answer in text:
                self.answered.setdefault((channel, question), now)
                self._progress.set()
        if self._random.random() < self._refuse_after:
            self.fail_next("chat.postMessage", status=429, retry_after=1)
        return super()._m_chat_postMessage(args)

    @property
    def refused(self) -> int:
        return sum(call.status == 429 for call in self.calls_of("chat.postMessage"))

    async def ask(self, user_id: str, dm: str, questions: list[str]) -> None:
        for question in questions:
            self.asked[(dm, question)] = time.perf_counter()
            await self.push_event(self.message_event(dm, user_id, question))

    async def until_answered(self) -> None:
        await self.until_open_below(1)

    async def until_open_below(self, limit: int) -> None:
        """Until fewer than `limit` questions asked wait for their answer."""
        async with asyncio.timeout(WAIT_SECONDS):
            while len(self.asked) - len(self.answered) >= limit:
                self._progress.clear()
                await self._progress.wait()

    async def _push(self, envelope: dict[str, Any], to: Route = "newest") -> str:
        self.last_push = time.perf_counter()
        return await super()._push(envelope, to)

    async def until_bot_quiet(self) -> None:
        """Until the bot's Socket Mode client has worked through the envelopes sent to it
        (it queues them, and a flood leaves a backlog of redeliveries): every envelope is
        acked, or nothing was sent or acked for ANSWER_SECONDS (an envelope the core could
        not store in time gets a 503 within Slack's 3 s, never an ack). Stopping the bot
        earlier makes its listeners ack on a closing socket."""

        def all_acked() -> bool:
            return all(envelope["envelope_id"] in self.acks for envelope in self.envelopes)

        async with asyncio.timeout(WAIT_SECONDS):
            while not all_acked():
                acked = len(self.acks)

                def moved(seen: int = acked) -> bool:
                    return all_acked() or len(self.acks) != seen

                try:
                    await self._log.wait_until(moved, ANSWER_SECONDS)
                except TimeoutError:
                    if time.perf_counter() - self.last_push >= ANSWER_SECONDS:
                        return

    def latencies(self) -> tuple[list[float], list[float]]:
        """Question to answer, ms, sorted: all answers, and each DM's first SLACK_BURST."""
        every: list[float] = []
        unpaced: list[float] = []
        per_dm: dict[str, int] = {}
        for key, answered in sorted(self.answered.items(), key=lambda item: item[1]):
            if key not in self.asked:
                continue
            latency = (answered - self.asked[key]) * 1000.0
            every.append(latency)
            per_dm[key[0]] = per_dm.get(key[0], 0) + 1
            if per_dm[key[0]] <= SLACK_BURST:
                unpaced.append(latency)
        return sorted(every), sorted(unpaced)


async def _flood(fake: TimedSlack, messages: int) -> None:
    """One more customer sends `messages` messages as fast as the socket takes them."""
    fake.add_user("UFLOOD", "flooder")
    for number in range(messages):
        await fake.push_event(fake.message_event("DFLOOD", "UFLOOD", f"spam {number}"))


async def burst(customers: int, per_customer: int, share: float, flood: int) -> None:
    questions = list(ASKED)[:per_customer]
    people = [(f"UB{n:02d}", f"DB{n:02d}") for n in range(customers)]
    # A refusal planned after a success with probability share / (1 - share): `share`
    # of all calls are refused.
    async with TimedSlack(refuse_after=share / (1.0 - share)) as fake:
        for user_id, _ in people:
            fake.add_user(user_id, user_id.lower())
        _say({"base_url": fake.base_url})
        await fake.wait_connections(1, timeout=WAIT_SECONDS)
        began = time.perf_counter()
        await asyncio.gather(_flood(fake, flood), *(fake.ask(u, dm, questions) for u, dm in people))
        with contextlib.suppress(TimeoutError):  # the table shows what was answered
            await fake.until_answered()
        await fake.wait_redelivered(timeout=WAIT_SECONDS)  # no redelivery still due
        with contextlib.suppress(TimeoutError):
            await fake.until_bot_quiet()
        latency, unpaced = fake.latencies()
        last = max(fake.answered.values(), default=began)
        _say(asdict(Timings(len(fake.asked), last - began, latency, unpaced, fake.refused)))
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    customers, per_customer, share, flood = sys.argv[1:5]
    asyncio.run(burst(int(customers), int(per_customer), float(share), int(flood)))
