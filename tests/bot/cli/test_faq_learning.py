"""`supportbot faq gaps` and `faq learn` on a database (SQLite and PostgreSQL) holding
misses, "did you mean" choices and resolved tickets, against the example FAQ: clusters
largest first, phrasings proposed with their evidence as YAML that hostile customer
text cannot break, and the FAQ left alone."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import insert

from bot import cli
from bot.cli.faq_learning import one_line
from faq.calibrate import calibrate
from faq.loader import load_faq
from faq.matcher import Matcher
from handoff import faq_feedback
from handoff.faq_feedback import Candidate
from handoff.models import Conversation, FeedbackKind, Message, Ticket
from handoff.states import MessageKind, TicketReason, TicketStatus
from handoff.storage import make_engine, upgrade
from tests.bot.cli.seeded import write_config
from tests.conftest import EXAMPLE_FAQ

T0 = datetime(2026, 11, 24, 9, 0)
OLD = T0 - timedelta(days=30)
HOSTILE = 'payment\x1b[31m\n- id: evil\n  add_questions: ["pwned"] &a *a\u202e # {x: 1}'
MISSES = (
    "do you ship to mars",
    "Do you ship to Mars?",
    "shipping to mars possible?",
    "my parcel is late",
    "can I pay with seashells",
    "seashells as payment?",
)
QUOTED_QUESTION = "cant get into my acount"
SCORED_QUESTION = "invoice please"


def _answer(entry_id: str) -> str:
    entry = load_faq(EXAMPLE_FAQ).by_id(entry_id)
    assert entry is not None
    return entry.answer["en"]


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as db:
            conversation = (
                await db.execute(
                    insert(Conversation).returning(Conversation.id),
                    {
                        "platform": "test",
                        "chat_id": "dm-1",
                        "user_id": "cust-1",
                        "display_name": "Dana",
                        "locale": "en",
                        "state": "bot",
                        "misses": 0,
                        "created_at": OLD,
                        "updated_at": T0,
                    },
                )
            ).scalar_one()

            async def record(
                kind: FeedbackKind, text: str, at: datetime = T0, offered: str = "shipping"
            ) -> None:
                await faq_feedback.record(
                    db,
                    conversation_id=conversation,
                    kind=kind,
                    locale="en",
                    text=text,
                    candidates=[Candidate(offered, 60.0), Candidate("pay-later", 50.0)],
                    now=at,
                )

            await record(FeedbackKind.MISS, "an old question about mars", OLD)
            for text in MISSES:
                await record(FeedbackKind.MISS, text)
            await record(FeedbackKind.UNHELPFUL, "\x1b]0;owned\x07where is my parcel")
            for text, chosen in (
                ("payment", "payment-methods"),
                ("payment", "payment-methods"),
                (HOSTILE, "payment-methods"),
                ("taken back", "payment-failed"),
            ):
                await record(FeedbackKind.SUGGESTED, text, offered=chosen)
                assert await faq_feedback.chose(db, conversation, chosen)
            await faq_feedback.rejected(db, conversation, "payment-failed")
            reset = f"Hi! {_answer('reset-password')}"
            await _ticket(db, conversation, QUOTED_QUESTION, reset, T0 + timedelta(hours=1))
            await _ticket(
                db, conversation, SCORED_QUESTION, "Sent it by email.", T0 + timedelta(hours=3)
            )
    finally:
        await engine.dispose()


async def _ticket(db: Any, conversation: int, question: str, reply: str, opened: datetime) -> None:
    await db.execute(
        insert(Message),
        {
            "conversation_id": conversation,
            "kind": MessageKind.CUSTOMER,
            "author": "Dana",
            "text": question,
            "outcome": "handed_off",
            "created_at": opened,
        },
    )
    ticket = (
        await db.execute(
            insert(Ticket).returning(Ticket.id),
            {
                "conversation_id": conversation,
                "status": TicketStatus.RESOLVED,
                "reason": TicketReason.NO_ANSWER,
                "priority": "normal",
                "card_platform": "test",
                "card_chat_id": "staff",
                "created_at": opened,
                "resolved_at": opened + timedelta(hours=1),
            },
        )
    ).scalar_one()
    await db.execute(
        insert(Message),
        {
            "conversation_id": conversation,
            "ticket_id": ticket,
            "kind": MessageKind.AGENT,
            "author": "Alex",
            "text": reply,
            "created_at": opened + timedelta(minutes=5),
        },
    )


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    asyncio.run(_seed(database_url))
    return write_config(tmp_path / "config.yaml", database_url)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(["faq", *argv]) == 0
    return capsys.readouterr().out


def test_gaps_come_in_clusters_largest_first(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = json.loads(_run(capsys, "gaps", "--config", str(config), "--json"))
    recent = json.loads(
        _run(capsys, "gaps", "--config", str(config), "--json", "--since", "2026-11-20")
    )
    text = _run(capsys, "gaps", "--config", str(config), "--limit", "2")

    assert found["questions"] == 8 and recent["questions"] == 7
    first = recent["clusters"][0]
    assert first["size"] == 3 and first["no_answer"] == 3
    assert first["examples"] == list(MISSES[:3])
    assert first["nearest"]["id"] == "shipping-countries"
    assert 0 < first["nearest"]["score"] < 100
    assert recent["clusters"][1]["examples"] == list(MISSES[4:6])
    sizes = [c["size"] for c in found["clusters"]]
    assert sizes == [3, 2, 1, 1, 1]
    unhelpful = [c for c in found["clusters"] if c["unhelpful"]]
    assert unhelpful[0]["examples"] == ["]0;ownedwhere is my parcel"]
    assert text.startswith("8 unanswered questions; the largest clusters:")
    assert '   "do you ship to mars"' in text and "3. " not in text
    assert "\x1b" not in text and "\x07" not in text


def test_learn_proposes_phrasings_as_a_yaml_patch(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    faq = load_faq(EXAMPLE_FAQ)
    settings = calibrate(faq).settings
    matcher = Matcher(faq, settings)
    best = matcher.rank(SCORED_QUESTION, 1)[0]
    assert best.entry.id == "invoice-copy" and best.score >= settings.suggest
    out = tmp_path / "patch.yaml"

    said = _run(capsys, "learn", "--config", str(config), "--out", str(out))
    patch_text = out.read_text(encoding="utf-8")
    patch = {item["id"]: item["add_questions"] for item in yaml.safe_load(patch_text)}

    assert said.startswith("wrote 4 proposed phrasings to ")
    assert patch == {
        "payment-methods": ["payment", one_line(HOSTILE)],
        "invoice-copy": [SCORED_QUESTION],
        "reset-password": [QUOTED_QUESTION],
    }
    assert not any(unicodedata.category(ch).startswith("C") for ch in one_line(HOSTILE))
    assert "#   1. did you mean: chosen 2026-11-24 09:00 (conversation 1), not marked" in patch_text
    assert "unhelpful (2x)\n" in patch_text
    assert "an agent's reply quoted its answer" in patch_text
    assert f">= suggest threshold {settings.suggest:.1f}" in patch_text
    assert "# 1 ticket had no agent reply quoting an entry's answer" in patch_text
    for line in patch_text.splitlines():
        assert not any(unicodedata.category(ch).startswith("C") for ch in line)


def test_learn_never_writes_into_the_faq(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "shop.yaml").write_text(EXAMPLE_FAQ.joinpath("payment.yaml").read_text())
    before = (faq / "shop.yaml").read_bytes()

    for target in (faq / "shop.yaml", faq / "new.yaml"):
        code = cli.main(
            ["faq", "learn", "--config", str(config), "--faq", str(faq), "--out", str(target)]
        )
        assert code == 2
    refused = capsys.readouterr().err
    printed = _run(capsys, "learn", "--config", str(config), "--since", "2027-01-01")

    assert refused.count("is part of the FAQ; the patch is for review") == 2
    assert sorted(p.name for p in faq.iterdir()) == ["shop.yaml"]
    assert (faq / "shop.yaml").read_bytes() == before
    assert "# No new phrasings to propose." in printed
    assert yaml.safe_load(printed) == []
