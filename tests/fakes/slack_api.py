"""A fake Slack: the Web API and a Socket Mode websocket on 127.0.0.1 (port 0).

It speaks the wire protocol the real slack-sdk / slack-bolt use, so tests drive the real
libraries end to end:

- Web API: `POST|GET /api/<method>` with `Authorization: Bearer <token>`; JSON, form or
  query arguments; answers `{"ok": true, ...}` or `{"ok": false, "error": ...}`. Every
  call is recorded; `await fake.wait_for_call("chat.postMessage")` returns the next one
  not yet taken. `fail_next(method, times, status=429, retry_after=...)` injects failures;
  `lose_answer_next(method, stall=...)` carries a call out, then stalls its answer (the
  client times out) or drops the connection. Failures of one method come in the order
  they were injected.
- Posted messages keep their `metadata`; `conversations.history` (newest first) and
  `conversations.replies` (the thread's parent and replies, oldest first, paged by
  cursor) return it with `include_all_metadata`.
- Socket Mode: `apps.connections.open` hands out `ws://…/link`; the fake sends `hello`,
  pushes envelopes (`push_event`, `push_interactive`) and records the acks. Several
  connections may be open at once (as Slack allows): an envelope goes to the newest one,
  round-robin (`to="next"`), or to every one (`to="all"`, as when Slack redelivers).
- Slack's redelivery: an `events_api` envelope not acked within `ack_timeout` seconds
  is sent again (a new envelope id, `retry_attempt` 1, 2, 3, `retry_reason` "timeout")
  to the newest connection, after the pauses in `retry_pauses`. Every envelope waits up
  to `reconnect_wait` seconds for a connection (the bot may be restarting). Over HTTP,
  `deliver_event(url, event)` posts a signed event as Slack does and repeats it, with
  `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, while the answer is not a 2xx within
  `ack_timeout` seconds; `deliver_press(url, payload)` posts a button press once (Slack
  shows the user a failed click instead of retrying). `envelopes` and `http_attempts`
  record every delivery attempt.
- Inbound traffic for HTTP mode can also be built here and signed with
  `signed_headers`.
- `conversations.info` answers for the channels `add_channel` made (is the app a
  member); with `scopes` set, every answer to the bot token carries them in the
  `x-oauth-scopes` header, as Slack's do.

Messages the bot posts are kept, so `press(...)` can build a real `block_actions`
payload for a button of a message the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.failures import FailurePlan
from tests.fakes.recorder import CallLog
from tests.fakes.server import LocalServer

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"
APP_ID = "A0001"


@dataclass(frozen=True)
class Call:
    """One Web API call and the answer the fake gave (recorded once answered)."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int
    answer: dict[str, Any]


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int | None
    # The call is carried out, then its answer is lost: held back `stall` seconds, or
    # (None) the connection is dropped.
    lost_answer: bool = False
    stall: float | None = None


@dataclass
class _Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None


Route = Literal["newest", "next", "all"]


@dataclass(frozen=True)
class HttpAttempt:
    """One POST to the bot: the event (or trigger) id, the retry number, the answer's
    status (None: no answer in time, or no connection)."""

    event_id: str
    retry_num: int
    status: int | None


