"""The engine's work for one FAQ question, written directly: the baseline it is measured
against (issue 12).

Per message: one rapidfuzz `process.extractOne` over the example FAQ's phrasings (its
verdict remembered for a question asked again, as faq.matcher remembers its own); one
transaction that stores the event (the inbox row, already done), finds or opens the
conversation (an upsert), writes the customer's and the bot's transcript lines and the
outbox row; the "send" (an id, no network: the engine bench's platform records sends in
memory too); a second short transaction that marks the outbox row sent. Plain SQL
(`text()`) on an AsyncEngine, on the schema the migrations make.

The concurrency is the engine bench's: `customers` customers at once, each sending its
next question once the previous one is done. SQLite gets one connection (one writer at a
time anyway; more connections only wait on its lock), PostgreSQL one per customer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import process, utils
from sqlalchemy import JSON, DateTime, bindparam, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from faq.matcher import REMEMBERED, REMEMBERED_LENGTH
from faq.model import Entry, Faq

PLATFORM = "test"

_STORE_EVENT = text(
    "INSERT INTO inbox (platform, chat_id, event_key, lane, payload, status, attempts,"
    " received_at, done_at)"
    " VALUES (:platform, :chat_id, :event_key, :lane, :payload, 'done', 0, :now, :now)"
    " ON CONFLICT (platform, chat_id, event_key) DO NOTHING RETURNING id"
).bindparams(bindparam("payload", type_=JSON), bindparam("now", type_=DateTime))
_CONVERSATION = text(
    "INSERT INTO conversations (platform, chat_id, user_id, display_name, locale, state,"
    " misses, created_at, updated_at)"
    " VALUES (:platform, :chat_id, :user_id, :display_name, :locale, 'bot', 0, :now, :now)"
    " ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET updated_at = excluded.updated_at"
    " RETURNING id"
).bindparams(bindparam("now", type_=DateTime))
_TWO_LINES = text(
    "INSERT INTO messages (conversation_id, kind, author, text, outcome, created_at)"
    " VALUES (:conversation, 'customer', :customer, :question, 'answered', :now),"
    " (:conversation, 'bot', 'bot', :answer, NULL, :now)"
).bindparams(bindparam("now", type_=DateTime))
_ENQUEUE = text(
    "INSERT INTO outbox (target, platform, chat_id, lane, payload, status, attempts,"
    " in_doubt, created_at)"
    " VALUES ('address', :platform, :chat_id, :lane, :payload, 'pending', 0, FALSE, :now)"
    " RETURNING id"
).bindparams(bindparam("payload", type_=JSON), bindparam("now", type_=DateTime))
_MARK_SENT = text(
    "UPDATE outbox SET status = 'sent', sent_message_id = :message_id,"
    " lease_owner = NULL, lease_until = NULL WHERE id = :id"
)


@dataclass(frozen=True)
class Direct:
    messages: int
    seconds: float
    cpu_seconds: float  # this process, every thread (time.process_time)


class Answers:
    """The example FAQ as one list of phrasings, each pointing at its entry."""

    def __init__(self, faq: Faq) -> None:
        pairs = [(q, entry) for entry in faq.entries for q in entry.questions.get("en", ())]
        self._phrasings = [utils.default_process(q) for q, _ in pairs]
        self._entries: list[Entry] = [entry for _, entry in pairs]
        self._remembered: dict[str, Entry] = {}

    def best(self, question: str) -> Entry:
        found = self._remembered.get(question)
        if found is None:
            hit = process.extractOne(utils.default_process(question), self._phrasings)
            if hit is None:
                raise LookupError(f"no phrasing matches {question!r}")
            found = self._entries[hit[2]]
            if len(question) <= REMEMBERED_LENGTH and len(self._remembered) < REMEMBERED:
                self._remembered[question] = found
        return found


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """The engine's SQLite settings (handoff/storage.py), so both write alike."""
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def direct_engine(url: str, customers: int) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=customers, max_overflow=0)


def _payload(entry: Entry) -> dict[str, Any]:
    """An answer with its two buttons, shaped as the engine's outbox payload."""
    return {
        "text": [[entry.answer_for("en", "en"), "plain"]],
        "buttons": [["Yes, thanks", "helpful", entry.id], ["Not really", "unhelpful", entry.id]],
        "open_thread": None,
    }


class Handler:
    """Handles one customer message at a time per caller, as the engine would."""

    def __init__(self, engine: AsyncEngine, answers: Answers) -> None:
        self._engine = engine
        self._answers = answers
        self._sent_ids = itertools.count(1)

    async def handle(self, chat_id: str, user_id: str, message_id: str, question: str) -> None:
        entry = self._answers.best(question)
        now = datetime.now(UTC).replace(tzinfo=None)
        async with self._engine.begin() as connection:
            conversation_id = await self._store(
                connection, chat_id, user_id, message_id, question, now
            )
            if conversation_id is None:
                return  # a redelivery: stored and handled before
            lines = {
                "conversation": conversation_id,
                "customer": user_id,
                "question": question,
                "answer": entry.answer_for("en", "en"),
                "now": now,
            }
            await connection.execute(_TWO_LINES, lines)
            reply = {
                "platform": PLATFORM,
                "chat_id": chat_id,
                "lane": f"{PLATFORM}:{chat_id}:thread:",
                "payload": _payload(entry),
                "now": now,
            }
            row_id = (await connection.execute(_ENQUEUE, reply)).scalar_one()
        sent_id = f"m{next(self._sent_ids)}"
        async with self._engine.begin() as connection:
            await connection.execute(_MARK_SENT, {"message_id": sent_id, "id": row_id})

    @staticmethod
    async def _store(
        connection: AsyncConnection,
        chat_id: str,
        user_id: str,
        message_id: str,
        question: str,
        now: datetime,
    ) -> int | None:
        """Store the event (done) and find or open the conversation: its id, or None
        when the event was stored before."""
        sender = {"user_id": user_id, "display_name": user_id, "locale": "en"}
        event_payload = {
            "kind": "inbound",
            "platform": PLATFORM,
            "chat_id": chat_id,
            "thread_id": None,
            "sender": sender,
            "text": question,
            "message_id": message_id,
            "from_staff_room": False,
        }
        stored = await connection.execute(
            _STORE_EVENT,
            {
                "platform": PLATFORM,
                "chat_id": chat_id,
                "event_key": f"m:{message_id}",
                "lane": f"{PLATFORM}:{chat_id}:",
                "payload": event_payload,
                "now": now,
            },
        )
        if stored.scalar_one_or_none() is None:
            return None
        conversation = await connection.execute(
            _CONVERSATION,
            {
                "platform": PLATFORM,
                "chat_id": chat_id,
                "user_id": user_id,
                "display_name": user_id,
                "locale": "en",
                "now": now,
            },
        )
        return int(conversation.scalar_one())


async def run_direct(url: str, faq: Faq, questions: list[str], customers: int, each: int) -> Direct:
    """`customers` customers asking `each` questions of `questions` (the engine bench's
    order), each waiting for its previous one; timed from the first to the last send."""
    engine = direct_engine(url, customers)
    handler = Handler(engine, Answers(faq))

    async def customer(n: int) -> None:
        for k in range(each):
            question = questions[(n * each + k) % len(questions)]
            await handler.handle(f"D{n}", f"U{n}", f"U{n}-{k + 1}", question)

    try:
        async with engine.connect() as connection:  # the pool warm, as the engine's is
            await connection.execute(text("SELECT 1"))
        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(customer(n) for n in range(customers)))
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await engine.dispose()
    return Direct(customers * each, seconds, cpu_seconds)
