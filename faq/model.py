"""The FAQ as the rest of the program sees it: validated entries, localized."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Entry:
    """One FAQ entry.

    `questions` and `answer` are keyed by locale ("en", "de", ...); a file that
    gives a plain list / string is stored under the FAQ's default locale.
    `threshold` overrides the global answer threshold for this entry only.
    `source` is "file:line" of the entry, for error messages.
    """

    id: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    tags: tuple[str, ...] = ()
    threshold: float | None = None
    source: str = ""

    def answer_for(self, locale: str, fallback: str) -> str:
        if locale in self.answer:
            return self.answer[locale]
        if fallback in self.answer:
            return self.answer[fallback]
        return next(iter(self.answer.values()))

    def all_questions(self) -> list[tuple[str, str]]:
        """(locale, question) pairs, every locale."""
        return [(loc, q) for loc, qs in self.questions.items() for q in qs]


# Small talk is a whole short message: longer ones are questions.
SMALL_TALK_MAX_WORDS = 8


class SmallTalkKind(StrEnum):
    """The kinds of small talk the bot answers itself (bot/small_talk.py), never as a
    question for the FAQ nor as a reason for a ticket."""

    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    ARE_YOU_A_BOT = "are_you_a_bot"
    COMMANDS = "commands"


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """The FAQ's own words for one kind of small talk, from its `small_talk:` section.

    `reply` (by locale) replaces the built-in reply in those locales; `phrases` (by
    locale) are recognized in addition to the built-in ones.
    """

    kind: SmallTalkKind
    reply: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True, slots=True)
class Faq:
    entries: tuple[Entry, ...] = field(default=())
    small_talk: tuple[SmallTalk, ...] = field(default=())

    def by_id(self, entry_id: str) -> Entry | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None
