"""YAML from files people edit, read with limits that hold against hostile input.

The FAQ and the configuration are edited by hand, and a hot reload reads whatever was
saved. PyYAML alone is unsafe there in three ways: libyaml composes nested
collections by recursion in C (`entries: [[[[...` 60,000 deep overflows the C stack
and kills the process), the pure-Python composer and constructor recurse in Python
(a RecursionError), and aliases are shared nodes that every walk over the tree
expands (a 306-byte "billion laughs" document stands for billions of nodes).

`compose` therefore never calls PyYAML's composer. It reads the parser's event
stream (libyaml's parser keeps its own stack on the heap) and builds the node tree
itself, without recursion, checking each limit as it goes: the text's size, the
nesting depth, and how many nodes all aliases stand for once expanded. An anchor is
known only once its node is complete, so an alias can never point into its own
anchor (no cyclic trees). A broken limit raises `LimitExceeded` naming the line.
"""

from __future__ import annotations

import difflib
import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

# libyaml's parser when PyYAML has it (the PyPI wheels do): unlike the pure-Python
# one it accepts a "?" inside a flow list, as in `questions: [Reset password?, ...]`.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


@dataclass(frozen=True)
class Limits:
    """`max_chars`: the text's length; `max_depth`: collections inside collections;
    `max_alias_nodes`: the nodes all aliases of a document stand for, added up."""

    max_chars: int
    max_depth: int
    max_alias_nodes: int


# A 5,000-entry FAQ file is about 1.5 MB and 6 levels deep, and uses no alias.
FAQ_LIMITS = Limits(max_chars=16_000_000, max_depth=32, max_alias_nodes=100_000)
CONFIG_LIMITS = Limits(max_chars=1_000_000, max_depth=32, max_alias_nodes=10_000)


