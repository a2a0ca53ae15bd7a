"""`supportbot faq gaps|learn`: what customers asked that the FAQ did not answer, and
new phrasings for its entries learnt from what customers and agents did.

`gaps` clusters the questions the bot had no answer for and the answers marked "this
didn't help" (faq/clusters.py), largest first, each with examples and the entry nearest
to it now. `learn` proposes phrasings for existing entries as a YAML patch for an admin
to review, never editing the FAQ: a question whose "did you mean" the customer answered
by choosing an entry and did not then mark unhelpful; and the question that opened a
ticket an agent resolved, for the entry whose answer an agent's reply quoted or, when no
reply quotes one (agents have no command that sends an entry, so the quote is the only
link the data holds), for its best entry when that scores at least the suggest threshold.
Customer text is untrusted: it is printed on one line without control characters, and
written into YAML only through yaml.safe_dump.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cli.common import add_config_option, load_or_exit, since_value
from bot.config import Config
from bot.faq_settings import match_settings
from faq import matcher as faq_matcher
from faq.calibrate import calibrated
from faq.clusters import cluster
from faq.loader import FaqError, load_faq
from faq.matcher import Matcher
from faq.model import Faq
from faq.normalize import normalize
from handoff import faq_feedback
from handoff.faq_feedback import Feedback, ResolvedTicket
from handoff.models import FeedbackKind
from handoff.storage import StorageError, make_engine, upgrade

T = TypeVar("T")

EXAMPLES = 3  # example questions shown per cluster
SHOWN_CHARS = 200  # of a customer's text, in the output
# A question longer than this is not proposed as a phrasing.
PHRASING_CHARS = 200
# An agent's reply quotes an entry's answer when the answer (normalised, at least this
# long) scores this much with rapidfuzz's partial_ratio against the reply.
QUOTE_SCORE = 90.0
QUOTE_MIN_CHARS = 20
EVIDENCE_LINES = 4  # per phrasing, in the patch's comments


def register_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gaps = actions.add_parser(
        "gaps",
        help="list the questions the FAQ did not answer, in clusters",
        description="Cluster the questions the bot had no answer for and the answers "
        "marked unhelpful, largest cluster first, with examples and the nearest entry.",
    )
    _common(gaps)
    gaps.add_argument("--json", action="store_true", help="print the clusters as JSON")
    gaps.add_argument(
        "--limit", type=int, default=20, metavar="N", help="show the N largest (default 20)"
    )
    gaps.set_defaults(run=run_gaps)
    learn = actions.add_parser(
        "learn",
        help="propose new phrasings for FAQ entries (a YAML patch to review)",
        description="Propose phrasings for existing entries from confirmed 'did you "
        "mean' choices and resolved tickets, as YAML with the evidence in comments. "
        "The FAQ itself is never changed.",
    )
    _common(learn)
    learn.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    learn.set_defaults(run=run_learn)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=_since,
        metavar="DATE",
        help="from this day (YYYY-MM-DD, UTC) or ISO 8601 moment; default: everything",
    )
    parser.add_argument("--faq", type=Path, help="FAQ file or folder (default: the config's)")
    add_config_option(parser)


def _since(value: str) -> datetime:
    """Naive UTC, as stored (a day or a moment without an offset is taken as UTC)."""
    moment = since_value(value)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def one_line(text: str, limit: int = SHOWN_CHARS) -> str:
    """Untrusted text made safe to show: no control, format or unassigned characters,
    whitespace (line breaks too) as single spaces, at most `limit` characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    flat = " ".join(kept.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class _Setup:
    config: Config
    faq: Faq
    faq_path: Path
    matcher: Matcher


def _setup(args: argparse.Namespace) -> _Setup | None:
    config = load_or_exit(args.config)
    path: Path = args.faq or config.faq.path
    try:
        faq = load_faq(path, config.bot.default_locale)
    except FaqError as exc:
        print(f"supportbot: the FAQ does not load:\n{exc}", file=sys.stderr)
        return None
    return _Setup(config, faq, path, calibrated(faq, match_settings(config.faq))[0])


async def _read(config: Config, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    engine = make_engine(config.database.url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            return await work(connection)
    finally:
        await engine.dispose()


def _load(config: Config, work: Callable[[AsyncConnection], Awaitable[T]]) -> T | None:
    try:
        return asyncio.run(_read(config, work))
    except StorageError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return None


# gaps


def run_gaps(args: argparse.Namespace) -> int:
    setup = _setup(args)
    if setup is None:
        return 1
    since: datetime | None = args.since
    rows = _load(setup.config, lambda db: faq_feedback.unanswered(db, since))
    if rows is None:
        return 1
    found = gaps(rows, setup.faq, setup.matcher)[: max(args.limit, 0)]
    if args.json:
        print(json.dumps({"questions": len(rows), "clusters": found}, ensure_ascii=False))
    else:
        sys.stdout.write(_gaps_text(len(rows), found, since))
    return 0


def gaps(rows: list[Feedback], faq: Faq, matcher: Matcher) -> list[dict[str, Any]]:
    """The clusters of `rows`, largest first, as JSON-ready values; `matcher` (over
    `faq`) names the entry nearest to each."""
    found = []
    background = [question for _position, question in faq_matcher.phrasings(faq)]
    for group in cluster([row.text for row in rows], background=background):
        members = [rows[position] for position in group.members]
        examples: list[str] = []
        for row in members:
            shown = one_line(row.text)
            if shown not in examples and len(examples) < EXAMPLES:
                examples.append(shown)
        centre = members[0]
        ranked = matcher.rank(centre.text, 1, centre.locale)
        found.append(
            {
                "size": len(members),
                "no_answer": sum(1 for row in members if row.kind == FeedbackKind.MISS),
                "unhelpful": sum(1 for row in members if row.kind == FeedbackKind.UNHELPFUL),
                "last_asked": max(row.created_at for row in members).isoformat(),
                "examples": examples,
                "nearest": (
                    {"id": ranked[0].entry.id, "score": round(ranked[0].score, 1)}
                    if ranked
                    else None
                ),
            }
        )
    return found


def _gaps_text(total: int, found: list[dict[str, Any]], since: datetime | None) -> str:
    when = f" since {since.isoformat(sep=' ')} UTC" if since is not None else ""
    if not total:
        return f"no unanswered questions{when}\n"
    lines = [f"{_count(total, 'unanswered question')}{when}; the largest clusters:"]
    for number, group in enumerate(found, 1):
        nearest = group["nearest"]
        near = f"{nearest['id']} ({nearest['score']:.1f})" if nearest else "none"
        lines += [
            "",
            f"{number}. {_count(group['size'], 'question')} ({group['no_answer']} without"
            f" an answer, {group['unhelpful']} marked unhelpful), last {group['last_asked']}",
            *(f'   "{example}"' for example in group["examples"]),
            f"   nearest entry: {near}",
        ]
    return "\n".join(lines) + "\n"


# learn


@dataclass
class _Phrasing:
    text: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class _Learnt:
    """Proposed phrasings by entry id, each keyed by its normalised text."""

    by_entry: dict[str, dict[str, _Phrasing]] = field(default_factory=dict)
    by_score: int = 0  # tickets linked by their best entry's score, not by a reply

    def add(self, entry_id: str, text: str, evidence: str) -> None:
        key = normalize(text)
        phrasings = self.by_entry.setdefault(entry_id, {})
        if key not in phrasings:
            phrasings[key] = _Phrasing(one_line(text, PHRASING_CHARS + 1))
        phrasings[key].evidence.append(evidence)


@dataclass(frozen=True)
class _History:
    confirmed: list[Feedback]
    tickets: list[ResolvedTicket]


async def _history(db: AsyncConnection, since: datetime | None) -> _History:
    return _History(
        await faq_feedback.confirmed(db, since), await faq_feedback.resolved_tickets(db, since)
    )


def run_learn(args: argparse.Namespace) -> int:
    setup = _setup(args)
    if setup is None:
        return 1
    out: Path | None = args.out
    if out is not None and _inside(out, setup.faq_path):
        print(
            f"supportbot: {out} is part of the FAQ; the patch is for review, write it elsewhere",
            file=sys.stderr,
        )
        return 2
    since: datetime | None = args.since
    history = _load(setup.config, lambda db: _history(db, since))
    if history is None:
        return 1
    learnt = learn(history.confirmed, history.tickets, setup.faq, setup.matcher)
    patch = render_patch(learnt, len(history.confirmed), len(history.tickets), since)
    if out is None:
        sys.stdout.write(patch)
    else:
        out.write_text(patch, encoding="utf-8")
        print(f"wrote {sum(map(len, learnt.by_entry.values()))} proposed phrasings to {out}")
    return 0


def _inside(out: Path, faq_path: Path) -> bool:
    target, faq = out.resolve(), faq_path.resolve()
    return target == faq or faq in target.parents


def learn(
    confirmed: list[Feedback], tickets: list[ResolvedTicket], faq: Faq, matcher: Matcher
) -> _Learnt:
    """The phrasings worth proposing: not too long, for entries the FAQ still has, and
    not already answered with that entry by the current FAQ (`matcher`, over `faq`)."""
    learnt = _Learnt()
    for row in confirmed:
        if row.entry_id is not None and faq.by_id(row.entry_id) is not None:
            learnt.add(
                row.entry_id,
                row.text,
                f"did you mean: chosen {row.created_at:%Y-%m-%d %H:%M} (conversation"
                f" {row.conversation_id}), not marked unhelpful",
            )
    suggest = matcher.settings.suggest
    for ticket in tickets:
        quoted = _quoted(ticket, faq)
        resolved = f"ticket #{ticket.ticket_id} resolved {ticket.resolved_at:%Y-%m-%d %H:%M}"
        if quoted is not None:
            learnt.add(quoted, ticket.question, f"{resolved}: an agent's reply quoted its answer")
            continue
        ranked = matcher.rank(ticket.question, 1, ticket.locale or None)
        if ranked and ranked[0].score >= suggest:
            learnt.by_score += 1
            learnt.add(
                ranked[0].entry.id,
                ticket.question,
                f"{resolved}: no reply quotes an entry; best entry, scored"
                f" {ranked[0].score:.1f} >= suggest threshold {suggest:.1f}",
            )
    _drop_known(learnt, faq, matcher)
    return learnt


def _quoted(ticket: ResolvedTicket, faq: Faq) -> str | None:
    """The entry whose answer (in any language) an agent's reply in the ticket quotes."""
    replies = [normalize(reply) for reply in ticket.replies]
    for entry in faq.entries:
        for answer in entry.answer.values():
            quote = normalize(answer)
            if len(quote) < QUOTE_MIN_CHARS:
                continue
            for reply in replies:
                if len(reply) >= QUOTE_MIN_CHARS and (
                    fuzz.partial_ratio(quote, reply, score_cutoff=QUOTE_SCORE) >= QUOTE_SCORE
                ):
                    return entry.id
    return None


def _drop_known(learnt: _Learnt, faq: Faq, matcher: Matcher) -> None:
    """Leave out what the FAQ already answers with the entry, and overlong questions."""
    for entry_id, phrasings in list(learnt.by_entry.items()):
        entry = faq.by_id(entry_id)
        if entry is None:
            del learnt.by_entry[entry_id]
            continue
        for key, phrasing in list(phrasings.items()):
            if (
                not key
                or len(phrasing.text) > PHRASING_CHARS
                or matcher.answers(phrasing.text, entry)
            ):
                del phrasings[key]
        if not phrasings:
            del learnt.by_entry[entry_id]


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def render_patch(learnt: _Learnt, confirmed: int, tickets: int, since: datetime | None) -> str:
    """The YAML patch: one list item (`id`, `add_questions`) per entry, most proposals
    first; comments above each item give each phrasing's evidence."""
    when = f" since {since.isoformat(sep=' ')} UTC" if since is not None else ""
    lines = [
        "# Proposed phrasings for existing FAQ entries (supportbot faq learn).",
        "# Nothing was changed: review each one, then copy those you keep into the",
        "# entry's questions. The phrasings are customers' words, quoted as they wrote.",
        f"# Read{when}: {confirmed} confirmed 'did you mean' choices, {tickets} resolved tickets.",
    ]
    if learnt.by_score:
        lines += [
            f"# {_count(learnt.by_score, 'ticket')} had no agent reply quoting an entry's"
            " answer: linked to their",
            "# best-scoring entry, when it scored at least the suggest threshold.",
        ]
    order = sorted(learnt.by_entry.items(), key=lambda item: (-len(item[1]), item[0]))
    if not order:
        lines.append("# No new phrasings to propose.")
        return "\n".join(lines) + "\n" + yaml.safe_dump([])
    for entry_id, phrasings in order:
        lines += ["", f"# {one_line(entry_id)}: {_count(len(phrasings), 'new phrasing')}"]
        for number, phrasing in enumerate(phrasings.values(), 1):
            evidence = Counter(phrasing.evidence)
            shown = [
                one_line(said) + (f" ({times}x)" if times > 1 else "")
                for said, times in evidence.most_common(EVIDENCE_LINES)
            ]
            lines.append(f"#   {number}. {shown[0]}")
            lines += [f"#      {more}" for more in shown[1:]]
            if len(evidence) > EVIDENCE_LINES:
                lines.append(f"#      and {len(evidence) - EVIDENCE_LINES} more")
        item = {"id": entry_id, "add_questions": [p.text for p in phrasings.values()]}
        lines.append(
            yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=1000).rstrip("\n")
        )
    return "\n".join(lines) + "\n"
