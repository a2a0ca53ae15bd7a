"""The agents' help (`/help`, `!help`) names every command the staff flow accepts, in
every locale and in both wordings: `staff_help` (Telegram, Discord, the console: "/")
and `staff_help_slack` ("!"). The commands come from the staff flow's own table, so a
new command without a line in the help fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord
import pytest
import yaml
from discord import app_commands

from adapters.discord.commands import add_agent_commands
from bot.contract import Sender
from bot.flows.staff import Command, parse_command
from bot.i18n import LOCALES, TEMPLATE_DIR
from bot.runtime import Runtime
from tests.bot.conversation_kit import Clock, make_config
from tests.fakes.recording_adapter import Person, RecordingAdapter

# The help's wording per staff platform, and the sign its commands are written with.
WORDINGS = {"staff_help": "/", "staff_help_slack": "!"}
STAFF_ROOM = "-100777"


def _template(locale: str, key: str) -> str:
    """The locale's own text (read from its file: no fallback to English hides a gap)."""
    table = yaml.safe_load((TEMPLATE_DIR / f"{locale}.yaml").read_text(encoding="utf-8"))
    text = table[key]
    assert isinstance(text, str)
    return text


def _named(text: str, sign: str, command: str) -> bool:
    """Whether `text` names `sign + command` as a word: "!block" is not "!blocked"."""
    return re.search(rf"(?<!\w){re.escape(sign + command)}(?!\w)", text) is not None


def test_every_command_is_one_the_staff_flow_parses_with_either_sign() -> None:
    assert len(Command) >= 14
    for command in Command:
        assert parse_command(f"/{command} x") == (command, "x")
        assert parse_command(f"!{command} x") == (command, "x")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", WORDINGS)
def test_the_help_names_every_staff_command(locale: str, key: str) -> None:
    text = _template(locale, key)
    sign = WORDINGS[key]

    missing = [f"{sign}{command}" for command in Command if not _named(text, sign, command)]

    assert not missing, f"{key} ({locale}) does not mention {missing}"
    # Blocking anyone from anywhere in the staff room (bot/flows/blocking.py).
    assert f"{sign}block PLATFORM:USER_ID" in text and f"{sign}unblock PLATFORM:USER_ID" in text


def test_a_help_that_leaves_out_a_command_is_caught() -> None:
    text = _template("en", "staff_help").replace("/blocked", "/list-blocks")

    assert _named(text, "/", Command.BLOCK) and not _named(text, "/", Command.BLOCKED)


def test_discords_slash_commands_are_staff_commands_the_help_names() -> None:
    """Discord offers some commands in its menu (adapters/discord/commands.py); each is
    one the staff flow takes, and so one the help lists."""

    async def run(interaction: discord.Interaction[Any], text: str) -> None:
        raise AssertionError("not called")

    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    add_agent_commands(tree, run)
    registered = {command.name for command in tree.get_commands()}

    assert registered and registered <= set(Command)
    assert all(_named(_template("en", "staff_help"), "/", name) for name in registered)


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_agent_asking_for_help_gets_every_command(
    database_url: str, locale: str, tmp_path: Path
) -> None:
    config = make_config(
        database_url,
        bot={"default_locale": locale},
        staff={"platform": "telegram", "chat_id": STAFF_ROOM},
        snippets={"path": str(tmp_path / "none.yaml")},  # the example's have no Indonesian
    )
    telegram = RecordingAdapter(platform="telegram")
    runtime = Runtime(config, [telegram], now=Clock())
    await runtime.start(deliver=False)
    try:
        agent = Person(telegram, STAFF_ROOM, Sender("42", "Alex"), staff=True)
        await agent.says("/help")
        await agent.says("!help")
        assert await runtime.settle(5.0), "the outbox did not drain"
    finally:
        await runtime.stop()

    answers = [s.text for s in telegram.sent if s.out.to.chat_id == STAFF_ROOM]
    assert answers == [_template(locale, "staff_help")] * 2
    assert all(_named(answers[0], "/", command) for command in Command)
