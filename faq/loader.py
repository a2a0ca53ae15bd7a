"""Read the hand-written FAQ YAML into `Faq`, reporting every problem with its file:line.

The YAML is composed into a node tree (not constructed into Python objects), so every
value keeps the line it was written on. Text fields use the text as written: a
question "yes" or "404" stays a string instead of becoming a bool or an int.

libyaml's parser is used when PyYAML has it (the PyPI wheels do): unlike the
pure-Python one it accepts a "?" inside a flow list, as in
`questions: [How do I reset my password?, I forgot my password]`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from faq.model import Entry, Faq

_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

ENTRY_KEYS = ("id", "questions", "answer", "tags", "threshold")
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
    first_seen: dict[str, str] = {}
    for file in files:
        for entry in _load_file(file, default_locale, problems):
            first = first_seen.get(entry.id)
            if first is not None:
                message = f'entry "{entry.id}": duplicate id, first defined at {first}'
                problems.append(Problem(entry.source, message))
            else:
                first_seen[entry.id] = entry.source
                entries.append(entry)
    if problems:
        raise FaqError(problems)
    return Faq(tuple(entries))


def _load_file(file: Path, default_locale: str, problems: list[Problem]) -> list[Entry]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, f"not UTF-8 text (byte {exc.start})"))
        return []
    except OSError as exc:
        problems.append(Problem(name, f"cannot read: {exc.strerror}"))
        return []
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        problems.append(_yaml_problem(name, exc))
        return []
    except yaml.YAMLError as exc:
        problems.append(Problem(name, f"not valid YAML: {exc}"))
        return []
    return _FileParser(name, default_locale, problems).entries(root)


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = f"{name}:{mark.line + 1}" if mark else name
    message = f"not valid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        message += f" ({exc.context}"
        if exc.context_mark:
            message += f" from line {exc.context_mark.line + 1}"
        message += ")"
    return Problem(where, message)


class _FileParser:
    """Turns one file's node tree into entries, appending a `Problem` for each fault."""

    def __init__(self, name: str, default_locale: str, problems: list[Problem]) -> None:
        self._name = name
        self._default_locale = default_locale
        self._problems = problems

    def _at(self, node: Node) -> str:
        return f"{self._name}:{node.start_mark.line + 1}"

    def _report(self, node: Node, message: str) -> None:
        self._problems.append(Problem(self._at(node), message))

    def entries(self, root: Node | None) -> list[Entry]:
        if root is None:
            self._problems.append(
                Problem(f"{self._name}:1", "the file is empty; expected a mapping with `entries`")
            )
            return []
        shape = "the top level must be a mapping with an `entries` list"
        fields = self._fields(root, ("entries",), shape, "")
        if fields is None:
            return []
        listing = fields.get("entries")
        if listing is None:
            self._report(root, "missing `entries` (the list of FAQ entries)")
            return []
        if not isinstance(listing, SequenceNode):
            self._report(listing, "`entries` must be a list")
            return []
        parsed = (self._entry(node, number) for number, node in enumerate(listing.value, 1))
        return [entry for entry in parsed if entry is not None]

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
                self._report(key_node, f"{label}{_unknown_key(key, allowed)}")
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
        value = _text(node)
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

    def _questions(self, node: Node, label: str) -> dict[str, tuple[str, ...]]:
        result: dict[str, tuple[str, ...]] = {}
        for locale, value in self._by_locale(node, "questions", label):
            where = f"questions ({locale})" if locale != self._default_locale else "questions"
            texts = self._text_list(value, where, label)
            if texts is not None:
                result[locale] = texts
        return result

    def _answer(self, node: Node, label: str) -> dict[str, str]:
        result: dict[str, str] = {}
        for locale, value in self._by_locale(node, "answer", label):
            where = f"answer ({locale})" if locale != self._default_locale else "answer"
            if not isinstance(value, ScalarNode):
                self._report(value, f"{label}{where} must be a text")
                continue
            text = _text(value)
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
            text = _text(item) if isinstance(item, ScalarNode) else None
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


def _text(node: Node) -> str | None:
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
                text = _text(value_node)
                if text and _ID.fullmatch(text) and len(text) <= MAX_ID_LENGTH:
                    return f'entry "{text}": '
    return f"entry #{number}: "


def _unknown_key(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"expected: {', '.join(allowed)}"
    return f'unknown key "{key}" ({hint})'
