"""Button presses (persistent, across a restart) and the agents' slash commands."""

from __future__ import annotations

from adapters.discord import DiscordAdapter
from adapters.discord.receive import DONE, FAILED, NOT_HERE
from bot.contract import Action, Address, Button, Inbound, Outbound, SentRef, plain
from tests.adapters.discord.conftest import RecordingCore, StartAdapter
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord, Payload

DEFERRED_UPDATE = 6
DEFERRED_MESSAGE = 5
CHANNEL_MESSAGE = 4


async def _card(fake: FakeDiscord, adapter: DiscordAdapter) -> SentRef:
    return await adapter.send(
        Outbound(
            Address("discord", str(fake.staff_channel_id)),
            plain("Ticket #12"),
            (Button("Claim", "claim", "12"),),
            open_thread="Ticket #12",
        )
    )


def _action(event: object) -> Action:
    assert isinstance(event, Action)
    return event


def _inbound(event: object) -> Inbound:
    assert isinstance(event, Inbound)
    return event


async def test_a_customer_button_press_is_an_action_and_is_acknowledged(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    customer = fake.user(fake.new_id(), "alice")
    dm = fake.dm_channel(customer)["id"]
    ref = await adapter.send(
        Outbound(
            Address("discord", dm),
            plain("Did this help?"),
            (Button("Yes", "helpful", "shipping"), Button("No", "unhelpful", "shipping")),
        )
    )
    click = fake.button_click(fake.messages[int(ref.message_id)], "sb:unhelpful:shipping", customer)
    click["locale"] = "de"
    await fake.dispatch("INTERACTION_CREATE", click)

    action = _action(await core.wait_for())
    assert (action.action_id, action.value) == ("unhelpful", "shipping")
    assert (action.chat_id, action.thread_id, action.message_id) == (dm, None, ref.message_id)
    assert action.sender.user_id == customer["id"]
    assert action.sender.locale == "de"
    assert action.event_id == click["id"]
    assert action.from_staff_room is False
    ack = await fake.wait_for_call("create_interaction_response")
    assert ack.params["interaction_id"] == click["id"]
    assert ack.json["type"] == DEFERRED_UPDATE


async def test_claim_by_staff_and_by_someone_without_the_role(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    card = fake.messages[int((await _card(fake, adapter)).message_id)]
    agent = fake.user(fake.new_id(), "dana")
    outsider = fake.user(fake.new_id(), "eve")
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.button_click(card, "sb:claim:12", agent, fake.member(agent, staff=True)),
    )
    by_agent = _action(await core.wait_for())
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.button_click(card, "sb:claim:12", outsider, fake.member(outsider, staff=False)),
    )
    by_outsider = _action(await core.wait_for(2))

    assert (by_agent.chat_id, by_agent.thread_id) == (str(fake.staff_channel_id), None)
    assert by_agent.message_id == card["id"]
    assert by_agent.from_staff_room is True
    assert by_outsider.from_staff_room is False


async def test_a_support_channel_button_belongs_to_the_answered_message(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    customer = fake.user(fake.new_id(), "carol")
    question = fake.message(fake.support_channel_id, customer, "refund?")
    ref = await adapter.send(
        Outbound(
            Address("discord", str(fake.support_channel_id), question["id"]),
            plain("Talk to a person?"),
            (Button("Yes", "human", ""),),
        )
    )
    answer = fake.messages[int(ref.message_id)]
    member = fake.member(customer, staff=False)
    await fake.dispatch(
        "INTERACTION_CREATE", fake.button_click(answer, "sb:human:", customer, member)
    )

    action = _action(await core.wait_for())
    assert (action.chat_id, action.thread_id) == (str(fake.support_channel_id), question["id"])
    assert (action.action_id, action.value) == ("human", "")


async def test_a_card_sent_before_a_restart_still_works_after_it(
    fake: FakeDiscord, start_adapter: StartAdapter, core: RecordingCore
) -> None:
    before = await start_adapter()
    ref = await _card(fake, before)
    await before.stop()

    await start_adapter()  # a new client: nothing of the old one's state survives
    await fake.wait_for_identify(2)
    agent = fake.user(fake.new_id(), "dana")
    card = fake.messages[int(ref.message_id)]
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.button_click(card, "sb:claim:12", agent, fake.member(agent, staff=True)),
    )

    action = _action(await core.wait_for())
    assert (action.action_id, action.value, action.message_id) == ("claim", "12", ref.message_id)
    assert action.from_staff_room is True
    assert (await fake.wait_for_call("create_interaction_response")).json["type"] == 6


async def test_a_press_whose_acknowledgement_fails_still_reaches_the_core(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    card = fake.messages[int((await _card(fake, adapter)).message_id)]
    fake.fail_next(
        "create_interaction_response", 404, {"message": "Unknown interaction", "code": 10062}
    )
    agent = fake.user(fake.new_id(), "dana")
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.button_click(card, "sb:claim:12", agent, fake.member(agent, staff=True)),
    )

    assert _action(await core.wait_for()).action_id == "claim"


