"""Read the hand-written FAQ YAML into `Faq`, reporting every problem with its file:line.

A file holds `entries` and may hold a `small_talk` section (the FAQ's own replies to
greetings, thanks, ... and extra phrases for them; see bot/small_talk.py), each kind
given in one file only.

The YAML is composed into a node tree (not constructed into Python objects), so every
value keeps the line it was written on. Text fields use the text as written: a
question "yes" or "404" stays a string instead of becoming a bool or an int.

Composing goes through `faq.safe_yaml`, whose size, depth and alias limits keep a
hostile file from crashing or stalling the bot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from faq.model import SMALL_TALK_MAX_WORDS, Entry, Faq, SmallTalk, SmallTalkKind
from faq.normalize import normalize
from faq.safe_yaml import FAQ_LIMITS, LimitExceeded, compose, unknown_key

TOP_KEYS = ("entries", "small_talk")
ENTRY_KEYS = ("id", "questions", "answer", "tags", "threshold")
SMALL_TALK_KEYS = ("reply", "phrases")
SMALL_TALK_KINDS = tuple(kind.value for kind in SmallTalkKind)
REQUIRED_KEYS = ("id", "questions", "answer")
# Entry ids travel in button values, and Telegram's callback data holds 64 bytes.
MAX_ID_LENGTH = 40
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LOCALE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_NULL_TAG = "tag:yaml.org,2002:null"
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the FAQ; `source` is "file:line" (or the file alone)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class FaqError(Exception):
    """The FAQ cannot be loaded; `problems` lists everything found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def faq_files(path: Path) -> list[Path]:
    """The files a FAQ path stands for: the file itself, or a folder's *.yaml/*.yml files.

    Folders are searched recursively, in sorted order; hidden files and folders
    (editor backups, `.git`) are skipped.
    """
    if not path.is_dir():
        return [path]
    return sorted(
        file
        for file in path.rglob("*")
        if file.suffix in _SUFFIXES
        and file.is_file()
        and not any(part.startswith(".") for part in file.relative_to(path).parts)
    )


def load_faq(path: Path, default_locale: str = "en") -> Faq:
    """Load a FAQ file or folder; raise `FaqError` listing all problems found."""
    problems: list[Problem] = []
    if not path.exists():
        raise FaqError([Problem(str(path), "no such file or folder")])
    files = faq_files(path)
    if not files:
        raise FaqError([Problem(str(path), "no .yaml or .yml files in this folder")])
    entries: list[Entry] = []
    small_talk: list[SmallTalk] = []
    first_seen: dict[str, str] = {}
    kinds_seen: dict[SmallTalkKind, str] = {}
    for file in files:
        found, said = _load_file(file, default_locale, problems)
        for entry in found:
            first = first_seen.get(entry.id)
            if first is not None:
                message = f'entry "{entry.id}": duplicate id, first defined at {first}'
                problems.append(Problem(entry.source, message))
            else:
                first_seen[entry.id] = entry.source
                entries.append(entry)
        for talk in said:
            first = kinds_seen.get(talk.kind)
            if first is not None:
                message = f"small_talk.{talk.kind}: given twice, first at {first}"
                problems.append(Problem(talk.source, message))
            else:
                kinds_seen[talk.kind] = talk.source
                small_talk.append(talk)
    if problems:
        raise FaqError(problems)
    return Faq(tuple(entries), tuple(small_talk))


def _load_file(
    file: Path, default_locale: str, problems: list[Problem]
) -> tuple[list[Entry], list[SmallTalk]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, f"not UTF-8 text (byte {exc.start})"))
        return [], []
    except OSError as exc:
        problems.append(Problem(name, f"cannot read: {exc.strerror}"))
        return [], []
    try:
        root = compose(text, FAQ_LIMITS)
    except LimitExceeded as exc:
        problems.append(Problem(f"{name}:{exc.line}", str(exc)))
        return [], []
    except yaml.MarkedYAMLError as exc:
        problems.append(yaml_problem(name, exc))
        return [], []
    except yaml.YAMLError as exc:
        problems.append(Problem(name, f"not valid YAML: {exc}"))
        return [], []
    return FileParser(name, default_locale, problems).parse(root)


def yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = f"{name}:{mark.line + 1}" if mark else name
    message = f"not valid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        message += f" ({exc.context}"
        if exc.context_mark:
            message += f" from line {exc.context_mark.line + 1}"
        message += ")"
    return Problem(where, message)


class FileParser:
    """Turns one file's node tree into entries, appending a `Problem` for each fault."""

    def __init__(self, name: str, default_locale: str, problems: list[Problem]) -> None:
        self._name = name
        self._default_locale = default_locale
        self._problems = problems

    def _at(self, node: Node) -> str:
        return f"{self._name}:{node.start_mark.line + 1}"

    def _report(self, node: Node, message: str) -> None:
        self._problems.append(Problem(self._at(node), message))

    def parse(self, root: Node | None) -> tuple[list[Entry], list[SmallTalk]]:
        """The file's entries and its `small_talk` section (a file may hold only that)."""
        if root is None:
            self._problems.append(
                Problem(f"{self._name}:1", "the file is empty; expected a mapping with `entries`")
            )
            return [], []
        shape = "the top level must be a mapping with an `entries` list"
        fields = self._fields(root, TOP_KEYS, shape, "")
        if fields is None:
            return [], []
        said = self._small_talk(fields["small_talk"]) if "small_talk" in fields else []
        listing = fields.get("entries")
        if listing is None:
            if "small_talk" not in fields:
                self._report(root, "missing `entries` (the list of FAQ entries)")
            return [], said
        if not isinstance(listing, SequenceNode):
            self._report(listing, "`entries` must be a list")
            return [], said
        parsed = (self._entry(node, number) for number, node in enumerate(listing.value, 1))
        return [entry for entry in parsed if entry is not None], said

    def _small_talk(self, node: Node) -> list[SmallTalk]:
        """`small_talk: {greeting: {reply: ..., phrases: [...]}, ...}`; each kind's reply
        and phrases plain (the default locale) or by locale, like an entry's."""
        shape = f"must be a mapping of kinds ({', '.join(SMALL_TALK_KINDS)}) to reply and phrases"
        kinds = self._fields(node, SMALL_TALK_KINDS, shape, "small_talk: ")
        if kinds is None:
            return []
        assert isinstance(node, MappingNode)
        lines = {key.value: self._at(key) for key, _value in node.value}
        said: list[SmallTalk] = []
        for name, value in kinds.items():
            if name not in SMALL_TALK_KINDS:
                continue
            label = f"small_talk.{name}: "
            before = len(self._problems)
            fields = self._fields(
                value, SMALL_TALK_KEYS, "must be a mapping with reply and/or phrases", label
            )
            if fields is None:
                continue
            if not fields:
                self._report(value, f"{label}give a reply, phrases or both")
            reply = self._answer(fields["reply"], label, "reply") if "reply" in fields else {}
            phrases = (
                self._questions(fields["phrases"], label, "phrases") if "phrases" in fields else {}
            )
            for texts in phrases.values():
                self._check_phrases(fields["phrases"], texts, label)
            if len(self._problems) == before:
                said.append(SmallTalk(SmallTalkKind(name), reply, phrases, lines[name]))
        return said

    def _check_phrases(self, node: Node, texts: tuple[str, ...], label: str) -> None:
        """A phrase is a whole short message ("hi there"), matched word by word."""
        for text in texts:
            words = normalize(text).split()
            if not words:
                self._report(node, f'{label}phrase "{text}" has no words')
            elif len(words) > SMALL_TALK_MAX_WORDS:
                self._report(
                    node,
                    f'{label}phrase "{text}" is longer than {SMALL_TALK_MAX_WORDS} words'
                    " (small talk is a whole short message)",
                )

    def _fields(
        self, node: Node, allowed: tuple[str, ...], shape: str, label: str
    ) -> dict[str, Node] | None:
        """A mapping's values by key; reports non-mappings, unknown and repeated keys."""
        if not isinstance(node, MappingNode):
            self._report(node, f"{label}{shape}")
            return None
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            if key in fields:
                self._report(key_node, f'{label}key "{key}" is given twice')
            elif key not in allowed:
                self._report(key_node, f"{label}{unknown_key(key, allowed)}")
            fields[key] = value_node
        return fields

    def _entry(self, node: Node, number: int) -> Entry | None:
        before = len(self._problems)
        label = _label(node, number)
        shape = "must be a mapping with id, questions and answer"
        fields = self._fields(node, ENTRY_KEYS, shape, label)
        if fields is None:
            return None
        entry_id = self._entry_id(node, fields.get("id"), label)
        for key in REQUIRED_KEYS[1:]:
            if key not in fields:
                self._report(node, f"{label}{key} is missing")
        questions = self._questions(fields["questions"], label) if "questions" in fields else {}
        answer = self._answer(fields["answer"], label) if "answer" in fields else {}
        tags = self._tags(fields["tags"], label) if "tags" in fields else ()
        threshold = self._threshold(fields["threshold"], label) if "threshold" in fields else None
        if len(self._problems) > before or entry_id is None:
            return None
        return Entry(entry_id, questions, answer, tags, threshold, self._at(node))

    def _entry_id(self, entry: Node, node: Node | None, label: str) -> str | None:
        if node is None:
            self._report(entry, f"{label}id is missing")
            return None
        value = node_text(node)
        if not value:
            self._report(node, f"{label}id must be a non-empty text")
            return None
        if not _ID.fullmatch(value):
            self._report(
                node,
                f'{label}id "{value}" may only use letters, digits, ".", "_" and "-"'
                " (and must start with a letter or digit)",
            )
            return None
        if len(value) > MAX_ID_LENGTH:
            self._report(node, f'{label}id "{value}" is longer than {MAX_ID_LENGTH} characters')
            return None
        return value

    def _questions(
        self, node: Node, label: str, key: str = "questions"
    ) -> dict[str, tuple[str, ...]]:
        result: dict[str, tuple[str, ...]] = {}
        for locale, value in self._by_locale(node, key, label):
            where = f"{key} ({locale})" if locale != self._default_locale else key
            texts = self._text_list(value, where, label)
            if texts is not None:
                result[locale] = texts
        return result

    def _answer(self, node: Node, label: str, key: str = "answer") -> dict[str, str]:
        result: dict[str, str] = {}
        for locale, value in self._by_locale(node, key, label):
            where = f"{key} ({locale})" if locale != self._default_locale else key
            if not isinstance(value, ScalarNode):
                self._report(value, f"{label}{where} must be a text")
                continue
            text = node_text(value)
            if not text:
                self._report(value, f"{label}{where} is empty")
                continue
            result[locale] = text
        return result

    def _by_locale(self, node: Node, key: str, label: str) -> Iterator[tuple[str, Node]]:
        """A plain value under the default locale, or each (locale, value) of a locale map."""
        if not isinstance(node, MappingNode):
            yield self._default_locale, node
            return
        if not node.value:
            self._report(node, f"{label}{key} is empty")
        seen: set[str] = set()
        for key_node, value_node in node.value:
            locale = key_node.value if isinstance(key_node, ScalarNode) else ""
            if not _LOCALE.fullmatch(locale):
                self._report(
                    key_node,
                    f'{label}{key}: "{locale}" is not a locale code (like en, de or pt-BR)',
                )
            elif locale in seen:
                self._report(key_node, f'{label}{key}: locale "{locale}" is given twice')
            else:
                seen.add(locale)
                yield locale, value_node

    def _text_list(self, node: Node, where: str, label: str) -> tuple[str, ...] | None:
        if not isinstance(node, SequenceNode):
            self._report(node, f"{label}{where} must be a list of texts")
            return None
        if not node.value:
            self._report(node, f"{label}{where} is empty")
            return None
        texts: list[str] = []
        for index, item in enumerate(node.value, 1):
            text = node_text(item) if isinstance(item, ScalarNode) else None
            if text is None:
                self._report(item, f"{label}{where} #{index} must be a text")
            elif not text:
                self._report(item, f"{label}{where} #{index} is empty")
            else:
                texts.append(text)
        return tuple(texts) if len(texts) == len(node.value) else None

    def _tags(self, node: Node, label: str) -> tuple[str, ...]:
        return self._text_list(node, "tags", label) or ()

    def _threshold(self, node: Node, label: str) -> float | None:
        value: float | None = None
        if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
            try:
                value = float(node.value)
            except ValueError:
                value = None
        if value is None or not 0 <= value <= 100:
            self._report(node, f"{label}threshold must be a number from 0 to 100")
            return None
        return value


def node_text(node: Node) -> str | None:
    """A scalar's text as written, stripped; "" for an empty or null value."""
    if not isinstance(node, ScalarNode):
        return None
    if node.tag == _NULL_TAG:
        return ""
    return str(node.value).strip()


def _label(node: Node, number: int) -> str:
    """How messages name an entry: by its id when it has a valid one, else by position."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "id":
                text = node_text(value_node)
                if text and _ID.fullmatch(text) and len(text) <= MAX_ID_LENGTH:
                    return f'entry "{text}": '
    return f"entry #{number}: "