class LimitExceeded(Exception):
    """The text breaks one of the `Limits`; `line` (1-based) is where it did."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def compose(text: str, limits: Limits) -> Node | None:
    """The node tree of the one YAML document in `text` (None when it has none).

    Raises `LimitExceeded`, or `yaml.YAMLError` for text that is not YAML.
    """
    if len(text) > limits.max_chars:
        line = text.count("\n", 0, limits.max_chars) + 1
        raise LimitExceeded(
            line, f"the file is too large: over {limits.max_chars:,} characters (the limit)"
        )
    parser = _LOADER(text)
    # The tree holds no cycles, and the cyclic garbage collector would otherwise walk
    # the growing tree over and over: composing without it takes half the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Composer(parser, limits).document()
    finally:
        if collecting:
            gc.enable()
        parser.dispose()


def construct(node: Node | None) -> object:
    """Plain Python values (dicts, lists, strings, numbers...) for a composed tree."""
    if node is None:
        return None
    return yaml.constructor.SafeConstructor().construct_document(node)


def unknown_key(key: str, allowed: Sequence[str], *, what: str = "key") -> str:
    """The message for a key (or another name) that is not one of `allowed`, with the
    closest one as a hint, else the list of them."""
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"expected: {', '.join(allowed)}"
    return f'unknown {what} "{key}" ({hint})'


class _EveryCharacter:
    def __contains__(self, item: object) -> bool:
        return True


_EVERY_CHARACTER = _EveryCharacter()


class _Open:
    """A collection being composed: its node, the nodes it stands for so far (itself,
    its children, and everything their aliases stand for), and a mapping's pending key."""

    __slots__ = ("anchor", "key", "node", "size")

    def __init__(self, node: CollectionNode, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.size = 1
        self.key: Node | None = None


class _Composer:
    def __init__(self, parser: yaml.SafeLoader | yaml.CSafeLoader, limits: Limits) -> None:
        # PyYAML's stubs type events and marks loosely (every field optional).
        self._parser: Any = parser
        self._limits = limits
        self._anchors: dict[str, tuple[Node, int]] = {}
        self._alias_nodes = 0
        # The shortcut in `_scalar_tag` holds for a resolver without path resolvers and
        # without implicit resolvers that apply to any first character (SafeLoader's).
        resolvers = parser.yaml_implicit_resolvers
        shortcut = not parser.yaml_path_resolvers and None not in resolvers
        self._implicit = set(resolvers) if shortcut else _EVERY_CHARACTER
        self._string_tag: str = parser.DEFAULT_SCALAR_TAG

    def document(self) -> Node | None:
        self._expect(StreamStartEvent)
        if self._parser.check_event(StreamEndEvent):
            return None
        start = self._expect(DocumentStartEvent)
        root = self._node()
        self._expect(DocumentEndEvent)
        if not self._parser.check_event(StreamEndEvent):
            extra = self._parser.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                start.start_mark,
                "but found another document",
                extra.start_mark,
            )
        return root

    def _expect(self, kind: type[Event]) -> Any:
        event = self._parser.get_event()
        if not isinstance(event, kind):
            raise yaml.composer.ComposerError(
                None, None, f"unexpected {type(event).__name__}", event.start_mark
            )
        return event

    def _node(self) -> Node:
        """Compose one node (with everything inside it) from the events, with a stack."""
        get_event = self._parser.get_event
        stack: list[_Open] = []
        while True:
            event: Any = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                node: Node = ScalarNode(
                    self._scalar_tag(event),
                    event.value,
                    event.start_mark,
                    event.end_mark,
                    style=event.style,
                )
                size = 1
                if event.anchor is not None:
                    self._anchor(event.anchor, node, size, event)
            elif kind is SequenceStartEvent or kind is MappingStartEvent:
                if len(stack) >= self._limits.max_depth:
                    raise LimitExceeded(
                        event.start_mark.line + 1,
                        f"nested more than {self._limits.max_depth} levels deep (the limit)",
                    )
                stack.append(_Open(self._collection(event), event.anchor))
                continue
            elif kind is SequenceEndEvent or kind is MappingEndEvent:
                done = stack.pop()
                done.node.end_mark = event.end_mark
                node, size = done.node, done.size
                if done.anchor is not None:
                    self._anchor(done.anchor, node, size, event)
            elif kind is AliasEvent:
                node, size = self._alias(event)
            else:
                raise yaml.composer.ComposerError(
                    None, None, f"unexpected {kind.__name__}", event.start_mark
                )
            if not stack:
                return node
            parent = stack[-1]
            parent.size += size
            if type(parent.node) is SequenceNode:
                parent.node.value.append(node)
            elif parent.key is None:
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    def _collection(self, event: Any) -> CollectionNode:
        sequence = isinstance(event, SequenceStartEvent)
        kind = SequenceNode if sequence else MappingNode
        default = (
            self._parser.DEFAULT_SEQUENCE_TAG if sequence else self._parser.DEFAULT_MAPPING_TAG
        )
        tag: str = event.tag if event.tag is not None and event.tag != "!" else default
        return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)

    def _scalar_tag(self, event: Any) -> str:
        """The tag as PyYAML's resolver gives it; a plain scalar whose first character
        starts no implicit type (most text) is a string without running the resolver."""
        tag: str | None = event.tag
        if tag is not None and tag != "!":
            return tag
        plain = event.implicit[0]
        if plain and (not event.value or event.value[0] in self._implicit):
            resolved: str = self._parser.resolve(ScalarNode, event.value, event.implicit)
            return resolved
        return self._string_tag

    def _anchor(self, name: str, node: Node, size: int, event: Any) -> None:
        if name in self._anchors:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {name!r}", None, "second occurrence", event.start_mark
            )
        self._anchors[name] = (node, size)

    def _alias(self, event: Any) -> tuple[Node, int]:
        found = self._anchors.get(event.anchor) if event.anchor is not None else None
        if found is None:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"found undefined alias {event.anchor!r} (an alias must come after its"
                " anchor's node is complete)",
                event.start_mark,
            )
        self._alias_nodes += found[1]
        if self._alias_nodes > self._limits.max_alias_nodes:
            raise LimitExceeded(
                event.start_mark.line + 1,
                f"aliases expand to more than {self._limits.max_alias_nodes:,} nodes"
                " (the limit); write the values out instead",
            )
        return found
