"""handoff/privacy.py on SQLite and PostgreSQL, with rows written directly: who a
person is, their messages in a shared channel, a lane whose head is erased, and what a
purge leaves alone (blocks in force, whatever their age, among them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handoff import blocks, outbox, privacy
from handoff.models import (
    OUTBOX_BEHIND,
    OUTBOX_NEW,
    Block,
    Conversation,
    Message,
    OutboxRow,
    Ticket,
)
from handoff.privacy import Person
from handoff.states import MessageKind, OutboxStatus, OutboxTarget, TicketReason, TicketStatus
from tests.handoff.conftest import Sessions

T0 = datetime(2026, 11, 24, 9, 0)


def test_a_person_is_platform_and_user_id() -> None:
    assert Person.parse("telegram:123") == Person("telegram", "123")
    assert Person.parse("slack:T1:U2") == Person("slack", "T1:U2")
    for wrong in ("U123", ":U1", "slack:"):
        with pytest.raises(ValueError, match="PLATFORM:USER_ID"):
            Person.parse(wrong)


def _conversation(user_id: str, name: str, chat: str, thread: str | None) -> Conversation:
    return Conversation(
        platform="slack",
        chat_id=chat,
        thread_id=thread,
        user_id=user_id,
        display_name=name,
        locale="en",
        created_at=T0,
        updated_at=T0,
    )


def _to(
    conversation: Conversation, text: str, status: OutboxStatus, **extra: object
) -> dict[str, Any]:
    row = outbox.new_row(
        target=OutboxTarget.ADDRESS,
        platform="slack",
        chat_id=conversation.chat_id,
        thread_id=conversation.thread_id,
        payload={"text": text},
        now=T0,
    )
    return {**row, "status": status, **extra}


async def test_in_a_shared_channel_only_their_thread_goes(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        dana = _conversation("U-DANA", "Dana", "C-SUPPORT", "t-dana")
        olaf = _conversation("U-OLAF", "Olaf", "C-SUPPORT", "t-olaf")
        session.add_all([dana, olaf])
        await session.flush()
        await outbox.write(
            session,
            [
                _to(dana, "for dana", OutboxStatus.SENT),
                _to(olaf, "for olaf", OutboxStatus.SENT),
            ],
        )
    async with sessions() as session, session.begin():
        found = await privacy.erase(session, Person("slack", "U-DANA"), T0)
    async with sessions() as session:
        left = [
            row.payload["text"]
            for row in await session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        ]
        people = [
            (c.user_id, c.display_name)
            for c in await session.scalars(select(Conversation).order_by(Conversation.id))
        ]

    assert len(found.outbox) == 1
    assert left == ["for olaf"]
    assert people[1] == ("U-OLAF", "Olaf")
    assert people[0][0].startswith("erased-") and people[0][1] == ""


async def test_a_lane_whose_head_is_erased_moves_on(sessions: Sessions) -> None:
    """A staff-room message about their ticket heads a lane another message waits in."""
    async with sessions() as session, session.begin():
        dana = _conversation("U-DANA", "Dana", "D-DANA", None)
        session.add(dana)
        await session.flush()
        ticket = Ticket(
            conversation_id=dana.id,
            reason=TicketReason.ASKED,
            card_platform="slack",
            card_chat_id="C-STAFF",
            created_at=T0,
        )
        session.add(ticket)
        await session.flush()
        staff = _conversation("U-X", "X", "C-STAFF", None)
        about_dana = _to(staff, "about Dana", OutboxStatus.PENDING, ticket_id=ticket.id)
        unrelated = _to(staff, "queue is empty", OutboxStatus.PENDING, ready_at=OUTBOX_BEHIND)
        await outbox.write(session, [about_dana, unrelated])
    async with sessions() as session, session.begin():
        await privacy.erase(session, Person("slack", "U-DANA"), T0)
    async with sessions() as session:
        rows = [
            (r.payload["text"], r.ready_at)
            for r in await session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        ]
        stored = await session.get(Ticket, ticket.id)

    assert rows == [("queue is empty", OUTBOX_NEW)]
    assert stored is not None and stored.status == TicketStatus.RESOLVED


async def test_purge_spares_open_tickets_recent_lines_and_pending_messages(
    sessions: Sessions,
) -> None:
    old, recent = T0 - timedelta(days=40), T0 - timedelta(days=1)
    async with sessions() as session, session.begin():
        done = _conversation("U-DONE", "Done", "D-DONE", None)
        waiting = _conversation("U-WAIT", "Wait", "D-WAIT", None)
        session.add_all([done, waiting])
        await session.flush()
        session.add(
            Ticket(
                conversation_id=waiting.id,
                reason=TicketReason.ASKED,
                card_platform="slack",
                card_chat_id="C-STAFF",
                created_at=old,
            )
        )
        for conversation, at, text in (
            (done, old, "old question"),
            (done, recent, "recent question"),
            (waiting, old, "still waiting"),
        ):
            session.add(
                Message(
                    conversation_id=conversation.id,
                    kind=MessageKind.CUSTOMER,
                    author="x",
                    text=text,
                    created_at=at,
                )
            )
        await outbox.write(
            session,
            [
                {**_to(done, "sent long ago", OutboxStatus.SENT), "created_at": old},
                {**_to(done, "not sent yet", OutboxStatus.PENDING), "created_at": old},
            ],
        )
    async with sessions() as session, session.begin():
        purged = await privacy.purge(session, T0 - timedelta(days=30))
    async with sessions() as session, session.begin():
        again = await privacy.purge(session, T0 - timedelta(days=30))
    async with sessions() as session:
        texts = [m.text for m in await session.scalars(select(Message).order_by(Message.id))]
        left = [
            row.payload["text"]
            for row in await session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        ]

    assert (purged.messages, purged.outbox) == (1, 1)
    assert (again.messages, again.outbox, again.inbox) == (0, 0, 0)
    assert texts == ["", "recent question", "still waiting"]
    assert left == ["not sent yet"]


async def test_purge_deletes_the_blocks_that_ran_out_before_the_cutoff(
    sessions: Sessions,
) -> None:
    cutoff = T0 - timedelta(days=30)
    long_ago = T0 - timedelta(days=400)
    async with sessions() as session, session.begin():
        for user_id, until in (
            ("OVER-LONG-AGO", cutoff - timedelta(seconds=1)),
            ("OVER-AT-CUTOFF", cutoff),
            ("OVER-LATELY", T0 - timedelta(days=1)),
            ("FOREVER", None),
            ("IN-FORCE", T0 + timedelta(days=3000)),
        ):
            await blocks.block(
                session,
                platform="slack",
                user_id=user_id,
                display_name="Name",
                until=until,
                reason=f"why {user_id}",
                agent_id="U-ALEX",
                agent_name="Alex",
                now=long_ago,
            )
    async with sessions() as session, session.begin():
        purged = await privacy.purge(session, cutoff)
    async with sessions() as session, session.begin():
        again = await privacy.purge(session, cutoff)
    async with sessions() as session:
        left = [
            (b.user_id, b.display_name, b.reason)
            for b in await session.scalars(select(Block).order_by(Block.id))
        ]

    assert (purged.blocks, again.blocks) == (1, 0)
    assert (purged.messages, purged.outbox, purged.inbox, purged.feedback) == (0, 0, 0, 0)
    # Those in force (or run out after the cutoff) are left as they are, reason and all.
    assert left == [
        (user_id, "Name", f"why {user_id}")
        for user_id in ("OVER-AT-CUTOFF", "OVER-LATELY", "FOREVER", "IN-FORCE")
    ]
