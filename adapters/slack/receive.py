"""Listening: the Bolt listeners that turn Slack events into core events.

DMs, mentions in the support channel, staff-channel messages (`message`,
`app_mention`) and button presses (`block_actions`) become `Inbound` / `Action` (see
`inbound.py` for which is which) and are handed to the core, which makes them durable.

Slack is acknowledged only after that (Bolt runs with `process_before_response`): the
HTTP 200 or the Socket Mode ack goes out once `hand_over` returned True. When the core
could not store an event within `PATIENCE` seconds (Slack's budget is 3), the answer
is a 503, which Socket Mode does not ack: Slack then sends the event again (up to three
times), and the core stores a redelivered event once. An unacknowledged button press
shows the user that the click failed, so it is not lost silently either. Events the
bot does not read (its own messages, other bots, edits, malformed payloads) are acked
at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.common import hand_over
from adapters.slack.buttons import ACTION_ID_PATTERN
from adapters.slack.inbound import (
    MalformedEvent,
    Pressed,
    Rooms,
    Said,
    pressed,
    said_in_mention,
    said_in_message,
)
from adapters.slack.people import People
from adapters.slack.staff import ChannelMembers
from bot.arrivals import Arrivals, Place
from bot.contract import Action, Core, Event, Inbound

_log = logging.getLogger("adapters.slack")

PLATFORM = "slack"
PATIENCE = 2.5  # seconds the core may take to store an event: Slack waits 3
NOT_STORED = 503
_STOP_GRACE = 5.0  # seconds drain() waits for events being handed over
_PLACE_TTL = 30.0  # seconds a place taken on arrival is kept for its listener

_Parsed = TypeVar("_Parsed", Said, Pressed)


class SlackReceiver:
    """The listening half of the adapter, for one Bolt app and one core."""

    def __init__(self, client: AsyncWebClient, rooms: Rooms, core: Core) -> None:
        self._client = client
        self._rooms = rooms
        self._core = core
        self._people = People(client)
        staff_channel = rooms.staff_channel
        self._members = ChannelMembers(client, staff_channel) if staff_channel else None
        self._handling: set[asyncio.Task[Any]] = set()
        self._arrivals = Arrivals()
        self._early: dict[str, Place] = {}  # places taken by note_arrival, by message ts

    def bolt_app(
        self, *, signing_secret: str, verify_requests: bool, identity: AsyncSlackResponse
    ) -> AsyncApp:
        """The Bolt app of our listeners. `identity` is the adapter's start-up auth.test:
        handed to Bolt as its authorization, it spares Bolt asking again for every event
        that arrives before its own first auth.test has answered (a burst of 200 events
        made 119 calls and as many new connections)."""
        authorized = AuthorizeResult.from_auth_test_response(
            auth_test_response=identity, bot_token=self._client.token
        )

        async def authorize() -> AuthorizeResult:
            return authorized

        app = AsyncApp(
            name="supportbot",
            # Without a token of its own Bolt takes `authorize`'s; with one it would
            # insist on its own auth.test.
            client=AsyncWebClient(
                base_url=self._client.base_url,
                timeout=self._client.timeout,
                session=self._client.session,
            ),
            authorize=authorize,
            signing_secret=signing_secret,
            request_verification_enabled=verify_requests,
            process_before_response=True,
        )
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.action(ACTION_ID_PATTERN)(self._on_button)
        return app

    async def drain(self) -> None:
        """Wait for the events being handed over (cancel them after a grace period)."""
        if self._handling:
            _, pending = await asyncio.wait(set(self._handling), timeout=_STOP_GRACE)
            for task in pending:
                task.cancel()

    async def _on_message(self, event: dict[str, Any]) -> BoltResponse | None:
        said = _read(said_in_message, event, self._rooms, "message")
        return None if said is None else await self._store_in_order(said)

    async def _on_mention(self, event: dict[str, Any]) -> BoltResponse | None:
        said = _read(said_in_mention, event, self._rooms, "app_mention")
        return None if said is None else await self._store_in_order(said)

    async def note_arrival(
        self, _client: Any, message: dict[str, Any], _raw: str | None = None
    ) -> None:
        """Take a message's place in its chat's line the moment its envelope arrives
        (Socket Mode calls this for every envelope, in order, before Bolt runs)."""
        said = _said_in_envelope(message, self._rooms)
        if said is None or said.message_id in self._early:
            return
        place = self._arrivals.enter(_order_key(said))
        self._early[said.message_id] = place
        # Should Bolt drop the event before a listener runs, the place still frees up.
        asyncio.get_running_loop().call_later(_PLACE_TTL, self._expire, said.message_id, place)

    def _expire(self, message_id: str, place: Place) -> None:
        if self._early.get(message_id) is place:
            del self._early[message_id]
        place.leave()

    async def _store_in_order(self, said: Said) -> BoltResponse | None:
        """Look the sender up, then store: a chat's messages in the order they came,
        however long each look-up (or Bolt's own middleware) takes."""
        place = self._early.pop(said.message_id, None) or self._arrivals.enter(_order_key(said))
        try:
            inbound = await self._inbound(said)
            await place.turn()
            return await self._store(inbound)
        finally:
            place.leave()

    async def _on_button(
        self, ack: Callable[[], Awaitable[None]], body: dict[str, Any]
    ) -> BoltResponse | None:
        press = _read(pressed, body, self._rooms, "block_actions")
        if press is not None:
            refused = await self._store(await self._action(press))
            if refused is not None:
                return refused
        await ack()
        return None

    async def _store(self, event: Event) -> BoltResponse | None:
        """None once the core stored `event` (Bolt then acks); else a 503, never acked."""
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            stored = await hand_over(self._core, event, _log, patience=PATIENCE)
        finally:
            if task is not None:
                self._handling.discard(task)
        return None if stored else BoltResponse(status=NOT_STORED, body="")

    async def _inbound(self, said: Said) -> Inbound:
        return Inbound(
            platform=PLATFORM,
            chat_id=said.chat_id,
            thread_id=said.thread_id,
            sender=await self._people.sender(said.user_id),
            text=said.text,
            message_id=said.message_id,
            from_staff_room=await self._is_staff(said.in_staff_room, said.user_id),
            reply_to=said.reply_to,
            formatted=said.formatted,
        )

    async def _action(self, press: Pressed) -> Action:
        return Action(
            platform=PLATFORM,
            chat_id=press.chat_id,
            thread_id=press.thread_id,
            sender=await self._people.sender(press.user_id),
            action_id=press.action_id,
            value=press.value,
            message_id=press.message_id,
            from_staff_room=await self._is_staff(press.in_staff_room, press.user_id),
            event_id=press.event_id,
        )

    async def _is_staff(self, in_staff_room: bool, user_id: str) -> bool:
        return in_staff_room and self._members is not None and await self._members.contains(user_id)


def _read(
    parse: Callable[[Mapping[str, Any], Rooms], _Parsed | None],
    payload: Mapping[str, Any],
    rooms: Rooms,
    kind: str,
) -> _Parsed | None:
    try:
        return parse(payload, rooms)
    except MalformedEvent as exc:
        _log.warning("dropped a malformed slack %s: %s", kind, exc)
        return None


def _order_key(said: Said) -> str:
    return f"{said.chat_id}:{said.thread_id or ''}"


def _said_in_envelope(message: Mapping[str, Any], rooms: Rooms) -> Said | None:
    """The message a Socket Mode envelope carries, if the listeners will read one."""
    payload = message.get("payload")
    event = payload.get("event") if isinstance(payload, Mapping) else None
    if message.get("type") != "events_api" or not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    parsers = {"message": said_in_message, "app_mention": said_in_mention}
    parse = parsers.get(kind) if isinstance(kind, str) else None
    if parse is None:
        return None
    try:
        return parse(event, rooms)
    except MalformedEvent:
        return None  # the listener logs it
