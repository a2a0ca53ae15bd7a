"""The staff group's agents, private answers, and formatting both ways: the real
python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from adapters.telegram import TelegramAdapter
from bot.contract import Address, Agent, Answered, Inbound, Outbound, Span, Style, plain
from bot.markup import parse
from tests.adapters.telegram.conftest import AGENT, CUSTOMER, STAFF_GROUP, RecordingCore
from tests.fakes.telegram_api import FakeTelegramApi, FakeUser

OWNER = FakeUser(2002, "Olivia", "Stone", username="olivia")
HELPER_BOT = FakeUser(4002, "Helper", is_bot=True)


async def test_agents_are_the_staff_groups_administrators(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    fake.add_group(
        STAFF_GROUP,
        "Support staff",
        forum=True,
        members={
            AGENT.id: "administrator",
            OWNER.id: "creator",
            HELPER_BOT.id: "administrator",
            3001: "member",
        },
    )
    fake.people.update({AGENT.id: AGENT, OWNER.id: OWNER, HELPER_BOT.id: HELPER_BOT})

    agents = await adapter.list_agents()

    assert sorted(agents, key=lambda a: a.user_id) == [
        Agent(str(AGENT.id), "Bob", ("bob_agent",)),
        Agent(str(OWNER.id), "Olivia Stone", ("olivia",)),
    ]
    assert fake.calls_of("getChatAdministrators")[0].params["chat_id"] == str(STAFF_GROUP)


async def test_a_private_answer_replies_to_the_message_answered(
    adapter: TelegramAdapter, fake: FakeTelegramApi
) -> None:
    written = fake.user_writes(AGENT, "!resolve", chat_id=STAFF_GROUP, deliver=False)
    out = Outbound(
        Address("telegram", str(STAFF_GROUP)),
        plain("Only support staff can do that."),
        private_to=str(AGENT.id),
        answers=Answered(str(written["message_id"])),
    )
    ref = await adapter.send(out)

    shown = fake.message(STAFF_GROUP, ref.message_id)
    assert shown["reply_to_message"]["message_id"] == written["message_id"]


async def test_an_agents_entities_reach_the_core_as_markup(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    text = "checking ORD-1 at the page."
    entities = [
        {"type": "bold", "offset": 0, "length": 8},
        {"type": "code", "offset": 9, "length": 5},
        {"type": "text_link", "offset": 18, "length": 8, "url": "https://shop.example/o/1"},
    ]
    fake.user_writes(AGENT, text, chat_id=STAFF_GROUP, extra={"entities": entities})

    event = await core.next_event()
    assert isinstance(event, Inbound) and event.text == text
    assert event.formatted is not None
    assert parse(event.formatted, "telegram") == (
        Span("checking", Style.BOLD),
        Span(" "),
        Span("ORD-1", Style.CODE),
        Span(" at "),
        Span("the page", Style.LINK, "https://shop.example/o/1"),
        Span("."),
    )


async def test_plain_messages_carry_no_markup(
    adapter: TelegramAdapter, fake: FakeTelegramApi, core: RecordingCore
) -> None:
    fake.user_writes(AGENT, "*just stars* here", chat_id=STAFF_GROUP)
    event = await core.next_event()
    assert isinstance(event, Inbound) and event.formatted is None


async def test_links_render_as_html_links(adapter: TelegramAdapter, fake: FakeTelegramApi) -> None:
    fake.add_private_chat(CUSTOMER)
    text = (Span("see "), Span("the <page>", Style.LINK, 'https://x.example/?a=1&b="2"'))
    await adapter.send(Outbound(Address("telegram", str(CUSTOMER.id)), text))

    call = await fake.wait_for_call("sendMessage")
    assert call.params["text"] == (
        'see <a href="https://x.example/?a=1&amp;b=&quot;2&quot;">the &lt;page&gt;</a>'
    )
