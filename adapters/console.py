"""The console: a text "platform" for trying the bot locally, playing both sides.

You start as the customer; `/agent` puts you in the staff room as an agent (inside
the newest ticket's thread), `/customer` takes you back, `/thread ID` picks a ticket
thread, a number presses that button of the last message shown to your side.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import TextIO

from adapters.common import hand_over
from bot.contract import (
    Action,
    Address,
    Button,
    Core,
    Event,
    Inbound,
    Outbound,
    Rich,
    Sender,
    SentRef,
    Style,
)
from bot.ids import parse_id
from bot.text import strip_controls

logger = logging.getLogger("adapters.console")

PLATFORM = "console"
CUSTOMER_CHAT = "customer"
HELP = (
    "You are the customer: type a question. Numbers press buttons.\n"
    "/agent: switch to the staff room as an agent   /customer: switch back\n"
    "/thread ID: work in that ticket thread (agent)   /quit: leave"
)


def render(text: Rich, *, ansi: bool) -> str:
    """Rich text for a terminal: control characters dropped, bold as ANSI when wanted."""
    parts = []
    for span in text:
        safe = strip_controls(span.text)
        if ansi and span.style is not Style.PLAIN:
            safe = f"\033[1m{safe}\033[0m"
        parts.append(safe)
    return "".join(parts)


def _new_id() -> str:
    return uuid.uuid4().hex[:8]


@dataclass
class _Side:
    buttons: tuple[Button, ...] = ()
    button_message: str = ""
    button_thread: str | None = None


@dataclass
class ConsoleAdapter:
    out: TextIO
    staff_chat_id: str
    customer: Sender = field(default_factory=lambda: Sender("customer-1", "Customer", "en"))
    agent: Sender = field(default_factory=lambda: Sender("agent-1", "Alex", "en"))
    ansi: bool = False
    platform: str = PLATFORM
    max_text_length: int = 4000
    as_agent: bool = False
    thread: str | None = None
    _core: Core | None = None
    _sides: dict[bool, _Side] = field(default_factory=lambda: {False: _Side(), True: _Side()})

    async def start(self, core: Core) -> None:
        self._core = core

    async def stop(self) -> None:
        self._core = None

    async def send(self, out: Outbound) -> SentRef:
        message_id = _new_id()
        thread_id = out.to.thread_id
        if out.open_thread is not None:
            thread_id = message_id
            self.thread = thread_id
        self._show(out, message_id, thread_id, edited=False)
        return SentRef(PLATFORM, out.to.chat_id, message_id, thread_id)

    async def edit(self, ref: SentRef, out: Outbound) -> None:
        self._show(out, ref.message_id, ref.thread_id, edited=True)

    def _show(self, out: Outbound, message_id: str, thread_id: str | None, *, edited: bool) -> None:
        staff = out.to.chat_id == self.staff_chat_id
        if staff:
            where = "staff room" + (f" · thread {thread_id}" if thread_id else "")
        else:
            where = "to customer"
        label = "edited " if edited else ""
        body = render(out.text, ansi=self.ansi).replace("\n", "\n    ")
        self.out.write(f"[{where}] {label}bot: {body}\n")
        if out.buttons:
            numbered = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(out.buttons, 1))
            self.out.write(f"    {numbered}\n")
            self._sides[staff] = _Side(out.buttons, message_id, thread_id)
        elif edited and self._sides[staff].button_message == message_id:
            self._sides[staff] = _Side()
        self.out.flush()

    async def type_line(self, line: str) -> bool:
        """Handle one typed line; False means the user wants to leave."""
        text = line.rstrip("\n")
        command = text.strip()
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self.out.write(HELP + "\n")
        elif command == "/agent":
            self.as_agent = True
            self.out.write(f"(you are now agent {self.agent.display_name}, thread {self.thread})\n")
        elif command == "/customer":
            self.as_agent = False
            self.out.write("(you are now the customer)\n")
        elif command.startswith("/thread"):
            self.thread = command.partition(" ")[2].strip() or None
            self.out.write(f"(working in thread {self.thread})\n")
        elif (number := parse_id(command)) is not None:
            await self._press(number)
        else:
            await self._deliver(self._message(text))
        self.out.flush()
        return True

    def _message(self, text: str) -> Inbound:
        if self.as_agent:
            return Inbound(
                PLATFORM,
                self.staff_chat_id,
                self.thread,
                self.agent,
                text,
                _new_id(),
                from_staff_room=True,
            )
        return Inbound(PLATFORM, CUSTOMER_CHAT, None, self.customer, text, _new_id())

    async def _press(self, number: int) -> None:
        side = self._sides[self.as_agent]
        if not 1 <= number <= len(side.buttons):
            self.out.write(f"(no button {number} here)\n")
            return
        button = side.buttons[number - 1]
        address = (
            Address(PLATFORM, self.staff_chat_id, side.button_thread)
            if self.as_agent
            else Address(PLATFORM, CUSTOMER_CHAT)
        )
        await self._deliver(
            Action(
                PLATFORM,
                address.chat_id,
                address.thread_id,
                self.agent if self.as_agent else self.customer,
                button.action_id,
                button.value,
                side.button_message,
                from_staff_room=self.as_agent,
            )
        )

    async def _deliver(self, event: Event) -> None:
        if not await hand_over(self._core, event, logger):
            self.out.write("(the bot could not take that; try again)\n")
