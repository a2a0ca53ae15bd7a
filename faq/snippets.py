"""Snippets (canned responses): the hand-written YAML file, loaded, linted and reloaded.

```yaml
snippets:
  - name: refund-started
    text:
      en: "Hi {customer}, I've started your refund (ticket #{ticket}). {agent}"
      de: "Hallo {customer}, ich habe Ihre Erstattung veranlasst (Ticket #{ticket}). {agent}"
```

A `text` given as a plain string is in the default locale. The placeholders are
{customer}, {agent} and {ticket}; any other `{...}` is a problem, reported like the
FAQ's (`file:line: message`), since it would reach the customer as written. The file
is read with `faq.safe_yaml`'s limits and parsed by the FAQ loader's own field checks,
so locale maps, empty texts and unknown keys are reported the same way.

`SnippetStore` keeps the last good snippets serving while an edit does not load, as
`faq.store.FaqStore` does for the FAQ; a snippets file is small, so it is reloaded in
the calling thread. A missing file is no snippets (not an error): teams that do not
use them need no file.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from faq.loader import FaqError, FileParser, Problem, node_text, yaml_problem
from faq.safe_yaml import LimitExceeded, Limits, compose
from faq.store import files_snapshot

logger = logging.getLogger("faq")

PLACEHOLDERS = ("customer", "agent", "ticket")
SNIPPET_KEYS = ("name", "text")
# A snippet file holds a few hundred short texts at most.
SNIPPET_LIMITS = Limits(max_chars=1_000_000, max_depth=8, max_alias_nodes=1_000)
MAX_NAME_LENGTH = 40
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# Anything in braces: a known placeholder, else a problem (a typo like {costumer}).
_BRACES = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True, slots=True)
class Snippet:
    """`text` by locale; `source` is "file:line" of the snippet."""

    name: str
    text: dict[str, str]
    source: str = ""

    def text_for(self, locale: str, default_locale: str) -> str:
        """In `locale`, else English, else the default locale, else any."""
        for each in (locale, "en", default_locale):
            if each in self.text:
                return self.text[each]
        return next(iter(self.text.values()))


@dataclass(frozen=True)
class Snippets:
    items: tuple[Snippet, ...] = field(default=())

    def get(self, name: str) -> Snippet | None:
        wanted = name.strip().lower()
        return next((s for s in self.items if s.name == wanted), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.items)


def load_snippets(path: Path, default_locale: str = "en") -> Snippets:
    """The snippets in the file at `path` (none when it does not exist); raises
    `FaqError` listing every problem found."""
    if not path.exists():
        return Snippets()
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = compose(text, SNIPPET_LIMITS)
    except UnicodeDecodeError as exc:
        raise FaqError([Problem(name, f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise FaqError([Problem(name, f"cannot read: {exc.strerror}")]) from None
    except LimitExceeded as exc:
        raise FaqError([Problem(f"{name}:{exc.line}", str(exc))]) from None
    except yaml.MarkedYAMLError as exc:
        raise FaqError([yaml_problem(name, exc)]) from None
    except yaml.YAMLError as exc:
        raise FaqError([Problem(name, f"not valid YAML: {exc}")]) from None
    problems: list[Problem] = []
    snippets = _SnippetParser(name, default_locale, problems).snippets(root)
    if problems:
        raise FaqError(problems)
    return Snippets(tuple(snippets))


class _SnippetParser(FileParser):
    """The FAQ loader's field checks (mappings, locale maps, texts), for snippets."""

    def snippets(self, root: Node | None) -> list[Snippet]:
        if root is None:
            self._problems.append(
                Problem(f"{self._name}:1", "the file is empty; expected a `snippets` list")
            )
            return []
        fields = self._fields(root, ("snippets",), "the top level must be `snippets: [...]`", "")
        if fields is None:
            return []
        listing = fields.get("snippets")
        if listing is None:
            self._report(root, "missing `snippets` (the list of snippets)")
            return []
        if not isinstance(listing, SequenceNode):
            self._report(listing, "`snippets` must be a list")
            return []
        found: list[Snippet] = []
        first_seen: dict[str, str] = {}
        for number, node in enumerate(listing.value, 1):
            snippet = self._snippet(node, number)
            if snippet is None:
                continue
            first = first_seen.get(snippet.name)
            if first is not None:
                self._report(node, f'snippet "{snippet.name}": duplicate name, first at {first}')
                continue
            first_seen[snippet.name] = snippet.source
            found.append(snippet)
        return found

    def _snippet(self, node: Node, number: int) -> Snippet | None:
        before = len(self._problems)
        label = _label(node, number)
        fields = self._fields(node, SNIPPET_KEYS, "must be a mapping with name and text", label)
        if fields is None:
            return None
        name = self._name_of(node, fields.get("name"), number)
        if "text" not in fields:
            self._report(node, f"{label}text is missing")
            return None
        texts = self._answer(fields["text"], label, "text")
        for locale, text in texts.items():
            where = "text" if locale == self._default_locale else f"text ({locale})"
            for unknown in _unknown_placeholders(text):
                self._report(
                    fields["text"],
                    f"{label}{where}: unknown placeholder {{{unknown}}}"
                    f" (expected: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})",
                )
        if len(self._problems) > before or name is None:
            return None
        if self._default_locale not in texts:
            self._report(node, f"{label}no text in the default locale ({self._default_locale})")
            return None
        return Snippet(name, texts, self._at(node))

    def _name_of(self, snippet: Node, node: Node | None, number: int) -> str | None:
        label = f"snippet #{number}: "
        if node is None:
            self._report(snippet, f"{label}name is missing")
            return None
        value = node_text(node)
        if not _valid_name(value):
            self._report(
                node,
                f"{label}name must be lowercase letters, digits, '-' and '_'"
                f" (at most {MAX_NAME_LENGTH}, starting with a letter or digit)",
            )
            return None
        return value


