"""A small support history with known figures, for the metrics and report tests.

Support hours (tests/bot/conversation_kit.py): Europe/Berlin, Mon-Fri 09:00-17:00.
2026-11-24 is a Tuesday; 09:00 UTC is 10:00 in Berlin.

Questions: 6 (answered 3, of them 2 with no ticket within the hour after: deflection
1/3; suggested 1, none 1, handed off 1). Tickets: 4. First responses: 2m and 10m (in
hours), 2 days (opened on Saturday 5 December); T4 (17:30 Berlin) has none. Ratings 5, 3, 4.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff.models import Conversation, Message, Ticket
from handoff.states import MessageKind, QuestionOutcome, TicketReason, TicketStatus

DAY = datetime(2026, 11, 24)
SATURDAY = datetime(2026, 12, 5, 12, 0)


def _at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def _conversation(platform: str, user_id: str, name: str) -> Conversation:
    return Conversation(
        platform=platform,
        chat_id=f"dm-{user_id}",
        user_id=user_id,
        display_name=name,
        locale="en",
        created_at=_at(8),
        updated_at=_at(8),
    )


def _question(
    conversation: Conversation, text: str, outcome: QuestionOutcome, at: datetime
) -> Message:
    return Message(
        conversation_id=conversation.id,
        kind=MessageKind.CUSTOMER,
        author=conversation.display_name,
        text=text,
        outcome=outcome,
        created_at=at,
    )


def _ticket(
    conversation: Conversation,
    opened: datetime,
    *,
    agent: tuple[str, str] | None = None,
    reply_after: timedelta | None = None,
    resolve_after: timedelta | None = None,
    rating: int | None = None,
) -> Ticket:
    status = TicketStatus.OPEN
    if agent is not None:
        status = TicketStatus.RESOLVED if resolve_after is not None else TicketStatus.CLAIMED
    return Ticket(
        conversation_id=conversation.id,
        status=status,
        reason=TicketReason.ASKED,
        agent_id=agent[0] if agent else None,
        agent_name=agent[1] if agent else None,
        card_platform="test",
        card_chat_id="staff",
        created_at=opened,
        claimed_at=opened if agent else None,
        first_reply_at=opened + reply_after if reply_after is not None else None,
        resolved_at=opened + resolve_after if resolve_after is not None else None,
        rating=rating,
    )


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        ann = _conversation("slack", "U-ANN", "Ann")
        ben = _conversation("telegram", "4242", "Ben")
        cleo = _conversation("discord", "D-CLEO", "Cleo")
        dan = _conversation("slack", "U-DAN", "Dan")
        session.add_all([ann, ben, cleo, dan])
        await session.flush()
        session.add_all(
            [
                _question(ann, "where is my order", QuestionOutcome.ANSWERED, _at(9)),
                _question(ann, "refund please", QuestionOutcome.ANSWERED, _at(10)),
                _question(ben, "payment", QuestionOutcome.SUGGESTED, _at(9, 5)),
                _question(ben, "qwzx", QuestionOutcome.NONE, _at(9, 6)),
                _question(cleo, "a person please", QuestionOutcome.HANDED_OFF, _at(9, 10)),
                _question(dan, "opening hours", QuestionOutcome.ANSWERED, _at(11)),
            ]
        )
        alex, sam = ("agent-alex", "Alex"), ("agent-sam", "Sam")
        minutes = timedelta(minutes=1)
        session.add_all(
            [
                _ticket(
                    ann,
                    _at(10, 20),
                    agent=alex,
                    reply_after=2 * minutes,
                    resolve_after=30 * minutes,
                    rating=5,
                ),
                _ticket(
                    cleo,
                    _at(9, 10),
                    agent=sam,
                    reply_after=10 * minutes,
                    resolve_after=60 * minutes,
                    rating=3,
                ),
                _ticket(
                    ben,
                    SATURDAY,
                    agent=alex,
                    reply_after=timedelta(days=2),
                    resolve_after=timedelta(days=2, hours=1),
                    rating=4,
                ),
                _ticket(dan, _at(16, 30)),
            ]
        )
