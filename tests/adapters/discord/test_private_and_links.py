"""Answers only the presser sees (ephemeral follow-ups), replies to a message, and
links: the real discord.py against the fake Discord."""

from __future__ import annotations

from adapters.discord import DiscordAdapter
from adapters.discord.render import render
from bot.contract import Action, Address, Agent, Answered, Button, Outbound, Span, Style, plain
from tests.adapters.discord.conftest import RecordingCore
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord


async def test_a_refused_press_is_answered_ephemerally(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    staff_room = Address("discord", str(fake.staff_channel_id))
    ref = await adapter.send(
        Outbound(staff_room, plain("Ticket #12"), (Button("Claim", "claim", "12"),))
    )
    outsider = fake.user(fake.new_id(), "eve")
    card = fake.messages[int(ref.message_id)]
    click = fake.button_click(card, "sb:claim:12", outsider, fake.member(outsider, staff=False))
    await fake.dispatch("INTERACTION_CREATE", click)
    press = await core.wait_for()
    assert isinstance(press, Action) and press.from_staff_room is False

    await adapter.send(
        Outbound(
            staff_room,
            plain("Only support staff can do that."),
            private_to=press.sender.user_id,
            answers=Answered(press.message_id, press.event_id),
        )
    )

    follow_up = await fake.wait_for_call("create_followup_message")
    assert follow_up.json["content"] == "Only support staff can do that."
    assert follow_up.json["flags"] & EPHEMERAL
    assert follow_up.params["token"] == click["token"]
    assert [c.name for c in fake.calls].count("create_message") == 1  # the card only


async def test_a_private_answer_without_a_press_replies_to_the_message(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    someone = fake.user(fake.new_id(), "eve")
    written = fake.message(fake.support_channel_id, someone, "!resolve")
    await adapter.send(
        Outbound(
            Address("discord", str(fake.support_channel_id)),
            plain("Only support staff can do that."),
            private_to=someone["id"],
            answers=Answered(written["id"]),
        )
    )

    sent = await fake.wait_for_call("create_message")
    assert str(sent.json["message_reference"]["message_id"]) == written["id"]


def test_links_render_as_masked_links_with_safe_targets() -> None:
    text = (
        Span("see "),
        Span("the [page]", Style.LINK, "https://x.example/a (1)"),
        Span(" [fake](https://evil.example)"),
    )
    assert render(text) == (
        "see [the \\[page\\]](https://x.example/a%20%281%29) \\[fake](https://evil.example)"
    )


async def test_agents_are_the_members_with_the_staff_role(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    dana, eve, robo = (fake.user(fake.new_id(), n) for n in ("dana", "eve", "robo"))
    robo["bot"] = True
    dana["global_name"] = "Dana S."
    fake.guild_members = [
        fake.member(dana, staff=True),
        fake.member(eve, staff=False),
        fake.member(robo, staff=True),
    ]

    assert await adapter.list_agents() == [Agent(dana["id"], "Dana S.", ("dana",))]
    listed = await fake.wait_for_call("list_guild_members")
    assert listed.params["guild_id"] == str(fake.guild_id)

    fake.members_intent = False  # switched off in the portal: the cached role members
    assert await adapter.list_agents() == []
