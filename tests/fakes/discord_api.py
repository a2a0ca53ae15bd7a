"""A fake Discord: REST API and gateway on 127.0.0.1 (port 0), for discord.py.

It serves one guild with a staff channel (and a staff role), a support channel and
another channel; it records every REST call by Discord's operation name
("create_message", "edit_message", "start_thread_from_message", ...), keeps the
messages and threads the bot creates, pushes gateway events to the connected bot,
and can answer the next calls of an operation with a failure (a 429 the way Discord
sends it: JSON body and `Via` header, so discord.py retries it itself), or carry a call
out and then lose its answer (`lose_answer_next`).

Like Discord, a message created with `enforce_nonce` and a nonce already used in that
channel is not created again: the answer is the message created first. A message that
already has a thread cannot start another (400, code 160004).

    async with FakeDiscord() as fake:
        section = DiscordSection(token=..., api_base_url=fake.api_url, ...)
        ...
        await fake.dispatch("MESSAGE_CREATE", fake.dm_message(fake.user(7), "hi"))
        call = await fake.wait_for_call("create_message")

`write` is how people write in a test that reads history: like Discord, the message
stays in its channel (`GET /channels/{id}/messages`) whether or not a bot is connected
to hear of it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.failures import FailurePlan
from tests.fakes.recorder import CallLog
from tests.fakes.server import LocalServer

TOKEN = "fake-discord-token"
TIMESTAMP = "2026-01-05T10:00:00.000000+00:00"
JSON = {"Content-Type": "application/json"}  # exactly: discord.py rejects a charset suffix
EPHEMERAL = 64

Payload = dict[str, Any]

_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/users/@me", "get_current_user"),
    ("GET", r"/oauth2/applications/@me", "get_current_application"),
    ("GET", r"/gateway/bot", "get_gateway_bot"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/roles", "get_roles"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", "get_member"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/members", "list_guild_members"),
    ("GET", r"/channels/(?P<channel_id>\d+)", "get_channel"),
    ("GET", r"/channels/(?P<channel_id>\d+)/messages", "get_channel_messages"),
    ("POST", r"/channels/(?P<channel_id>\d+)/messages", "create_message"),
    ("PATCH", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "edit_message"),
    (
        "POST",
        r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/threads",
        "start_thread_from_message",
    ),
    (
        "POST",
        r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
        "create_interaction_response",
    ),
    ("POST", r"/webhooks/(?P<application_id>\d+)/(?P<token>[^/]+)", "create_followup_message"),
    ("PUT", r"/applications/(?P<application_id>\d+)/commands", "bulk_overwrite_global_commands"),
]
_NO_AUTH = {"create_interaction_response", "create_followup_message"}


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any

    @property
    def json(self) -> Payload:
        assert isinstance(self.body, dict), f"{self.name} had no JSON object body"
        return self.body


@dataclass(frozen=True)
class _Failure:
    status: int
    body: Payload | None
    headers: dict[str, str] = field(default_factory=dict)
    disconnect: bool = False
    # Carry the call out, then hold the answer back `stall` seconds or drop the connection.
    lost_answer: bool = False
    stall: float | None = None


class FakeDiscord(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1_300_000_000_000_000_001)
        self.bot_id = self.new_id()
        self.application_id = self.new_id()
        self.guild_id = self.new_id()
        self.staff_channel_id = self.new_id()
        self.support_channel_id = self.new_id()
        self.other_channel_id = self.new_id()
        self.staff_role_id = self.new_id()
        self._log: CallLog[Call] = CallLog()
        self.calls = self._log.calls
        self.messages: dict[int, Payload] = {}  # created by the bot
        self.written: dict[int, Payload] = {}  # written by people (`write`)
        self.threads: dict[int, Payload] = {}
        self.dm_channels: dict[int, Payload] = {}
        self.nonces: dict[tuple[int, str], int] = {}  # (channel, nonce) -> message id
        self.identified = 0
        self.identify_intents: int | None = None  # the last IDENTIFY's intents bit set
        # The application's flags (GET /oauth2/applications/@me): the privileged intents
        # switched on in the Developer Portal, e.g. 1 << 19 for Message Content.
        self.application_flags = 0
        # The permissions of the role Discord gives the bot when it is invited (GET
        # /guilds/{id}/roles and /members/{bot}; not part of GUILD_CREATE here), and the
        # staff channel's permission overwrites (GET /channels/{id}).
        self.bot_role_id = 1_200_000_000_000_000_001  # outside new_id()'s range
        self.bot_permissions = 0
        self.staff_overwrites: list[Payload] = []
        self._failures: FailurePlan[_Failure] = FailurePlan()
        self._sockets: set[web.WebSocketResponse] = set()
        # The guild's members for GET /guilds/{id}/members (`member()` payloads), which
        # Discord answers only with the Server Members intent on in the Developer Portal.
        self.guild_members: list[Payload] = []
        self.members_intent = True
        self._sequence = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        return app

    async def _before_stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> int:
        return next(self._ids)

    # -- what the bot did --------------------------------------------------------

    def calls_of(self, name: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        return [c for c in self.calls if c.name == name and (where is None or where(c))]

    async def wait_for_call(
        self,
        name: str,
        *,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> Call:
        """The `count`-th call of operation `name` (that `where` accepts), once made."""
        await self._log.wait_until(lambda: len(self.calls_of(name, where)) >= count, timeout)
        return self.calls_of(name, where)[count - 1]

    async def wait_for_identify(self, count: int = 1, *, timeout: float = 5.0) -> None:
        await self._log.wait_until(lambda: self.identified >= count, timeout)

    # -- failures ----------------------------------------------------------------

    def fail_next(
        self,
        name: str,
        status: int,
        body: Payload | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._failures.add(name, _Failure(status, body, headers or {}), times)

    def rate_limit_next(self, name: str, retry_after: float, *, times: int = 1) -> None:
        """A 429 as Discord sends it; discord.py sleeps `retry_after` and retries it."""
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body |= {"global": False, "code": 0}
        headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after)))}
        self.fail_next(name, 429, body, times=times, headers=headers)

    def disconnect_next(self, name: str) -> None:
        """Drop the connection instead of answering the next call of `name`."""
        self._failures.add(name, _Failure(0, None, disconnect=True))

    def lose_answer_next(self, name: str, *, stall: float | None = None) -> None:
        """Carry out the next call of `name`, then hold its answer back `stall` seconds
        (the client times out) or, without `stall`, drop the connection."""
        self._failures.add(name, _Failure(0, None, lost_answer=True, stall=stall))

    def messages_in(self, channel_id: int | str) -> list[Payload]:
        """The messages created in a channel (or thread), oldest first."""
        return [m for _, m in sorted(self.messages.items()) if m["channel_id"] == str(channel_id)]

    def history(self, channel_id: int | str) -> list[Payload]:
        """Every message in a channel, the bot's and people's, oldest first."""
        every = self.messages | self.written
        return [m for _, m in sorted(every.items()) if m["channel_id"] == str(channel_id)]

    # -- REST --------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        routes = (
            (name, re.fullmatch(pattern, path))
            for method, pattern, name in _ROUTES
            if method == request.method
        )
        name, match = next(((n, m) for n, m in routes if m is not None), ("", None))
        if match is None:
            return self._json({"message": "404: Not Found", "code": 0}, 404)
        body: Any = await request.json() if request.can_read_body else None
        call = Call(name, request.method, path, match.groupdict(), dict(request.query), body)
        await self._log.record(call)
        if name not in _NO_AUTH and request.headers.get("Authorization") != f"Bot {TOKEN}":
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        failure = self._failures.take(name)
        if failure is not None and failure.disconnect:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if failure is not None and not failure.lost_answer:
            return self._json(failure.body or {}, failure.status, failure.headers)
        handler = getattr(self, f"_on_{name}")
        answer: web.Response = await handler(call)
        if failure is not None:
            if failure.stall is None:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            await asyncio.sleep(failure.stall)
        return answer

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        body = json.dumps(data).encode()
        return web.Response(body=body, status=status, headers=JSON | (headers or {}))

    async def _on_get_current_user(self, call: Call) -> web.Response:
        return self._json(self.bot_user())

    async def _on_get_current_application(self, call: Call) -> web.Response:
        return self._json(
            {
                "id": str(self.application_id),
                "name": "supportbot",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self.user(self.new_id(), "owner"),
                "verify_key": "0" * 64,
                "flags": self.application_flags,
            }
        )

    async def _on_get_gateway_bot(self, call: Call) -> web.Response:
        limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": limits})

    async def _on_get_roles(self, call: Call) -> web.Response:
        if int(call.params["guild_id"]) != self.guild_id:
            return self._json({"message": "Unknown Guild", "code": 10004}, 404)
        bot_role = {
            "id": str(self.bot_role_id),
            "name": "supportbot",
            "permissions": str(self.bot_permissions),
            "position": 1,
            "managed": True,
        }
        return self._json([*self.guild()["roles"], bot_role])

    async def _on_get_member(self, call: Call) -> web.Response:
        if int(call.params["guild_id"]) != self.guild_id or call.params["user_id"] != str(
            self.bot_id
        ):
            return self._json({"message": "Unknown Member", "code": 10007}, 404)
        member = self.member(self.bot_user(), staff=False)
        return self._json(member | {"roles": [str(self.bot_role_id)]})

    async def _on_list_guild_members(self, call: Call) -> web.Response:
        if not self.members_intent:
            return self._json({"message": "Missing Access", "code": 50001}, 403)
        after = int(call.query.get("after") or 0)
        limit = int(call.query.get("limit") or 1)
        later = [m for m in self.guild_members if int(m["user"]["id"]) > after]
        return self._json(sorted(later, key=lambda m: int(m["user"]["id"]))[:limit])

    async def _on_get_channel(self, call: Call) -> web.Response:
        channel = self.channel(int(call.params["channel_id"]))
        if channel is None:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel["id"] == str(self.staff_channel_id):
            channel = channel | {"permission_overwrites": self.staff_overwrites}
        return self._json(channel)

    async def _on_get_channel_messages(self, call: Call) -> web.Response:
        """Like Discord: with `after`, the oldest `limit` messages after it, newest first."""
        if self.channel(int(call.params["channel_id"])) is None:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404)
        after = int(call.query.get("after", 0))
        limit = min(int(call.query.get("limit", 50)), 100)
        later = [m for m in self.history(call.params["channel_id"]) if int(m["id"]) > after]
        return self._json(list(reversed(later[:limit])))

    async def _on_create_message(self, call: Call) -> web.Response:
        channel_id = int(call.params["channel_id"])
        if self.channel(channel_id) is None:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404)
        body = call.json
        nonce = (channel_id, str(body["nonce"])) if body.get("enforce_nonce") else None
        if nonce is not None and nonce in self.nonces:
            return self._json(self.messages[self.nonces[nonce]])
        reference = body.get("message_reference")
        message = self.message(
            channel_id,
            self.bot_user(),
            body.get("content") or "",
            components=body.get("components") or [],
            reference=int(reference["message_id"]) if reference else None,
        )
        self.messages[int(message["id"])] = message
        if nonce is not None:
            message["nonce"] = nonce[1]
            self.nonces[nonce] = int(message["id"])
        return self._json(message)

    async def _on_edit_message(self, call: Call) -> web.Response:
        message = self.messages.get(int(call.params["message_id"]))
        if message is None or message["channel_id"] != call.params["channel_id"]:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        for key in ("content", "components"):
            if key in call.json:
                message[key] = call.json[key] or ([] if key == "components" else "")
        message["edited_timestamp"] = TIMESTAMP
        return self._json(message)

    async def _on_start_thread_from_message(self, call: Call) -> web.Response:
        message_id = int(call.params["message_id"])
        if message_id not in self.messages:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        if message_id in self.threads:
            already = {"message": "A thread has already been created for this message"}
            return self._json(already | {"code": 160004}, 400)
        thread = {
            "id": str(message_id),  # Discord: a thread started from a message has its id
            "guild_id": str(self.guild_id),
            "parent_id": call.params["channel_id"],
            "owner_id": str(self.bot_id),
            "type": 11,
            "name": call.json["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": call.json.get("auto_archive_duration", 1440),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
        }
        self.threads[message_id] = thread
        self.messages[message_id]["thread"] = thread
        await self.dispatch("THREAD_CREATE", thread | {"newly_created": True})
        return self._json(thread, 201)

    async def _on_create_interaction_response(self, call: Call) -> web.Response:
        kind = call.json["type"]
        flags = (call.json.get("data") or {}).get("flags", 0)
        return self._json(
            {
                "interaction": {
                    "id": call.params["interaction_id"],
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & EPHEMERAL),
                },
                "resource": {"type": kind},
            }
        )

    async def _on_create_followup_message(self, call: Call) -> web.Response:
        message = self.message(self.staff_channel_id, self.bot_user(), call.json["content"])
        message["flags"] = call.json.get("flags", 0)
        return self._json(message)

    async def _on_bulk_overwrite_global_commands(self, call: Call) -> web.Response:
        commands = [
            command | {"id": str(self.new_id()), "application_id": str(self.application_id)}
            for command in call.body
        ]
        return self._json(commands)

    # -- gateway -----------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                if message["op"] == 1:
                    await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif message["op"] == 2:
                    await self._identify(socket, message["d"])
                elif message["op"] == 6:
                    await socket.send_json({"op": 9, "d": False, "s": None, "t": None})
        finally:
            self._sockets.discard(socket)
        return socket

    async def _identify(self, socket: web.WebSocketResponse, identify: Payload) -> None:
        if identify.get("token") != TOKEN:
            await socket.close(code=4004)
            return
        self.identify_intents = int(identify.get("intents", 0))
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": f"session-{self.identified}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
        }
        await self._send(socket, "READY", ready)
        await self._send(socket, "GUILD_CREATE", self.guild())
        self._sockets.add(socket)
        self.identified += 1
        await self._log.changed()

    async def _send(self, socket: web.WebSocketResponse, event: str, data: Payload) -> None:
        await socket.send_json({"op": 0, "t": event, "s": next(self._sequence), "d": data})

    async def dispatch(self, event: str, data: Payload) -> None:
        """Push a gateway event (MESSAGE_CREATE, INTERACTION_CREATE, ...) to the bot, if
        one is connected: like Discord, nothing is kept for a bot that is not."""
        for socket in list(self._sockets):
            if socket.closed:
                self._sockets.discard(socket)
                continue
            try:
                await self._send(socket, event, data)
            except ConnectionError:
                self._sockets.discard(socket)

    async def close_gateway(self, code: int) -> None:
        """Close every gateway connection with `code`, as Discord does (4014: a
        privileged intent the application may not use; 4004: the token was reset)."""
        for socket in list(self._sockets):
            await socket.close(code=code)

    async def write(self, message: Payload) -> None:
        """Someone writes `message`: it joins its channel's history, and a connected bot
        hears of it (MESSAGE_CREATE)."""
        self.written[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)

    # -- payloads ------------------------------------------------------------------

    def user(self, user_id: int, name: str = "customer", *, bot: bool = False) -> Payload:
        return {
            "id": str(user_id),
            "username": name,
            "global_name": name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
        }

    def bot_user(self) -> Payload:
        return self.user(self.bot_id, "supportbot", bot=True)

    def member(self, user: Payload, *, staff: bool) -> Payload:
        """Guild member data as Discord attaches it to events (no members intent)."""
        roles = [str(self.staff_role_id)] if staff else []
        return {
            "user": user,
            "roles": roles,
            "joined_at": TIMESTAMP,
            "nick": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "2248473465835073",
        }

    def text_channel(self, channel_id: int, name: str) -> Payload:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
        }

    def dm_channel(self, user: Payload) -> Payload:
        """The DM channel between the bot and `user` (one per user, like Discord)."""
        for channel in self.dm_channels.values():
            if channel["recipients"][0]["id"] == user["id"]:
                return channel
        channel = {"id": str(self.new_id()), "type": 1, "recipients": [user]}
        self.dm_channels[int(channel["id"])] = channel
        return channel

    def channel(self, channel_id: int) -> Payload | None:
        names = {
            self.staff_channel_id: "staff",
            self.support_channel_id: "support",
            self.other_channel_id: "general",
        }
        if channel_id in names:
            return self.text_channel(channel_id, names[channel_id])
        return self.threads.get(channel_id) or self.dm_channels.get(channel_id)

    def guild(self) -> Payload:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": "0",
            "position": 0,
        }
        staff = {"id": str(self.staff_role_id), "name": "staff", "permissions": "0", "position": 1}
        return {
            "id": str(self.guild_id),
            "name": "Support guild",
            "unavailable": False,
            "member_count": 3,
            "roles": [everyone, staff],
            "channels": [
                self.channel(c)
                for c in (self.staff_channel_id, self.support_channel_id, self.other_channel_id)
            ],
            "threads": list(self.threads.values()),
            "members": [self.member(self.bot_user(), staff=False)],
            "emojis": [],
            "stickers": [],
            "features": [],
        }

    def message(
        self,
        channel_id: int,
        author: Payload,
        content: str,
        *,
        member: Payload | None = None,
        components: list[Payload] | None = None,
        reference: int | None = None,
    ) -> Payload:
        """A message payload as MESSAGE_CREATE carries it (and REST returns it)."""
        in_guild = channel_id not in self.dm_channels
        message: Payload = {
            "id": str(self.new_id()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 19 if reference else 0,
            "flags": 0,
            "components": components or [],
        }
        if in_guild:
            message["guild_id"] = str(self.guild_id)
        if member is not None:
            message["member"] = {k: v for k, v in member.items() if k != "user"}
        if reference is not None:
            message["message_reference"] = {
                "message_id": str(reference),
                "channel_id": str(channel_id),
            }
            referenced = self.messages.get(reference)
            if referenced is not None:
                message["referenced_message"] = referenced
        return message

    def dm_message(self, user: Payload, content: str) -> Payload:
        return self.message(int(self.dm_channel(user)["id"]), user, content)

    def _interaction(
        self, kind: int, channel_id: int, user: Payload, member: Payload | None, data: Payload
    ) -> Payload:
        channel = self.channel(channel_id)
        assert channel is not None, f"no channel {channel_id}"
        interaction: Payload = {
            "id": str(self.new_id()),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"interaction-token-{self.new_id()}",
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "locale": "en-US",  # the clicking user's client language
            "app_permissions": "0",
            "attachment_size_limit": 8_388_608,
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if channel["type"] == 1:
            interaction |= {"user": user, "context": 1}
        else:
            assert member is not None, "a guild interaction carries member data"
            interaction |= {"guild_id": str(self.guild_id), "member": member, "context": 0}
        return interaction

    def button_click(
        self, message: Payload, custom_id: str, user: Payload, member: Payload | None = None
    ) -> Payload:
        """INTERACTION_CREATE for a press of button `custom_id` on `message`."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(3, int(message["channel_id"]), user, member, data) | {
            "message": message
        }

    def slash_command(
        self,
        channel_id: int,
        name: str,
        member: Payload,
        options: list[Payload] | None = None,
        resolved: Payload | None = None,
    ) -> Payload:
        data: Payload = {
            "id": str(self.new_id()),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        if resolved is not None:
            data["resolved"] = resolved
        return self._interaction(2, channel_id, member["user"], member, data)
