"""`supportbot doctor` for Telegram: python-telegram-bot against the fake Bot API."""

from __future__ import annotations

from telegram.error import InvalidToken

from adapters.registry import Finding, Severity
from adapters.telegram.doctor import LOGIN_FIX, SEE_ALL_FIX, TelegramCheckup
from bot.config import StaffSection
from tests.adapters.telegram.conftest import (
    OTHER_GROUP,
    STAFF_GROUP,
    staff_section,
    telegram_section,
)
from tests.fakes.telegram_api import BOT_ID, FakeTelegramApi
from tests.fakes.unreachable import free_port


def _problems(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == Severity.PROBLEM]


async def _check(
    fake: FakeTelegramApi, staff: StaffSection | None = None, **section: object
) -> list[Finding]:
    return await TelegramCheckup(telegram_section(fake, **section), staff or staff_section()).run()


async def test_an_admin_in_a_forum_that_may_create_topics_is_all_ok(fake: FakeTelegramApi) -> None:
    fake.add_group(STAFF_GROUP, "Support staff", forum=True, members={BOT_ID: "administrator"})
    fake.grant(STAFF_GROUP, BOT_ID, "can_manage_topics")

    found = await _check(fake)

    assert [f.severity for f in found] == [Severity.OK] * 3
    assert "@support_test_bot" in found[0].what
    assert "admin" in found[1].what and "topic of its own" in found[2].what
    assert [c.method for c in fake.calls] == ["getMe", "getChat", "getChatMember"]
    assert fake.calls_of("getChatMember")[0].params["user_id"] == str(BOT_ID)


async def test_a_rejected_token_is_a_problem_with_the_botfather_fix(fake: FakeTelegramApi) -> None:
    found = await _check(fake, token="123456:WRONG")

    assert [(f.severity, f.fix) for f in found] == [(Severity.PROBLEM, LOGIN_FIX)]
    assert "rejected the token" in found[0].what


async def test_privacy_mode_on_and_no_admin_means_the_bot_is_deaf(fake: FakeTelegramApi) -> None:
    fake.add_group(STAFF_GROUP, "Support staff", forum=False, members={BOT_ID: "member"})

    [problem] = _problems(await _check(fake))

    assert "sees only commands" in problem.what and problem.fix == SEE_ALL_FIX


async def test_privacy_mode_off_is_enough_without_admin(fake: FakeTelegramApi) -> None:
    fake.add_group(STAFF_GROUP, "Support staff", forum=False, members={BOT_ID: "member"})
    fake.privacy_off = True

    found = await _check(fake)

    assert not _problems(found)
    assert any("privacy mode is off" in f.what for f in found)
    assert any("reply chain" in f.what for f in found)  # a plain group


async def test_a_forum_where_the_bot_may_not_create_topics_is_a_warning(
    fake: FakeTelegramApi,
) -> None:
    fake.add_group(STAFF_GROUP, "Support staff", forum=True, members={BOT_ID: "administrator"})

    found = await _check(fake)

    assert not _problems(found)
    [warning] = [f for f in found if f.severity == Severity.WARNING]
    assert "may not create topics" in warning.what and "Manage Topics" in warning.fix


async def test_a_bot_that_left_the_staff_group(fake: FakeTelegramApi) -> None:
    [problem] = _problems(await _check(fake))  # the fixture's group: the bot is no member

    assert "not a member" in problem.what


async def test_a_staff_chat_telegram_does_not_know(fake: FakeTelegramApi) -> None:
    [problem] = _problems(await _check(fake, StaffSection(platform="telegram", chat_id="-100555")))

    assert "cannot open this chat" in problem.what and "-100" in problem.fix


async def test_a_private_chat_is_no_staff_group(fake: FakeTelegramApi) -> None:
    fake.add_private_chat(fake.bot_user)
    staff = StaffSection(platform="telegram", chat_id=str(BOT_ID))

    [problem] = _problems(await _check(fake, staff))

    assert "private chat, not a group" in problem.what


async def test_staff_elsewhere_checks_the_token_only(fake: FakeTelegramApi) -> None:
    found = await _check(fake, StaffSection(platform="slack", chat_id="C1"))

    assert [f.severity for f in found] == [Severity.OK]
    assert [c.method for c in fake.calls] == ["getMe"]


async def test_agent_ids_that_are_not_numbers(fake: FakeTelegramApi) -> None:
    fake.add_group(OTHER_GROUP, "Support staff", forum=False, members={BOT_ID: "administrator"})
    staff = StaffSection(platform="telegram", chat_id=str(OTHER_GROUP), agents=["42", "@bob"])

    [problem] = _problems(await _check(fake, staff))

    assert "@bob" in problem.what and "42" not in problem.what


async def test_a_webhook_url_without_https(fake: FakeTelegramApi) -> None:
    found = await _check(
        fake,
        StaffSection(platform="slack", chat_id="C1"),
        mode="webhook",
        webhook_url="http://bot.example.com/telegram",
        webhook_secret="s3cret-value",
    )

    [problem] = _problems(found)
    assert "not an https URL" in problem.what


async def test_an_unreachable_api_is_a_problem_not_a_crash(fake: FakeTelegramApi) -> None:
    found = await _check(fake, api_base_url=f"http://127.0.0.1:{free_port()}")

    [problem] = found
    assert problem.severity == Severity.PROBLEM and "cannot talk to the Bot API" in problem.what


def test_start_failure_explains_a_rejected_token(fake: FakeTelegramApi) -> None:
    checkup = TelegramCheckup(telegram_section(fake), staff_section())

    assert checkup.start_failure(InvalidToken("Unauthorized")) == (
        f"Telegram rejected the token (telegram.token): {LOGIN_FIX}"
    )
    assert checkup.start_failure(RuntimeError("other")) is None
