"""The FAQ as the rest of the program sees it: validated entries, localized."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class Faq:
    entries: tuple[Entry, ...] = field(default=())

    def by_id(self, entry_id: str) -> Entry | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None