class FakeSlack(LocalServer):
    def __init__(
        self,
        *,
        members_page_size: int = 2,
        ack_timeout: float = 3.0,
        retry_pauses: tuple[float, ...] = (0.05, 0.2, 0.5),
        reconnect_wait: float = 5.0,
    ) -> None:
        super().__init__(shutdown_timeout=0.5)
        self.ack_timeout = ack_timeout
        self.retry_pauses = retry_pauses
        self.reconnect_wait = reconnect_wait
        self.envelopes: list[dict[str, Any]] = []
        self.http_attempts: list[HttpAttempt] = []
        self._redeliveries: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._log: CallLog[Call] = CallLog()
        self.calls = self._log.calls
        self.users: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.messages: dict[tuple[str, str], _Message] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.members_page_size = members_page_size
        # Channels `conversations.info` knows: id -> {"name", "is_member", "is_private"}.
        self.channels: dict[str, dict[str, Any]] = {}
        # The bot token's scopes, sent in every answer's x-oauth-scopes header when set.
        self.scopes: list[str] | None = None
        self._failures: FailurePlan[_Failure] = FailurePlan()
        self._sockets: list[web.WebSocketResponse] = []
        self._round_robin = itertools.count()
        self._clock = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._link)
        return app

    async def _before_stop(self) -> None:
        for task in list(self._redeliveries):
            task.cancel()
        await asyncio.gather(*self._redeliveries, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        for ws in list(self._sockets):
            await ws.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # -- set-up ----------------------------------------------------------------

    def add_user(
        self, user_id: str, name: str, *, display_name: str = "", locale: str = "en-US"
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "locale": locale,
            "profile": {"display_name": display_name, "real_name": name.title()},
        }

    def add_channel(
        self, channel_id: str, name: str, *, member: bool = True, private: bool = False
    ) -> None:
        """A channel `conversations.info` answers for; `member`: the app is in it."""
        self.channels[channel_id] = {"name": name, "is_member": member, "is_private": private}

    async def drop_connections(self) -> None:
        """Close every Socket Mode connection (the client then asks for a new one)."""
        for ws in list(self._sockets):
            await ws.close()

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` fail with this status / error."""
        self._failures.add(method, _Failure(status, error, retry_after), times)

    def lose_answer_next(self, method: str, times: int = 1, *, stall: float | None = None) -> None:
        """The next `times` calls of `method` are carried out (and recorded), but the
        answer is held back `stall` seconds, or, without `stall`, the connection drops."""
        failure = _Failure(200, "", None, lost_answer=True, stall=stall)
        self._failures.add(method, failure, times)

    def add_message(self, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """A message someone else wrote in `channel` (or its thread); returns its ts."""
        message = _Message(channel=channel, ts=self.next_ts(), text=text, thread_ts=thread_ts)
        self.messages[(channel, message.ts)] = message
        return message.ts

    def messages_in(self, channel: str, *, thread_ts: str | None = None) -> list[_Message]:
        """The messages in `channel` (top level, or the replies in thread `thread_ts`),
        oldest first."""
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.channel == channel and m.thread_ts == thread_ts
            ),
            key=lambda m: float(m.ts),
        )

    # -- what the bot did --------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_call(
        self,
        method: str,
        match: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
    ) -> Call:
        """The first recorded call of `method` (matching `match`) not returned before."""
        return await self._log.take(
            lambda call: call.method == method and (match is None or match(call)), timeout
        )

    async def wait_redelivered(self, *, timeout: float = 5.0) -> None:
        """Until no Socket Mode envelope waits for an ack or a redelivery any more."""
        if self._redeliveries:
            await asyncio.wait(set(self._redeliveries), timeout=timeout)

    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        await self._log.wait_until(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        return any(not ws.closed for ws in self._sockets)

    @property
    def connections(self) -> int:
        """How many Socket Mode connections are open."""
        return sum(not ws.closed for ws in self._sockets)

    async def wait_connections(self, count: int, *, timeout: float = 5.0) -> None:
        """Until exactly `count` Socket Mode connections are open."""
        await self._log.wait_until(lambda: self.connections == count, timeout)

    async def wait_disconnected(self, *, timeout: float = 5.0) -> None:
        await self._log.wait_until(lambda: not self._sockets, timeout)

    # -- inbound traffic ---------------------------------------------------------

    def next_ts(self) -> str:
        n = next(self._clock)
        return f"{1_700_000_000 + n}.{n:06d}"

    def message_event(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        channel_type: str = "im",
        thread_ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "channel_type": channel_type,
            "user": user,
            "text": text,
            "ts": self.next_ts(),
            "team": TEAM_ID,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        event.update(extra)
        return event

    def mention_event(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None
    ) -> dict[str, Any]:
        event = self.message_event(channel, user, f"<@{BOT_USER_ID}> {text}", thread_ts=thread_ts)
        event["type"] = "app_mention"
        del event["channel_type"]
        return event

    def event_callback(
        self, event: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._clock):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }

    def press(self, channel: str, ts: str, user: str, label: str) -> dict[str, Any]:
        """A `block_actions` payload: `user` clicks the button `label` of a bot message."""
        message = self.messages[(channel, ts)]
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    action = element
                    break
            else:
                continue
            break
        else:
            raise AssertionError(f"no button {label!r} on {channel}/{ts}")
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        posted: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
            "text": message.text,
            "blocks": message.blocks,
        }
        if message.thread_ts is not None:
            container["thread_ts"] = message.thread_ts
            posted["thread_ts"] = message.thread_ts
        return {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": f"{next(self._clock)}.trigger",
            "channel": {"id": channel, "name": channel.lower()},
            "message": posted,
            "response_url": f"http://127.0.0.1:{self.port}/respond",
            "actions": [
                {
                    "type": "button",
                    "action_id": action["action_id"],
                    "block_id": "b0",
                    "text": action["text"],
                    "value": action["value"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    async def push_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int | None = None,
        to: Route = "newest",
    ) -> str:
        """Send an Events API envelope over Socket Mode; returns its envelope id."""
        envelope: dict[str, Any] = {
            "type": "events_api",
            "payload": self.event_callback(event, event_id=event_id),
            "accepts_response_payload": False,
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout"
        envelope_id = await self._push(envelope, to)
        task = asyncio.create_task(self._redeliver_unacked(envelope))
        self._redeliveries.add(task)
        task.add_done_callback(self._redeliveries.discard)
        return envelope_id

    async def push_interactive(self, payload: dict[str, Any], *, to: Route = "newest") -> str:
        return await self._push(
            {"type": "interactive", "payload": payload, "accepts_response_payload": False}, to
        )

    async def push_raw(self, envelope: dict[str, Any]) -> str:
        """Send any envelope (e.g. a malformed one); an envelope id is added when absent."""
        return await self._push(envelope)

    async def _redeliver_unacked(self, envelope: dict[str, Any]) -> None:
        """Send `envelope` again while none of its deliveries was acked, as Slack does."""
        sent = [str(envelope["envelope_id"])]
        for attempt, pause in enumerate(self.retry_pauses, start=1):
            try:
                await self._log.wait_until(
                    lambda: any(e in self.acks for e in sent), self.ack_timeout
                )
                return
            except TimeoutError:
                await asyncio.sleep(pause)
            again = {
                **envelope,
                "envelope_id": f"env-{next(self._clock)}",
                "retry_attempt": attempt,
                "retry_reason": "timeout",
            }
            sent.append(str(again["envelope_id"]))
            try:
                await self._push(again, "newest")
            except (TimeoutError, ConnectionError):
                continue  # no connection, or it closed under us: the next attempt may land

    async def deliver_event(
        self, url: str, event: dict[str, Any], *, event_id: str | None = None
    ) -> int | None:
        """POST `event` to the bot's Events API as Slack does, repeating it (at most
        `len(retry_pauses)` times) until the answer is a 2xx; the last status, or None."""
        body = json.dumps(self.event_callback(event, event_id=event_id))
        key = str(json.loads(body)["event_id"])
        status = await self._post_once(url, body, key, 0, {})
        for retry, pause in enumerate(self.retry_pauses, start=1):
            if status is not None and 200 <= status < 300:
                break
            await asyncio.sleep(pause)
            reason = "http_timeout" if status is None else "http_error"
            extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": reason}
            status = await self._post_once(url, body, key, retry, extra)
        return status

    async def deliver_press(self, url: str, payload: dict[str, Any]) -> int | None:
        """POST a `block_actions` payload once; the status, or None when none came in time."""
        body = form_body(payload)
        key = str(payload.get("trigger_id", ""))
        return await self._post_once(url, body, key, 0, {}, form=True)

    async def _post_once(
        self,
        url: str,
        body: str,
        key: str,
        retry_num: int,
        extra: dict[str, str],
        *,
        form: bool = False,
    ) -> int | None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        content_type = "application/x-www-form-urlencoded" if form else "application/json"
        headers = signed_headers(body, content_type=content_type) | extra
        status: int | None = None
        try:
            async with self._http.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.ack_timeout),
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        self.http_attempts.append(HttpAttempt(key, retry_num, status))
        await self._log.changed()
        return status

    async def _push(self, envelope: dict[str, Any], to: Route = "newest") -> str:
        envelope.setdefault("envelope_id", f"env-{next(self._clock)}")
        self.envelopes.append(envelope)
        while True:
            await self._log.wait_until(lambda: self.connected, self.reconnect_wait)
            open_sockets = [ws for ws in self._sockets if not ws.closed]
            if not open_sockets:  # the socket seen open may close before we get to it
                continue
            if to == "all":
                targets = open_sockets
            elif to == "next":
                targets = [open_sockets[next(self._round_robin) % len(open_sockets)]]
            else:
                targets = [open_sockets[-1]]
            try:
                for socket in targets:
                    await socket.send_json(envelope)
            except ConnectionResetError:
                # Closing under us (a killed bot): Slack sends it on another connection.
                await asyncio.sleep(0.05)
                continue
            break
        return str(envelope["envelope_id"])

    # -- the server ----------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": self.connections,
                "debug_info": {"host": "fake-slack"},
                "connection_info": {"app_id": APP_ID},
            }
        )
        await self._log.changed()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if isinstance(data, dict) and "envelope_id" in data:
                    self.acks[str(data["envelope_id"])] = data
                    await self._log.changed()
        self._sockets.remove(ws)
        await self._log.changed()
        return ws

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        failure = self._failures.take(method)
        if failure is not None and not failure.lost_answer:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            status, answer = failure.status, {"ok": False, "error": failure.error}
        else:
            status, answer, headers = self._answer(method, args, token)
        await self._log.record(Call(method, args, token, status, answer))
        if failure is not None and failure.lost_answer:
            if failure.stall is None:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            await asyncio.sleep(failure.stall)
        return web.Response(
            status=status, text=json.dumps(answer), content_type="application/json", headers=headers
        )

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        answer: dict[str, Any] = handler(args)
        if self.scopes is not None and expected == BOT_TOKEN:
            return 200, answer, {"x-oauth-scopes": ",".join(self.scopes)}
        return 200, answer, {}

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "supportbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        message = _Message(
            channel=channel,
            ts=self.next_ts(),
            text=str(args.get("text", "")),
            blocks=_blocks(args.get("blocks")),
            thread_ts=args.get("thread_ts"),
            metadata=_json_object(args.get("metadata")),
        )
        self.messages[(channel, message.ts)] = message
        return {"ok": True, "channel": channel, "ts": message.ts, "message": _as_event(message)}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        top_level = [
            m
            for m in self.messages.values()
            if m.channel == channel and m.thread_ts in (None, m.ts)
        ]
        newest_first = sorted(top_level, key=lambda m: float(m.ts), reverse=True)
        return _page(newest_first, args)

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel", "")), str(args.get("ts", "")))
        parent = self.messages.get(key)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        replies = [
            m for m in self.messages.values() if m.channel == key[0] and m.thread_ts == key[1]
        ]
        return _page([parent, *sorted(replies, key=lambda m: float(m.ts))], args)

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel", "")), str(args.get("ts", "")))
        message = self.messages.get(key)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(args.get("text", ""))
        message.blocks = _blocks(args.get("blocks"))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message.text}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """Shown to `user` only, and kept nowhere (Slack cannot return it later)."""
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self.next_ts()}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        known = self.channels.get(channel)
        if known is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": known["name"],
                "is_channel": not known["is_private"],
                "is_group": known["is_private"],
                "is_private": known["is_private"],
                "is_member": known["is_member"],
            },
        }

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        everyone = self.members[channel]
        start = int(args.get("cursor") or 0)
        size = min(int(args.get("limit") or 100), self.members_page_size)
        end = start + size
        next_cursor = str(end) if end < len(everyone) else ""
        return {
            "ok": True,
            "members": everyone[start:end],
            "response_metadata": {"next_cursor": next_cursor},
        }


def rich_text_elements(call: Call) -> list[dict[str, Any]]:
    """The inline elements of the rich_text blocks of the message a call posted or updated."""
    return [
        element
        for block in call.args["blocks"]
        if block["type"] == "rich_text"
        for section in block["elements"]
        for element in section["elements"]
    ]


def button_values(call: Call) -> list[str]:
    """The values of the buttons of the message a call posted or updated, in order."""
    return [
        element["value"]
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The headers Slack sends with an Events API / interactivity request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def form_body(payload: dict[str, Any]) -> str:
    """How Slack posts interactivity payloads: a form with one `payload` field."""
    return urlencode({"payload": json.dumps(payload)})


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return list(raw) if isinstance(raw, list) else []


def _json_object(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return dict(raw) if isinstance(raw, dict) else None


def _page(messages: list[_Message], args: dict[str, Any]) -> dict[str, Any]:
    """One page of `messages` as conversations.history / .replies answer it."""
    start = int(args.get("cursor") or 0)
    end = start + int(args.get("limit") or 100)
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    shown = []
    for message in messages[start:end]:
        event = _as_event(message)
        if with_metadata and message.metadata is not None:
            event["metadata"] = message.metadata
        shown.append(event)
    more = end < len(messages)
    return {
        "ok": True,
        "messages": shown,
        "has_more": more,
        "response_metadata": {"next_cursor": str(end) if more else ""},
    }


def _as_event(message: _Message) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": message.text,
        "ts": message.ts,
        "blocks": message.blocks,
    }
    if message.thread_ts is not None:
        event["thread_ts"] = message.thread_ts
    return event
