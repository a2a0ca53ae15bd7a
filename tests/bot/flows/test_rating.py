"""The rating prompt after a resolve: buttons or a digit typed alone, surviving one stray
message, forged values refused (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from bot.contract import Action
from handoff.models import Ticket
from tests.bot.conversation_kit import Bot, running_bot

RATING_BUTTONS = ["1", "2", "3", "4", "5"]


async def resolved(bot: Bot) -> None:
    """Dana's ticket, claimed, answered and resolved by Alex; the prompt is out."""
    card = await bot.claimed_by_alex()
    await bot.alex.says("Done, your refund is on its way.", thread_id=card.ref.thread_id)
    await bot.alex.says("/resolve", thread_id=card.ref.thread_id)
    await bot.settle()
    assert [b.value for b in bot.to_customer()[-1].out.buttons] == RATING_BUTTONS


async def rating(bot: Bot) -> int | None:
    async with bot.runtime._sessions() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        return ticket.rating


async def test_a_digit_typed_alone_is_a_rating(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await resolved(bot)
        await bot.customer.says(" 3 ")
        await bot.settle()
        assert bot.to_customer()[-1].text == "Thank you for your rating!"
        assert await rating(bot) == 3
        assert any(s.text == "The customer rated ticket #1: 3/5." for s in bot.thread())


async def test_the_prompt_survives_one_stray_message(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await resolved(bot)
        await bot.customer.says("Where is my order?")
        await bot.settle()
        answer, again = bot.to_customer()[-2:]
        assert "tracking" in answer.text  # the stray message is answered as usual
        assert again.text.startswith("You can still rate our help")
        assert [b.value for b in again.out.buttons] == RATING_BUTTONS

        await bot.customer.says("3")
        await bot.settle()
        assert bot.to_customer()[-1].text == "Thank you for your rating!"
        assert await rating(bot) == 3


async def test_an_old_rating_button_works_after_one_stray_message(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await resolved(bot)
        prompt = bot.to_customer()[-1]
        await bot.customer.says("thanks!")
        await bot.settle()
        await bot.customer.presses(prompt, "5")
        await bot.settle()
        assert await rating(bot) == 5


async def test_a_second_stray_message_leaves_the_prompt(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await resolved(bot)
        await bot.customer.says("thanks!")
        await bot.customer.says("Where is my order?")
        await bot.settle()
        assert "tracking" in bot.to_customer()[-1].text
        prompts = [s for s in bot.to_customer() if s.text.startswith("You can still rate")]
        assert len(prompts) == 1

        await bot.customer.says("3")
        await bot.settle()
        assert bot.to_customer()[-1].text != "Thank you for your rating!"
        assert await rating(bot) is None


async def test_forged_ratings_are_refused_without_harm(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await resolved(bot)
        prompt = bot.to_customer()[-1]
        for forged in ("²", "٣", "0", "6", "+3", "99999999999999999999999999", ""):
            await bot.platform.hand_over(
                Action(
                    "test",
                    bot.customer.chat_id,
                    None,
                    bot.customer.sender,
                    "rate",
                    forged,
                    prompt.ref.message_id,
                )
            )
        await bot.customer.says("²")  # typed: no rating, the one stray message
        await bot.settle()
        assert await rating(bot) is None
        assert bot.to_customer()[-1].text.startswith("You can still rate")

        await bot.customer.presses(prompt, "4")
        await bot.settle()
        assert await rating(bot) == 4
