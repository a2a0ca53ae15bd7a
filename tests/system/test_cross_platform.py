"""The staff room on one platform serving customers on others.

One Runtime, the adapters the registry builds from the config (the real
python-telegram-bot, slack-bolt and discord.py), each against its fake server. Agents
work in a Slack channel; customers write on Telegram (a private chat) and on Discord
(a DM). What crosses from one platform to another must arrive as plain text there:
no markup, no mentions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.registry import enabled_adapters
from adapters.telegram.render import WORD_JOINER
from bot.config import Config, parse_config
from bot.runtime import Runtime
from handoff.models import Ticket
from tests.conftest import EXAMPLE_FAQ
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import Call as DiscordCall
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes.slack_api import Call as SlackCall
from tests.fakes.slack_api import button_values as slack_buttons
from tests.fakes.slack_api import rich_text_elements as slack_elements
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi, FakeUser

WAIT = 10.0  # the outbox polls; generous so a loaded CI machine does not flake

STAFF_CHANNEL = "CSTAFF"
AGENT = "UAGENT"
ANN = FakeUser(1002, "Ann", "Lee", language_code="en-GB")


# -- set-up --------------------------------------------------------------------------


@pytest.fixture
async def telegram(no_proxy: None) -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as fake:
        yield fake


@pytest.fixture
async def slack(no_proxy: None) -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(AGENT, "alex", display_name="Alex")
        fake.members[STAFF_CHANNEL] = ["UBOT", AGENT]
        yield fake


@pytest.fixture
async def discord(no_proxy: None) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


def cross_platform_config(
    database_url: str,
    telegram: FakeTelegramApi,
    slack: FakeSlack,
    discord: FakeDiscord | None = None,
    spool_dir: Path | None = None,
) -> Config:
    """Slack is the staff room; Telegram (and Discord, when given) serve customers."""
    data: dict[str, Any] = {
        "faq": {"path": str(EXAMPLE_FAQ)},
        "hours": {"always_open": True},
        "staff": {"platform": "slack", "chat_id": STAFF_CHANNEL},
        "database": {"url": database_url},
        "telegram": {
            "enabled": True,
            "token": "${TELEGRAM_BOT_TOKEN}",
            "api_base_url": telegram.base_url,
            "poll_timeout": 1,
            "request_timeout": 2,
            "rate_limit_retries": 1,
        },
        "slack": {
            "enabled": True,
            "bot_token": "${SLACK_BOT_TOKEN}",
            "app_token": "${SLACK_APP_TOKEN}",
            "api_base_url": slack.base_url,
        },
    }
    if discord is not None:
        data["discord"] = {
            "enabled": True,
            "token": "${DISCORD_BOT_TOKEN}",
            "api_base_url": discord.api_url,
            "guild_ready_timeout": 0.05,
        }
        if spool_dir is not None:
            data["discord"]["spool_dir"] = str(spool_dir)
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
    }
    return parse_config(data, "test", env=env)


@asynccontextmanager
async def running(config: Config) -> AsyncIterator[Runtime]:
    runtime = Runtime(config, enabled_adapters(config))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def stored_tickets(database_url: str) -> list[tuple[Any, ...]]:
    """(id, status, rating, agent_id, card_platform) of every ticket, read independently."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    Ticket.id, Ticket.status, Ticket.rating, Ticket.agent_id, Ticket.card_platform
                ).order_by(Ticket.id)
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


# -- what each fake saw ----------------------------------------------------------------


async def telegram_said(fake: FakeTelegramApi, chat_id: int, containing: str) -> dict[str, Any]:
    """The message the bot sent to `chat_id` whose text (as Telegram shows it) has `containing`."""

    def matches(call: ApiCall) -> bool:
        return (
            call.status == 200
            and call.params["chat_id"] == str(chat_id)
            and containing in call.result["text"]
        )

    call = await fake.wait_for_call("sendMessage", matches, timeout=WAIT)
    message: dict[str, Any] = call.result
    return message


def telegram_labels(message: dict[str, Any]) -> list[str]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in keyboard for button in row]