async def test_buttons_that_are_not_ours_are_left_alone(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    customer = fake.user(fake.new_id(), "alice")
    message = fake.message(
        int(fake.dm_channel(customer)["id"]),
        fake.bot_user(),
        "poll",
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": "poll:vote:1"}],
            }
        ],
    )
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(message, "poll:vote:1", customer))
    await fake.dispatch("MESSAGE_CREATE", fake.dm_message(customer, "marker"))

    assert _inbound(await core.wait_for()).text == "marker"
    assert len(core.events) == 1
    assert fake.calls_of("create_interaction_response") == []


async def _thread(fake: FakeDiscord, adapter: DiscordAdapter) -> int:
    ref = await _card(fake, adapter)
    assert ref.thread_id is not None
    return int(ref.thread_id)


def _text_option(name: str, value: str) -> list[Payload]:
    return [{"name": name, "type": 3, "value": value}]


async def test_reply_command_becomes_the_text_command_and_answers_done(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    command = fake.slash_command(thread_id, "reply", agent, _text_option("text", "It ships today"))
    await fake.dispatch("INTERACTION_CREATE", command)

    inbound = _inbound(await core.wait_for())
    assert inbound.text == "/reply It ships today"
    assert (inbound.chat_id, inbound.thread_id) == (str(fake.staff_channel_id), str(thread_id))
    assert inbound.from_staff_room is True
    assert inbound.message_id == command["id"]
    ack = await fake.wait_for_call("create_interaction_response")
    assert ack.json["type"] == DEFERRED_MESSAGE
    assert ack.json["data"]["flags"] & EPHEMERAL
    followup = await fake.wait_for_call("create_followup_message")
    assert followup.json["content"] == DONE
    assert followup.json["flags"] & EPHEMERAL


async def test_transfer_names_the_agent_by_id(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    target = fake.user(fake.new_id(), "gus")
    target_member = {k: v for k, v in fake.member(target, staff=True).items() if k != "user"}
    command = fake.slash_command(
        thread_id,
        "transfer",
        agent,
        [{"name": "agent", "type": 6, "value": target["id"]}],
        resolved={"users": {target["id"]: target}, "members": {target["id"]: target_member}},
    )
    await fake.dispatch("INTERACTION_CREATE", command)

    assert _inbound(await core.wait_for()).text == f"/transfer {target['id']}"


async def test_each_agent_command_reaches_the_core(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash_command(thread_id, "note", agent, _text_option("text", "VIP")),
    )
    await core.wait_for(1)
    for name in ("release", "resolve"):
        await fake.dispatch("INTERACTION_CREATE", fake.slash_command(thread_id, name, agent))
        await core.wait_for(len(core.events) + 1)

    assert [_inbound(e).text for e in core.events] == ["/note VIP", "/release", "/resolve"]


async def test_snippet_and_faq_commands_reach_the_core(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    commands = [
        ("s", _text_option("name", "refund-started")),
        ("s", []),
        ("faq", _text_option("entry", "shipping-time")),
    ]
    for count, (name, options) in enumerate(commands, 1):
        command = fake.slash_command(thread_id, name, agent, options)
        await fake.dispatch("INTERACTION_CREATE", command)
        await core.wait_for(count)

    assert [_inbound(e).text for e in core.events] == [
        "/s refund-started",
        "/s",
        "/faq shipping-time",
    ]


async def test_commands_are_refused_outside_a_ticket_thread_or_without_the_role(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    outsider = fake.member(fake.user(fake.new_id(), "eve"), staff=False)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    await fake.dispatch("INTERACTION_CREATE", fake.slash_command(thread_id, "resolve", outsider))
    await fake.dispatch(
        "INTERACTION_CREATE", fake.slash_command(fake.staff_channel_id, "resolve", agent)
    )

    for count in (1, 2):
        answer = await fake.wait_for_call("create_interaction_response", count=count)
        assert answer.json["type"] == CHANNEL_MESSAGE
        assert answer.json["data"]["content"] == NOT_HERE
        assert answer.json["data"]["flags"] & EPHEMERAL
    assert core.events == []


async def test_a_command_the_core_fails_on_says_so(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    thread_id = await _thread(fake, adapter)
    agent = fake.member(fake.user(fake.new_id(), "dana"), staff=True)
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash_command(thread_id, "note", agent, _text_option("text", "boom")),
    )

    assert _inbound(await core.wait_for()).text == "/note boom"
    assert (await fake.wait_for_call("create_followup_message")).json["content"] == FAILED


async def test_commands_are_registered_only_when_configured(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    assert fake.calls_of("bulk_overwrite_global_commands") == []

    await start_adapter(sync_commands=True)
    sync = await fake.wait_for_call("bulk_overwrite_global_commands")
    assert sorted(c["name"] for c in sync.body) == [
        "faq",
        "note",
        "release",
        "reply",
        "resolve",
        "s",
        "transfer",
    ]
