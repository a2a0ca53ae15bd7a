"""A platform that records what the core sends: for engine tests with no network.

It is an Adapter like the real ones (sends get ids, threads open on cards), and it
can be told to fail the next sends, the way a platform answers 429 or 500.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from bot.contract import (
    Action,
    Core,
    DeliveryError,
    Event,
    Inbound,
    Outbound,
    Sender,
    SentRef,
    plain_text,
)


@dataclass
class Sent:
    ref: SentRef
    out: Outbound
    edited: bool = False
    at: float = field(default_factory=time.perf_counter)  # when it was sent (benchmarks)

    @property
    def text(self) -> str:
        return plain_text(self.out.text)


@dataclass
class RecordingAdapter:
    platform: str = "test"
    max_text_length: int = 4000
    core: Core | None = None
    sent: list[Sent] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    # Wait until the core has handled each event (not only stored it), so a test sees
    # its effects at once; a benchmark turns it off to send concurrently.
    handled_before_return: bool = True
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self, core: Core) -> None:
        self.core = core

    async def hand_over(self, event: Event) -> None:
        assert self.core is not None
        await self.core.receive(event)
        idle = getattr(self.core, "idle", None)
        if self.handled_before_return and idle is not None:
            await idle()

    async def stop(self) -> None:
        self.core = None

    async def send(self, out: Outbound) -> SentRef:
        if self.failures:
            raise self.failures.pop(0)
        message_id = f"m{next(self._ids)}"
        thread_id = message_id if out.open_thread else out.to.thread_id
        ref = SentRef(self.platform, out.to.chat_id, message_id, thread_id)
        self.sent.append(Sent(ref, out))
        return ref

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(ref, out, edited=True))

    def to_chat(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.ref.chat_id == chat_id]

    def last(self, chat_id: str) -> Sent:
        return self.to_chat(chat_id)[-1]


class Person:
    """Someone typing and clicking on the recording platform."""

    def __init__(
        self,
        adapter: RecordingAdapter,
        chat_id: str,
        sender: Sender,
        *,
        staff: bool = False,
    ) -> None:
        self.adapter = adapter
        self.chat_id = chat_id
        self.sender = sender
        self.staff = staff
        self._ids = itertools.count(1)

    async def says(self, text: str, thread_id: str | None = None) -> None:
        message_id = f"{self.sender.user_id}-{next(self._ids)}"
        await self.adapter.hand_over(
            Inbound(
                self.adapter.platform,
                self.chat_id,
                thread_id,
                self.sender,
                text,
                message_id,
                from_staff_room=self.staff,
            )
        )

    async def presses(self, sent: Sent, label_or_action: str) -> None:
        for button in sent.out.buttons:
            if label_or_action in (button.label, button.action_id):
                await self.adapter.hand_over(
                    Action(
                        self.adapter.platform,
                        self.chat_id,
                        sent.ref.thread_id,
                        self.sender,
                        button.action_id,
                        button.value,
                        sent.ref.message_id,
                        from_staff_room=self.staff,
                    )
                )
                return
        raise AssertionError(f"no button {label_or_action!r} in {sent.out.buttons}")