def posted_to(
    channel: str, *, thread: str | None = None, containing: str = ""
) -> Callable[[SlackCall], bool]:
    def match(call: SlackCall) -> bool:
        return (
            call.args.get("channel") == channel
            and call.args.get("thread_ts") == thread
            and containing in call.args.get("text", "")
        )

    return match


async def slack_posted(
    fake: FakeSlack, *, thread: str | None = None, containing: str = ""
) -> SlackCall:
    return await fake.wait_for_call(
        "chat.postMessage",
        posted_to(STAFF_CHANNEL, thread=thread, containing=containing),
        timeout=WAIT,
    )


async def slack_card_edit(fake: FakeSlack, card_ts: str, containing: str) -> SlackCall:
    return await fake.wait_for_call(
        "chat.update",
        lambda c: c.args["ts"] == card_ts and containing in c.args["text"],
        timeout=WAIT,
    )


async def agent_writes(fake: FakeSlack, card_ts: str, raw_text: str) -> None:
    """The agent writes in the ticket's thread; `raw_text` is as Slack delivers it (mrkdwn)."""
    event = fake.message_event(
        STAFF_CHANNEL, AGENT, raw_text, channel_type="channel", thread_ts=card_ts
    )
    await fake.push_event(event)


async def agent_claims(fake: FakeSlack, card_ts: str) -> None:
    await fake.push_interactive(fake.press(STAFF_CHANNEL, card_ts, AGENT, "Claim"))


async def discord_said(fake: FakeDiscord, channel_id: str, containing: str) -> DiscordCall:
    def match(call: DiscordCall) -> bool:
        return call.params["channel_id"] == channel_id and containing in call.json["content"]

    return await fake.wait_for_call("create_message", where=match, timeout=WAIT)


# -- the tests ---------------------------------------------------------------------------


async def test_telegram_customer_served_from_a_slack_staff_room(
    telegram: FakeTelegramApi, slack: FakeSlack, database_url: str
) -> None:
    config = cross_platform_config(database_url, telegram, slack)
    async with running(config) as runtime:
        assert [a.platform for a in runtime.adapters] == ["telegram", "slack"]

        # Asking for a person: the customer is told, the card appears in Slack.
        telegram.user_writes(ANN, "I want to talk to a human please")
        await telegram_said(telegram, ANN.id, "ticket #1")
        card = await slack_posted(slack, containing="Ticket #1")
        card_ts = card.answer["ts"]
        assert "From Ann Lee on telegram" in card.args["text"]
        assert slack_buttons(card) == ["claim:1"]
        assert {"type": "text", "text": "Ann Lee", "style": {"bold": True}} in slack_elements(card)

        # A member of the staff channel claims it: card edited, thread opened, customer told.
        await agent_claims(slack, card_ts)
        claimed = await slack_card_edit(slack, card_ts, "Claimed by Alex")
        assert slack_buttons(claimed) == []
        await slack_posted(slack, thread=card_ts, containing="Alex claimed this ticket")
        await telegram_said(telegram, ANN.id, "Alex from our team")

        # The agent typed `<b>x</b> @everyone <!channel>` (Slack escapes the typed angle
        # brackets and turns @everyone into a broadcast). Telegram shows it as text.
        await agent_writes(slack, card_ts, "&lt;b&gt;x&lt;/b&gt; <!everyone> &lt;!channel&gt;")
        reply = await telegram.wait_for_call(
            "sendMessage", lambda c: "Alex:" in c.result["text"], timeout=WAIT
        )
        assert reply.params["text"] == (
            f"<b>Alex</b>: &lt;b&gt;x&lt;/b&gt; @{WORD_JOINER}everyone &lt;!channel&gt;"
        )
        assert reply.result["text"] == f"Alex: <b>x</b> @{WORD_JOINER}everyone <!channel>"
        assert reply.result["entities"] == [{"type": "bold", "offset": 0, "length": 4}]

        # The customer's answer reaches the thread as text, never as a Slack mention.
        telegram.user_writes(ANN, "Thanks <!channel> <@U123> & bye")
        back = await slack_posted(slack, thread=card_ts, containing="Thanks")
        assert back.args["text"] == "Ann Lee: Thanks &lt;!channel&gt; &lt;@U123&gt; &amp; bye"
        assert slack_elements(back) == [
            {"type": "text", "text": "Ann Lee", "style": {"bold": True}},
            {"type": "text", "text": ": "},
            {"type": "text", "text": "Thanks <!channel> <@U123> & bye"},
        ]

        # "!resolve" in the thread: the card says so, the customer gets the 1-5 keyboard.
        await agent_writes(slack, card_ts, "!resolve")
        await slack_card_edit(slack, card_ts, "Resolved by Alex")
        rating = await telegram_said(telegram, ANN.id, "How would you rate our help")
        assert telegram_labels(rating) == ["1", "2", "3", "4", "5"]

        telegram.press(ANN, rating, "5")
        await telegram_said(telegram, ANN.id, "Thank you for your rating")
        await slack_posted(slack, thread=card_ts, containing="rated ticket #1: 5/5")

    assert await stored_tickets(database_url) == [(1, "resolved", 5, AGENT, "slack")]
    # Nothing was ever posted anywhere in Slack with a live broadcast or user mention.
    texts = [c.args.get("text", "") for c in slack.calls_of("chat.postMessage")]
    assert not any("<!" in text or "<@" in text for text in texts)


