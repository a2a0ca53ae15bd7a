"""The CLINC150 intent data set as FAQs: k training phrasings per intent become an entry."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.model import Entry, Faq

OUT_OF_SCOPE = "oos"
ENV_VAR = "SUPPORTBOT_BENCHDATA"
_REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = _REPO_ROOT.parent / "shared" / "benchdata" / "clinc150" / "data_full.json"

Example = tuple[str, str]


class BenchDataMissing(Exception):
    """The data file is not there; a section reports this instead of failing."""


@dataclass(frozen=True)
class Clinc:
    """The splits of data_full.json: (text, intent) pairs; out-of-scope intent is "oos"."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    oos_train: list[Example]
    oos_val: list[Example]
    oos_test: list[Example]


def data_path() -> Path:
    """SUPPORTBOT_BENCHDATA if set, else the shared benchdata folder beside the repo."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else DEFAULT_PATH


def load(path: Path) -> Clinc:
    if not path.is_file():
        raise BenchDataMissing(f"benchmark data not found at {path} (set {ENV_VAR})")
    raw = json.loads(path.read_text(encoding="utf-8"))

    def split(name: str) -> list[Example]:
        return [(str(text), str(intent)) for text, intent in raw[name]]

    return Clinc(
        train=split("train"),
        val=split("val"),
        test=split("test"),
        oos_train=split("oos_train"),
        oos_val=split("oos_val"),
        oos_test=split("oos_test"),
    )


def build_faq(train: Iterable[Example], per_intent: int, intents: int | None = None) -> Faq:
    """An FAQ with the first `per_intent` phrasings of each intent (first `intents` intents)."""
    questions: dict[str, list[str]] = {}
    for text, intent in train:
        if intent not in questions:
            if intents is not None and len(questions) >= intents:
                continue
            questions[intent] = []
        if len(questions[intent]) < per_intent:
            questions[intent].append(text)
    entries = tuple(
        Entry(id=intent, questions={"en": tuple(texts)}, answer={"en": intent})
        for intent, texts in questions.items()
    )
    return Faq(entries=entries)


def sample_faq(
    train: Iterable[Example], per_intent: int, seed: int, intents: Sequence[str] | None = None
) -> Faq:
    """An FAQ with `per_intent` phrasings of each intent drawn at random (seeded), for
    `intents` (default: every intent, in data order). CLINC150 lists near-identical
    paraphrases in a row, so the first k would be an unlucky sample."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    rng = random.Random(seed)
    chosen = list(by_intent) if intents is None else list(intents)
    entries = tuple(
        Entry(
            id=intent,
            questions={"en": tuple(rng.sample(by_intent[intent], per_intent))},
            answer={"en": intent},
        )
        for intent in chosen
    )
    return Faq(entries=entries)


def load_domains(path: Path) -> dict[str, list[str]] | None:
    """CLINC150's domains (domain -> its 15 intents) from domains.json beside the data
    file, or None when it is not there."""
    file = path.with_name("domains.json")
    if not file.is_file():
        return None
    raw = json.loads(file.read_text(encoding="utf-8"))
    return {str(domain): [str(intent) for intent in intents] for domain, intents in raw.items()}


_ONSETS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def product_name(number: int) -> str:
    """A made-up product name, distinct for each `number` (three syllables, as "kavoru")."""
    syllables = [onset + vowel for onset in _ONSETS for vowel in _VOWELS]
    parts = []
    for _ in range(3):
        number, rest = divmod(number, len(syllables))
        parts.append(syllables[rest])
    return "".join(parts)


def synthetic_faq(train: Iterable[Example], entries: int, per_entry: int) -> Faq:
    """An FAQ of `entries` entries of `per_entry` phrasings each, however many intents
    CLINC has: entry n belongs to intent n mod 150 and asks about product n, so its
    phrasings are that intent's training phrasings (a different run of them for each
    product) with the product's name added. Like a large real FAQ, many entries share
    most of their wording and differ in a word or two.
    """
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    intents = list(by_intent)
    built = []
    for number in range(entries):
        intent = intents[number % len(intents)]
        texts = by_intent[intent]
        start = (number // len(intents)) * per_entry
        name = product_name(number)
        questions = tuple(
            f"{texts[(start + i) % len(texts)]} ({name})"
            if i % 2
            else f"{name}: {texts[(start + i) % len(texts)]}"
            for i in range(per_entry)
        )
        built.append(
            Entry(id=f"{intent}-{number}", questions={"en": questions}, answer={"en": name})
        )
    return Faq(entries=tuple(built))
