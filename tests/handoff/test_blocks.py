"""Blocks in storage, on SQLite and PostgreSQL: the conversation's upsert says whether
its customer is blocked and told (no statement of its own); a block replaces the last
one and is told anew; it runs out at `until`; unblocking reports whether one was in
force; a person's blocks are exported, and erasing their data keeps a block in force
(without their name or the reason) and deletes one that has run out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from handoff import blocks, conversations, privacy
from handoff.models import Block
from handoff.privacy import Person
from tests.handoff.conftest import Sessions

NOW = datetime(2026, 11, 24, 9, 0)


async def arrive(sessions: Sessions, user_id: str, now: datetime) -> conversations.Activity:
    async with sessions() as session, session.begin():
        conn = await session.connection()
        _, activity = await conversations.arrive(
            conn,
            platform="slack",
            chat_id=f"D-{user_id}",
            user_id=user_id,
            display_name="Dana",
            locale="en",
            now=now,
            since=now - timedelta(seconds=30),
        )
        return activity


async def block(
    sessions: Sessions, user_id: str, until: datetime | None, reason: str, name: str | None = None
) -> None:
    async with sessions() as session, session.begin():
        await blocks.block(
            session,
            platform="slack",
            user_id=user_id,
            display_name=name,
            until=until,
            reason=reason,
            agent_id="U-ALEX",
            agent_name="Alex",
            now=NOW,
        )


async def test_arrive_reports_a_block_until_it_runs_out(sessions: Sessions) -> None:
    before = await arrive(sessions, "U1", NOW)
    await block(sessions, "U1", NOW + timedelta(hours=2), "spam")
    await block(sessions, "U2", None, "")
    blocked = await arrive(sessions, "U1", NOW + timedelta(minutes=1))
    async with sessions() as session, session.begin():
        await blocks.told(session, "slack", "U1", NOW)
    told = await arrive(sessions, "U1", NOW + timedelta(minutes=2))
    over = await arrive(sessions, "U1", NOW + timedelta(hours=2, seconds=1))
    forever = await arrive(sessions, "U2", NOW + timedelta(days=3650))
    other_platform = await arrive(sessions, "U3", NOW)

    assert (before.blocked, before.told_blocked) == (False, False)
    assert (blocked.blocked, blocked.told_blocked) == (True, False)
    assert (told.blocked, told.told_blocked) == (True, True)
    assert over.blocked is False
    assert forever.blocked is True
    assert other_platform.blocked is False


async def test_blocking_again_replaces_the_block_and_tells_again(sessions: Sessions) -> None:
    await block(sessions, "U1", NOW + timedelta(minutes=30), "first")
    async with sessions() as session, session.begin():
        await blocks.told(session, "slack", "U1", NOW)
    await block(sessions, "U1", None, "x" * 500)
    activity = await arrive(sessions, "U1", NOW + timedelta(hours=1))
    async with sessions() as session:
        rows = await blocks.in_force(session, NOW + timedelta(hours=1))
        count = await session.scalar(select(func.count()).select_from(Block))

    assert (activity.blocked, activity.told_blocked) == (True, False)
    assert count == 1
    assert [(r.user_id, r.until, len(r.reason), r.agent_name) for r in rows] == [
        ("U1", None, blocks.REASON_CHARS, "Alex")
    ]


async def test_unblock_says_whether_a_block_was_in_force(sessions: Sessions) -> None:
    await block(sessions, "U1", NOW + timedelta(minutes=30), "")
    await block(sessions, "U2", None, "")
    async with sessions() as session, session.begin():
        expired = await blocks.unblock(session, "slack", "U1", NOW + timedelta(hours=1))
        lifted = await blocks.unblock(session, "slack", "U2", NOW)
        again = await blocks.unblock(session, "slack", "U2", NOW)
        left = await blocks.in_force(session, NOW)

    assert (expired, lifted, again) == (False, True, False)
    assert left == []


async def test_erasing_a_person_keeps_their_block_in_force_without_name_or_reason(
    sessions: Sessions,
) -> None:
    await arrive(sessions, "U1", NOW)
    await block(sessions, "U1", None, "abuse from Dana", name="Dana")
    await block(sessions, "U2", None, "spam", name="Olaf")
    await block(sessions, "U3", NOW + timedelta(minutes=30), "flooding", name="Wren")
    async with sessions() as session, session.begin():
        await blocks.told(session, "slack", "U1", NOW)
        exported = await privacy.export(session, Person("slack", "U1"))
        found = await privacy.erase(session, Person("slack", "U1"), NOW)
        # Wren's block has run out by the time they ask: it goes with their data.
        expired = await privacy.erase(session, Person("slack", "U3"), NOW + timedelta(hours=1))
        after = await privacy.export(session, Person("slack", "U1"))
    back = await arrive(sessions, "U1", NOW + timedelta(minutes=1))
    async with sessions() as session:
        left = [
            (b.user_id, b.display_name, b.reason, b.until, b.agent_id, b.agent_name, b.told_at)
            for b in await session.scalars(select(Block).order_by(Block.user_id))
        ]

    assert [(b["user_id"], b["display_name"], b["reason"]) for b in exported["blocks"]] == [
        ("U1", "Dana", "abuse from Dana")
    ]
    assert isinstance(exported["blocks"][0]["created_at"], str)
    assert len(found.blocks) == 1 and len(expired.blocks) == 1
    assert left == [
        ("U1", None, "", None, "U-ALEX", "Alex", None),
        ("U2", "Olaf", "spam", None, "U-ALEX", "Alex", None),
    ]
    # Still blocked, and told once more in the conversation they start from scratch.
    assert (back.blocked, back.told_blocked) == (True, False)
    assert [(b["user_id"], b["display_name"], b["reason"]) for b in after["blocks"]] == [
        ("U1", None, "")
    ]