async def test_three_platforms_share_one_slack_staff_room(
    telegram: FakeTelegramApi,
    slack: FakeSlack,
    discord: FakeDiscord,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    config = cross_platform_config(sqlite_url, telegram, slack, discord, tmp_path / "spool")
    alice = discord.user(discord.new_id(), "alice")
    dm = discord.dm_channel(alice)["id"]
    async with running(config) as runtime:
        assert [a.platform for a in runtime.adapters] == ["telegram", "slack", "discord"]

        # A Discord customer and a Telegram customer both ask for a person.
        await discord.dispatch("MESSAGE_CREATE", discord.dm_message(alice, "I need a human"))
        await discord_said(discord, dm, "ticket #1")
        card_1 = await slack_posted(slack, containing="Ticket #1")
        assert "From Alice on discord" in card_1.args["text"]
        telegram.user_writes(ANN, "can I speak to someone")
        await telegram_said(telegram, ANN.id, "ticket #2")
        card_2 = await slack_posted(slack, containing="Ticket #2")
        assert "From Ann Lee on telegram" in card_2.args["text"]
        ts_1, ts_2 = card_1.answer["ts"], card_2.answer["ts"]

        # The agent claims the Discord ticket and answers it in its thread.
        await agent_claims(slack, ts_1)
        await slack_card_edit(slack, ts_1, "Claimed by Alex")
        await discord_said(discord, dm, "Alex from our team")
        await agent_writes(slack, ts_1, "Your parcel left today <!here>")
        answer = await discord_said(discord, dm, "Your parcel left today")
        assert answer.json["content"] == "**Alex**: Your parcel left today @\u200bhere"
        assert answer.json["allowed_mentions"] == {"parse": []}

        # The Discord customer's reply lands in that ticket's thread, not the other one.
        await discord.dispatch("MESSAGE_CREATE", discord.dm_message(alice, "Great, thanks!"))
        relayed = await slack_posted(slack, thread=ts_1, containing="Great, thanks!")
        assert relayed.args["text"] == "Alice: Great, thanks!"

        # Meanwhile the Telegram ticket is claimed and answered from the same room.
        await agent_claims(slack, ts_2)
        await slack_card_edit(slack, ts_2, "Claimed by Alex")
        await agent_writes(slack, ts_2, "Hello Ann")
        hello = await telegram_said(telegram, ANN.id, "Hello Ann")
        assert hello["text"] == "Alex: Hello Ann"

    assert await stored_tickets(sqlite_url) == [
        (1, "claimed", None, AGENT, "slack"),
        (2, "claimed", None, AGENT, "slack"),
    ]
    # Each reply went to its own customer only.
    assert not any(
        "Hello Ann" in c.json.get("content", "") for c in discord.calls_of("create_message")
    )
    assert not any("parcel" in c.params.get("text", "") for c in telegram.calls_of("sendMessage"))