def _valid_name(value: str | None) -> TypeGuard[str]:
    return (
        value is not None and len(value) <= MAX_NAME_LENGTH and _NAME.fullmatch(value) is not None
    )


def _label(node: Node, number: int) -> str:
    """How messages name a snippet: by its name when it has a valid one, else by position."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            named = isinstance(key, ScalarNode) and key.value == "name"
            if named and _valid_name(node_text(value)):
                return f'snippet "{node_text(value)}": '
    return f"snippet #{number}: "


def _unknown_placeholders(text: str) -> list[str]:
    return [m.group(1) for m in _BRACES.finditer(text) if m.group(1) not in PLACEHOLDERS]


class SnippetStore:
    """The current good `Snippets`; `watch()` reloads them when the file changes."""

    def __init__(self, path: Path, default_locale: str = "en", poll_seconds: float = 2.0) -> None:
        """Load the snippets now; raises `FaqError` when the file does not load."""
        self.path = path
        self._default_locale = default_locale
        self._poll_seconds = poll_seconds
        self._snapshot = files_snapshot(path)
        self._current = load_snippets(path, default_locale)
        self._last_error: FaqError | None = None

    @property
    def snippets(self) -> Snippets:
        return self._current

    @property
    def last_error(self) -> FaqError | None:
        """Why the latest change was rejected; None once the file loads again."""
        return self._last_error

    def reload_if_changed(self) -> bool:
        """Reload when the file changed, appeared or vanished; True when new snippets
        are in service. A rejected edit is logged once, and the last good ones stay."""
        snapshot = files_snapshot(self.path)
        if snapshot == self._snapshot:
            return False
        self._snapshot = snapshot
        try:
            self._current = load_snippets(self.path, self._default_locale)
        except FaqError as exc:
            self._last_error = exc
            logger.error(
                "snippets %s have %d problem(s); still serving the last good ones (%d):\n%s",
                self.path,
                len(exc.problems),
                len(self._current.items),
                exc,
            )
            return False
        self._last_error = None
        logger.info("snippets %s reloaded: %d", self.path, len(self._current.items))
        return True

    async def watch(self) -> None:
        """Check for changes every `poll_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                self.reload_if_changed()
            except Exception:
                logger.exception("snippets %s: reload failed unexpectedly", self.path)
