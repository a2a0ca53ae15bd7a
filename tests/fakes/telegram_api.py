"""A fake Telegram Bot API server on 127.0.0.1 (port 0) for driving python-telegram-bot.

It speaks the real wire protocol (`POST /bot<TOKEN>/<method>`, form fields whose
non-string values are JSON, replies `{"ok": ..., "result": ...}`), keeps the state
the adapter relies on (chats, members, forum topics, sent messages and their inline
keyboards), parses the HTML parse mode like Telegram does (unknown tags and unclosed
tags are refused; '@name' becomes a mention entity), records every call, long-polls
getUpdates with real offset semantics, posts to a registered webhook, and injects
failures (429 with retry_after, 5xx, stalls) for the next N calls of a method, or
at random for a share of them.

Like the real Bot API it redelivers every update not confirmed: in polling mode an
update stays until a getUpdates asks for an offset past it; once a webhook is set,
queued updates are POSTed to it (one chat's in order, up to `max_connections` at
once) and an update answered with anything but 2xx (or not at all) is POSTed again.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tests.fakes.failures import FailurePlan
from tests.fakes.recorder import CallLog
from tests.fakes.server import LocalServer

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
BOT_USERNAME = "support_test_bot"
MAX_POLL_SECONDS = 1.0
MAX_TEXT = 4096
MAX_ANSWER_TEXT = 200
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONNECTIONS = 40
WEBHOOK_TIMEOUT = 30.0
WEBHOOK_RETRY = (0.05, 1.0)  # first wait, longest wait between redeliveries of one update

_ALLOWED_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{4,32}(?![A-Za-z0-9_])")


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class ApiCall:
    """One answered request: the raw form fields, the HTTP status and the result sent back."""

    method: str
    params: dict[str, str]
    index: int
    status: int = 200
    result: Any = None

    def json(self, key: str) -> Any:
        return json.loads(self.params[key])

    def get(self, key: str) -> str | None:
        return self.params.get(key)


@dataclass(frozen=True)
class _Failure:
    status: int
    description: str
    retry_after: int | None = None
    stall: float = 0.0


@dataclass
class _Chat:
    data: dict[str, Any]
    members: dict[int, str] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    blocked: bool = False
    rights: dict[int, set[str]] = field(default_factory=dict)  # admins' extra rights


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class _TelegramHtml(HTMLParser):
    """Telegram's HTML parse mode: a few tags, four named entities, everything closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag {tag}")
        self._open.append((tag, _u16(self.text), dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise ApiError(400, f"Bad Request: can't parse entities: Unexpected end tag {tag}")
        _, start, attrs = self._open.pop()
        entity: dict[str, Any] = {
            "type": _ALLOWED_TAGS[tag],
            "offset": start,
            "length": _u16(self.text) - start,
        }
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("tg://user"):
            entity = {**entity, "type": "text_mention"}
        elif tag == "a":
            entity["url"] = href
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise ApiError(400, f"Bad Request: can't parse entities: Unsupported entity {name}")
        self.text += _NAMED_ENTITIES[name]

    def handle_charref(self, name: str) -> None:
        number = int(name[1:], 16) if name.lower().startswith("x") else int(name)
        self.text += chr(number)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        self.close()
        if self._open:
            raise ApiError(400, "Bad Request: can't parse entities: Unclosed start tag")
        return self.text, self.entities


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """(text, entities) the way Telegram would show a message sent with parse_mode=HTML.

    Like Telegram, '@name' outside code becomes a mention entity.
    """
    parser = _TelegramHtml()
    parser.feed(markup)
    text, entities = parser.finish()
    code = [e for e in entities if e["type"] in ("code", "pre")]
    found = [
        m
        for m in _mentions(text)
        if not any(c["offset"] <= m["offset"] < c["offset"] + c["length"] for c in code)
    ]
    return text, entities + found


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegramApi(LocalServer):
    """Use as `async with FakeTelegramApi() as fake:`; point the bot at `fake.base_url`."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(shutdown_timeout=0.1)
        self.token = token
        self.bot_user = FakeUser(BOT_ID, "Support", username=BOT_USERNAME, is_bot=True)
        # getMe's can_read_all_group_messages: the bot's privacy mode is off (BotFather).
        self.privacy_off = False
        self._log: CallLog[ApiCall] = CallLog()
        self.calls = self._log.calls
        self.webhook: dict[str, str] = {}
        self._chats: dict[int, _Chat] = {}
        # Who the users are, by id, where a method answers with whole users.
        self.people: dict[int, FakeUser] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._answered_queries: set[str] = set()
        self._failures: FailurePlan[_Failure] = FailurePlan()
        self._new_update = asyncio.Event()
        self._closing = False
        self._random_failures: dict[str, tuple[float, tuple[int, ...]]] = {}
        self._random = random.Random(7)
        self.webhook_posts: list[tuple[int, int]] = []
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        return app

    async def _before_stop(self) -> None:
        self._closing = True
        self._new_update.set()
        await self._stop_webhook_delivery()

    @property
    def base_url(self) -> str:
        """The Bot API server root, as `telegram.api_base_url` expects it."""
        return f"http://127.0.0.1:{self.port}"

    # -- world setup -------------------------------------------------------------

    def add_group(
        self, chat_id: int, title: str, *, forum: bool, members: dict[int, str] | None = None
    ) -> None:
        """A supergroup; `members` maps user ids to a status ("member", "creator", ...)."""
        data = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            data["is_forum"] = True
        self._chats[chat_id] = _Chat(data, members=dict(members or {}))

    def grant(self, chat_id: int, user_id: int, *rights: str) -> None:
        """Give an administrator of `chat_id` admin rights (e.g. "can_manage_topics")."""
        self._chats[chat_id].rights.setdefault(user_id, set()).update(rights)

    def add_private_chat(self, user: FakeUser) -> None:
        data = {"id": user.id, "type": "private", "first_name": user.first_name}
        self._chats.setdefault(user.id, _Chat(data))

    def block_bot(self, user: FakeUser) -> None:
        """The user blocked the bot: sending to them is Forbidden from now on."""
        self._chats[user.id].blocked = True

    def create_topic(self, chat_id: int, name: str, by: FakeUser) -> int:
        """A forum topic, opened by `by`; its id is the id of its first (service) message."""
        service = self._new_message(chat_id, by.to_dict())
        service["forum_topic_created"] = {"name": name, "icon_color": 7322096}
        service["is_topic_message"] = True
        service["message_thread_id"] = service["message_id"]
        self._messages[(chat_id, service["message_id"])] = service
        self._chats[chat_id].topics[service["message_id"]] = name
        return int(service["message_id"])

    def topics(self, chat_id: int) -> dict[int, str]:
        return dict(self._chats[chat_id].topics)

    def message(self, chat_id: int, message_id: int | str) -> dict[str, Any]:
        return self._messages[(chat_id, int(message_id))]

    # -- failures ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail. 429 carries `retry_after` (default 1)."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        failure = _Failure(status, description or f"Error {status}", retry_after)
        self._failures.add(method, failure, times)

    def fail_randomly(
        self, method: str, rate: float, statuses: tuple[int, ...] = (429, 502)
    ) -> None:
        """From now on each call of `method` fails with probability `rate`, with one of
        `statuses` (a 429 says retry_after 1); `rate` 0 ends it."""
        if rate <= 0:
            self._random_failures.pop(method, None)
        else:
            self._random_failures[method] = (rate, statuses)

    def stall_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer only after `seconds`."""
        self._failures.add(method, _Failure(200, "", stall=seconds), times)

    # -- inbound traffic ---------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update for getUpdates; an update_id is assigned when missing."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        self._new_update = asyncio.Event()
        self._webhook_wake.set()
        return int(update["update_id"])

    @property
    def pending_updates(self) -> list[int]:
        """Ids of the updates not confirmed yet (not past an offset, or no 2xx)."""
        return [u["update_id"] for u in self._updates]

    def user_writes(
        self,
        user: FakeUser,
        text: str | None,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        extra: dict[str, Any] | None = None,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """`user` sends a message (to the bot's private chat unless `chat_id` is given).

        Text starting with "/" carries a bot_command entity, as Telegram clients send it.
        In a forum topic the message replies to the topic's first message unless it
        replies to something else, as in real Telegram.
        """
        if chat_id is None:
            self.add_private_chat(user)
            chat_id = user.id
        message = self._new_message(chat_id, user.to_dict())
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        target = reply_to if reply_to is not None else thread_id
        if target is not None:
            message["reply_to_message"] = _shallow(self._messages[(chat_id, target)])
        message.update(extra or {})
        self._messages[(chat_id, message["message_id"])] = message
        if deliver:
            self.push_update({"message": message})
        return message

    def press(
        self, user: FakeUser, message: dict[str, Any], label: str, *, deliver: bool = True
    ) -> dict[str, Any]:
        """`user` presses the button labelled `label` on `message` (as stored now)."""
        current = self._messages[(message["chat"]["id"], message["message_id"])]
        keyboard = current.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [b for row in keyboard for b in row if b["text"] == label]
        if not buttons:
            raise AssertionError(f"no button {label!r} on message {current['message_id']}")
        update = {
            "callback_query": {
                "id": str(next(self._query_ids)),
                "from": user.to_dict(),
                "message": current,
                "chat_instance": "42",
                "data": buttons[0]["callback_data"],
            }
        }
        if deliver:
            self.push_update(update)
        return update

    async def post_to_webhook(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """POST `update` to the registered webhook as Telegram does; returns the HTTP status.

        `secret` overrides the registered secret token (to test a wrong one).
        """
        update = {"update_id": next(self._update_ids), **update}
        token = self.webhook.get("secret_token", "") if secret is None else secret
        async with (
            ClientSession() as session,
            session.post(
                self.webhook["url"],
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": token},
            ) as response,
        ):
            return response.status

    # -- observing the bot -------------------------------------------------------

    async def wait_for_call(
        self,
        method: str,
        where: Callable[[ApiCall], bool] | None = None,
        *,
        timeout: float = 5.0,
    ) -> ApiCall:
        """The first call of `method` (matching `where`) not returned by an earlier wait."""
        return await self._log.take(
            lambda call: call.method == method and (where is None or where(call)), timeout
        )

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to `chat_id` that are there now, oldest first."""
        return [
            message
            for (chat, _), message in sorted(self._messages.items())
            if chat == chat_id and message["from"]["id"] == self.bot_user.id
        ]

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    # -- the server --------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.match_info["method"]
        try:
            form = await request.post()
        except ConnectionResetError:  # the bot gave up on this request (stop, timeout)
            return _reply(400, {"ok": False, "error_code": 400, "description": "gone"})
        params = {key: str(value) for key, value in form.items()}
        status, body = await self._answer(method, params)
        await self._log.record(ApiCall(method, params, len(self.calls), status, body.get("result")))
        return _reply(status, body)

    def _failure_for(self, method: str) -> _Failure | None:
        failure = self._failures.take(method)
        if failure is not None or method not in self._random_failures:
            return failure
        rate, statuses = self._random_failures[method]
        if self._random.random() >= rate:
            return None
        status = self._random.choice(statuses)
        if status == 429:
            return _Failure(429, "Too Many Requests: retry after 1", retry_after=1)
        return _Failure(status, f"Error {status}")

    async def _answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        failure = self._failure_for(method)
        if failure is not None and failure.stall:
            await asyncio.sleep(failure.stall)
        elif failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return 400, {"ok": False, "error_code": 400, "description": "Not Found"}
        try:
            result = await handler(params)
        except ApiError as exc:
            return exc.status, {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
        return 200, {"ok": True, "result": result}

    def _chat(self, chat_id: str) -> _Chat:
        try:
            chat = self._chats[int(chat_id)]
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _new_message(self, chat_id: int, sender: dict[str, Any]) -> dict[str, Any]:
        ids = self._message_ids.setdefault(chat_id, itertools.count(1))
        return {
            "message_id": next(ids),
            "date": int(time.time()),
            "chat": self._chats[chat_id].data,
            "from": sender,
        }

    # -- Bot API methods ---------------------------------------------------------

    async def _api_getMe(self, params: dict[str, str]) -> dict[str, Any]:
        return {
            **self.bot_user.to_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.privacy_off,
        }

    async def _api_deleteWebhook(self, params: dict[str, str]) -> bool:
        self.webhook = {}
        await self._stop_webhook_delivery()
        return True

    async def _api_setWebhook(self, params: dict[str, str]) -> bool:
        self.webhook = dict(params)
        if self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        self._webhook_wake.set()
        return True

    # -- webhook delivery --------------------------------------------------------

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _deliver_to_webhook(self) -> None:
        """Each queued update goes out until it gets a 2xx; one chat's in order."""
        busy: dict[object, asyncio.Task[None]] = {}
        async with ClientSession(timeout=ClientTimeout(total=WEBHOOK_TIMEOUT)) as session:
            try:
                while True:
                    self._webhook_wake.clear()
                    limit = int(self.webhook.get("max_connections", WEBHOOK_CONNECTIONS))
                    for update in list(self._updates):
                        chat = _chat_of(update)
                        if chat in busy or len(busy) >= limit:
                            continue
                        busy[chat] = asyncio.create_task(self._post_until_taken(session, update))
                        busy[chat].add_done_callback(self._freed(busy, chat))
                    await self._webhook_wake.wait()
            finally:
                for task in busy.values():
                    task.cancel()
                await asyncio.gather(*busy.values(), return_exceptions=True)

    def _freed(
        self, busy: dict[object, asyncio.Task[None]], chat: object
    ) -> Callable[[asyncio.Task[None]], None]:
        def free(_: asyncio.Task[None]) -> None:
            busy.pop(chat, None)
            self._webhook_wake.set()

        return free

    async def _post_until_taken(self, session: ClientSession, update: dict[str, Any]) -> None:
        wait, longest = WEBHOOK_RETRY
        while True:
            status = await self._post_once(session, update)
            self.webhook_posts.append((update["update_id"], status))
            if 200 <= status < 300:
                self._updates.remove(update)
                await self._log.changed()
                return
            await asyncio.sleep(wait)
            wait = min(longest, wait * 2)

    async def _post_once(self, session: ClientSession, update: dict[str, Any]) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook.get("secret_token", "")}
        try:
            async with session.post(self.webhook["url"], json=update, headers=headers) as response:
                return response.status
        except (ClientError, TimeoutError):
            return 0

    async def _api_getUpdates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", "0"))
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout", "0")), MAX_POLL_SECONDS)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            pending = [u for u in self._updates if u["update_id"] >= offset]
            remaining = deadline - asyncio.get_running_loop().time()
            if pending or self._closing or remaining <= 0:
                return pending
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                return []

    async def _api_getChat(self, params: dict[str, str]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.data,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _api_getChatAdministrators(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """The chat's creator and administrators, named as `people` knows them."""
        chat = self._chat(params["chat_id"])
        admins = []
        for user_id, status in chat.members.items():
            if status not in ("creator", "administrator"):
                continue
            member = await self._api_getChatMember({**params, "user_id": str(user_id)})
            known = self.people.get(user_id)
            if known is not None:
                member["user"] = known.to_dict()
            admins.append(member)
        return admins

    async def _api_getChatMember(self, params: dict[str, str]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        user_id = int(params["user_id"])
        status = chat.members.get(user_id, "left")
        member: dict[str, Any] = {"status": status, "user": {"id": user_id, "is_bot": False}}
        member["user"]["first_name"] = f"user{user_id}"
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            for right in (
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ):
                member[right] = False
            for right in chat.rights.get(user_id, set()):
                member[right] = True
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _api_createForumTopic(self, params: dict[str, str]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        if not chat.data.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = params["name"]
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        topic = self.create_topic(chat.data["id"], name, self.bot_user)
        return {"message_thread_id": topic, "name": name, "icon_color": 7322096}

    async def _api_sendMessage(self, params: dict[str, str]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        chat_id = chat.data["id"]
        message = self._new_message(chat_id, self.bot_user.to_dict())
        message.update(_parsed_text(params))
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        thread = params.get("message_thread_id")
        reply_target: int | None = None
        if thread is not None:
            if int(thread) not in chat.topics:
                raise ApiError(400, "Bad Request: message thread not found")
            message["message_thread_id"] = int(thread)
            message["is_topic_message"] = True
            reply_target = int(thread)
        if "reply_parameters" in params:
            reply = json.loads(params["reply_parameters"])
            if (chat_id, reply["message_id"]) in self._messages:
                reply_target = reply["message_id"]
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if reply_target is not None:
            message["reply_to_message"] = _shallow(self._messages[(chat_id, reply_target)])
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_editMessageText(self, params: dict[str, str]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        key = (chat.data["id"], int(params["message_id"]))
        old = self._messages.get(key)
        if old is None or old["from"]["id"] != self.bot_user.id:
            raise ApiError(400, "Bad Request: message to edit not found")
        new = {**old, **_parsed_text(params)}
        new.pop("reply_markup", None)
        if "reply_markup" in params:
            new["reply_markup"] = json.loads(params["reply_markup"])
        if new == old:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        new["edit_date"] = int(time.time())
        self._messages[key] = new
        return new

    async def _api_answerCallbackQuery(self, params: dict[str, str]) -> bool:
        """Like Telegram: a press is answered once, with at most 200 characters."""
        query_id = params.get("callback_query_id", "")
        if query_id in self._answered_queries:
            raise ApiError(400, f"Bad Request: {QUERY_TOO_OLD}")
        if len(params.get("text", "")) > MAX_ANSWER_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._answered_queries.add(query_id)
        return True


def _parsed_text(params: dict[str, str]) -> dict[str, Any]:
    markup = params.get("text", "")
    if params.get("parse_mode") == "HTML":
        text, entities = parse_html(markup)
    else:
        text, entities = markup, _mentions(markup)
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if _u16(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return {"text": text, "entities": entities}


def _mentions(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "mention", "offset": _u16(text[: m.start()]), "length": _u16(m.group())}
        for m in _MENTION.finditer(text)
    ]


def _chat_of(update: dict[str, Any]) -> object:
    """The chat an update belongs to (its own id when it names none)."""
    for kind in ("message", "edited_message"):
        if kind in update:
            return update[kind]["chat"]["id"]
    query = update.get("callback_query")
    if query is not None and "message" in query:
        return query["message"]["chat"]["id"]
    return ("update", update["update_id"])


def _shallow(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _reply(status: int, body: Any) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")
