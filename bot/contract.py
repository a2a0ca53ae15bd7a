"""The contract between the core and the platform adapters.

The core speaks only in these frozen dataclasses. An adapter turns platform events
into `Inbound` / `Action`, and turns `Outbound` into platform calls. Text going out
is `Rich`: a tuple of styled spans. Customer text is always a plain span, so it can
never become markup: each adapter escapes every span for its own format and applies
the style itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"
    LINK = "link"  # `Span.url` is the target, `Span.text` the label


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = Style.PLAIN
    url: str | None = None  # only for Style.LINK: an http(s) or mailto address


Rich = tuple[Span, ...]


def plain(text: str) -> Rich:
    return (Span(text),)


def plain_text(rich: Rich) -> str:
    return "".join(span.text for span in rich)


@dataclass(frozen=True)
class Address:
    """Where a message lives: platform + chat (+ thread, when inside one)."""

    platform: str
    chat_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class Sender:
    user_id: str
    display_name: str
    locale: str | None = None


@dataclass(frozen=True)
class Inbound:
    """A message someone wrote.

    `from_staff_room` is True only when the adapter has verified both that the
    message came from the configured staff room and that the sender is staff there
    (channel member, staff role, group member).
    """

    platform: str
    chat_id: str
    thread_id: str | None
    sender: Sender
    text: str
    message_id: str
    from_staff_room: bool = False
    reply_to: str | None = None
    reply_to_bot: bool = False  # `reply_to` is a message the bot sent
    # The same message in its platform's markup where `text` lost the formatting
    # (Telegram entities as MarkdownV2); None: `text` itself is written in that markup
    # (Slack mrkdwn, Discord markdown). Read only for agents' words (bot/markup.py).
    formatted: str | None = None

    @property
    def address(self) -> Address:
        return Address(self.platform, self.chat_id, self.thread_id)


@dataclass(frozen=True)
class Action:
    """A button press. `message_id` is the message that carried the button.

    `event_id` is the platform's id of this one press (Slack `trigger_id`, Telegram
    callback query id, Discord interaction id): a redelivered press has the same one,
    so it is stored and handled once. Empty means the platform gave none.
    """

    platform: str
    chat_id: str
    thread_id: str | None
    sender: Sender
    action_id: str
    value: str
    message_id: str
    from_staff_room: bool = False
    event_id: str = ""

    @property
    def address(self) -> Address:
        return Address(self.platform, self.chat_id, self.thread_id)


Event = Inbound | Action


@dataclass(frozen=True)
class Button:
    """A button. `action_id` + `value` must fit in 60 bytes (Telegram's 64-byte callback data)."""

    label: str
    action_id: str
    value: str = ""


@dataclass(frozen=True)
class Outbound:
    """A message to send.

    `open_thread` asks the adapter to start a thread (or forum topic) on this
    message with that title; the returned `SentRef.thread_id` names it.

    `key` is stable across retries of the same message. `maybe_sent` says an earlier
    attempt may have reached the platform (a crash or a timeout mid-send): an adapter
    whose platform can tell (a Discord nonce, Slack message metadata) must then return
    the message already sent instead of sending it again.

    `private_to` (a user id) asks for a message only that person sees, where the
    platform can show one (Slack `chat.postEphemeral`, a Discord ephemeral follow-up to
    the interaction `answers` names); elsewhere it goes out as a reply to the message
    `answers` names (their message, or the one carrying the button they pressed).
    """

    to: Address
    text: Rich
    buttons: tuple[Button, ...] = field(default=())
    open_thread: str | None = None
    key: str | None = None
    maybe_sent: bool = False
    private_to: str | None = None
    answers: Answered | None = None


@dataclass(frozen=True)
class Answered:
    """What a private reply answers: the message written or pressed on, and the
    platform's id of the press (`Action.event_id`), if it was one."""

    message_id: str
    event_id: str = ""


@dataclass(frozen=True)
class SentRef:
    """A sent message: enough to edit it later, and the thread it lives in or opened."""

    platform: str
    chat_id: str
    message_id: str
    thread_id: str | None = None


class DeliveryError(Exception):
    """An adapter could not deliver a message.

    `retry_after` is the platform's wait hint in seconds (429); `permanent` means a
    retry cannot help (chat gone, bot blocked) and the message is parked instead;
    `maybe_sent` means the platform may have got it anyway (a timeout after the
    request went out), so the retry comes with `Outbound.maybe_sent`.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent
        self.maybe_sent = maybe_sent


class NotStored(Exception):
    """The core could not make an event durable (the database is unreachable).

    The adapter must then NOT acknowledge the event to the platform: Slack and Telegram
    send it again later; Discord, which never does, keeps it in a local spool.
    """


class Core(Protocol):
    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        """Make `event` durable (an inbox row), then return; it is handled soon after.

        Only after this returns may the adapter acknowledge the event to the platform.
        Receiving the same event again (same platform, chat and message id, or the same
        `Action.event_id`) is harmless: it is stored and handled once. While the
        database is unreachable it retries with backoff for up to `patience` seconds
        (None: as long as it takes), then raises `NotStored`.
        """
        ...


@dataclass(frozen=True)
class Agent:
    """Someone the platform counts as support staff. `handles` are the other names a
    mention may use (a Telegram @username), without the '@'."""

    user_id: str
    display_name: str
    handles: tuple[str, ...] = ()


@runtime_checkable
class ListsAgents(Protocol):
    """An adapter that can say who its agents are (staff channel members, staff role,
    staff group administrators); bot/agents.py caches the answer."""

    platform: str

    async def list_agents(self) -> list[Agent]: ...


class Adapter(Protocol):
    platform: str
    max_text_length: int

    async def start(self, core: Core) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, out: Outbound) -> SentRef: ...

    async def edit(self, ref: SentRef, out: Outbound) -> None: ...
