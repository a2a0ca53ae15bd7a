"""Loading and indexing a FAQ in a child process, and taking it over in small steps.

Reading the YAML and building the index of a large FAQ takes seconds of pure Python,
which in a thread would still hold the GIL for long stretches (a YAML document is
composed in one C call, for one). `python -m faq.reload PATH LOCALE` does it instead
and writes the result to its stdout as a series of small pickles, each preceded by
its length (a length of 0 ends the series). The event loop reads them as they come,
with no thread involved, and unpickles one at a time, yielding in between, so no
step holds the loop for more than about a millisecond.

With semantic matching the child also loads the embedding model, embeds the FAQ's
phrasings (or reads them from the cache) and calibrates on the combined scores, and
the embeddings come back as pieces too. Calibrating in a worker thread of the bot's
process instead holds the GIL for a second of Python (folds of the lexical index,
a thousand rankings) that the event loop gets back only at each switch interval:
on a CLINC150 FAQ (750 phrasings, embeddings cached) the loop's longest stall was
6.6-7.0 ms with the thread against 3.4-3.8 ms with the child (2.3-3.9 ms for a
lexical reload, 2.2 ms idle; on a busier machine 24-28 ms against 10-12). The child
pays for the model at each reload: 2.2 s and 73 MB at most with the embeddings cached
(a lexical reload: 1.1 s, 59 MB), 24 s and 321 MB when all of them are embedded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import itertools
import json
import pickle
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from faq.calibrate import Overrides, calibrated
from faq.embedder import Embedder
from faq.loader import FaqError, load_faq
from faq.match_index import MatchIndex
from faq.match_tables import Tables
from faq.matcher import Matcher, MatchSettings, phrasings
from faq.model import Faq
from faq.semantic import SemanticIndex, resolve

# Upper bounds of one piece: bytes of an array, items of a dict, entries of the FAQ.
_PIECE_BYTES = 1 << 18
_PIECE_ITEMS = 1024
_PIECE_ENTRIES = 32
_LENGTH = struct.Struct("<Q")
# The pieces of the FAQ's embeddings are sent as an array of this name.
_VECTORS = "vectors"


class ReloadFailed(Exception):
    """The child process died without a result (its stderr is the message)."""


class Loaded(NamedTuple):
    """A FAQ, its index, its calibrated settings (None when none were asked for) and
    its phrasings' embeddings (None unless matching is semantic)."""

    faq: Faq
    match_index: MatchIndex
    settings: MatchSettings | None
    vectors: np.ndarray | None = None


class Semantic(NamedTuple):
    """Semantic matching, as the child process sets it up: the embedder's class as
    "module:name" (see `embedder_class`) and the embeddings cache folder."""

    embedder: str
    cache: Path | None

    def load(self) -> Embedder:
        module, name = self.embedder.split(":")
        built: Embedder = getattr(importlib.import_module(module), name)()
        return built


def embedder_class(embedder: Embedder) -> str:
    """`embedder`'s class as "module:name", for the child to build its own (with no
    arguments, see faq.embedder.Embedder)."""
    kind = type(embedder)
    return f"{kind.__module__}:{kind.__qualname__}"


async def load_elsewhere(
    path: Path,
    default_locale: str,
    overrides: Overrides | None = None,
    semantic: Semantic | None = None,
) -> Loaded:
    """The FAQ at `path` and its index, built in a child process, and, given `overrides`,
    the settings calibrated for it there (faq.calibrate: a second of pure Python for a
    FAQ of 750 phrasings); with `semantic`, its embeddings too, and the settings
    calibrated on combined scores. Raises `FaqError` when it does not load,
    `ReloadFailed` when the child fails otherwise."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "faq.reload",
        str(path),
        default_locale,
        "" if overrides is None else json.dumps(dataclasses.asdict(overrides)),
        "" if semantic is None else json.dumps([semantic.embedder, _text(semantic.cache)]),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    errors = asyncio.create_task(child.stderr.read())
    try:
        return await receive(child.stdout)
    except asyncio.IncompleteReadError:
        await child.wait()
        message = (await errors).decode(errors="replace").strip()
        raise ReloadFailed(message or f"exit status {child.returncode}") from None
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()
        errors.cancel()


async def receive(stream: asyncio.StreamReader) -> Loaded:
    """Read and unpickle the pieces one at a time, yielding to the event loop after each."""
    entries: list[Any] = []
    small_talk: tuple[Any, ...] = ()
    settings: MatchSettings | None = None
    values: dict[str, Any] = {}
    flats: dict[str, np.ndarray] = {}
    while length := _LENGTH.unpack(await stream.readexactly(_LENGTH.size))[0]:
        # The pieces come from our own child process.
        piece = pickle.loads(await stream.readexactly(length))  # noqa: S301
        kind, name = piece[0], piece[1]
        if kind == "problems":
            raise FaqError(piece[1])
        if kind == "entries":
            entries.extend(piece[1])
        elif kind == "small_talk":
            small_talk = piece[1]
        elif kind == "settings":
            settings = piece[1]
        elif kind == "value":
            values[name] = piece[2]
        elif kind == "array":
            values[name] = np.empty(piece[3], dtype=piece[2])
            flats[name] = values[name].reshape(-1)
        elif kind == "fill":
            part = piece[3]
            flats[name][piece[2] : piece[2] + len(part)] = part
        elif kind == "dict":
            values[name] = {}
        else:
            values[name].update(piece[2])
        await asyncio.sleep(0)
    vectors = values.pop(_VECTORS, None)
    return Loaded(
        Faq(tuple(entries), small_talk),
        MatchIndex.from_tables(Tables(**values)),
        settings,
        vectors,
    )


def _indexed(
    faq: Faq, overrides: Overrides | None, semantic: Semantic | None
) -> Iterator[tuple[Any, ...]]:
    """The pieces of a FAQ that loads: its index, its settings given `overrides`, and its
    embeddings given `semantic`."""
    if semantic is None and overrides is not None:
        # Calibrated first: the folds' indexes are gone before the FAQ's is built.
        matcher, calibration = calibrated(faq, overrides)
        return itertools.chain(
            [("settings", calibration.settings)], _pieces(faq, matcher.index.tables)
        )
    index = MatchIndex(phrasings(faq), len(faq.entries))
    pieces = _pieces(faq, index.tables)
    if semantic is None:
        return pieces
    embedded = SemanticIndex(semantic.load(), phrasings(faq), len(faq.entries), semantic.cache)
    pieces = itertools.chain(pieces, _array(_VECTORS, embedded.vectors))
    if overrides is None:
        return pieces
    settings = resolve(overrides, faq, index, embedded, semantic.cache)
    return itertools.chain([("settings", settings)], pieces)


def send(
    out: BinaryIO,
    path: Path,
    default_locale: str,
    overrides: Overrides | None = None,
    semantic: Semantic | None = None,
) -> None:
    """In the child: load, index (and, given `overrides`, calibrate; given `semantic`,
    embed) the FAQ and write it to `out` as pieces, or its problems as the only piece
    when it does not load."""
    try:
        faq = load_faq(path, default_locale)
    except FaqError as exc:
        pieces: Iterator[tuple[Any, ...]] = iter([("problems", exc.problems)])
    else:
        pieces = _indexed(faq, overrides, semantic)
    for piece in pieces:
        data = pickle.dumps(piece, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_LENGTH.pack(len(data)))
        out.write(data)
    out.write(_LENGTH.pack(0))
    out.flush()


def _pieces(faq: Faq, tables: Tables) -> Iterator[tuple[Any, ...]]:
    """("entries", some entries), ("small_talk", all of it), ("value", field, value),
    ("array", field, dtype, shape) followed by ("fill", field, start, flat part),
    ("dict", field) followed by ("update", field, items)."""
    for start in range(0, len(faq.entries), _PIECE_ENTRIES):
        yield ("entries", faq.entries[start : start + _PIECE_ENTRIES])
    yield ("small_talk", faq.small_talk)
    for field in dataclasses.fields(Tables):
        value = getattr(tables, field.name)
        if isinstance(value, np.ndarray) and value.nbytes > _PIECE_BYTES:
            yield from _array(field.name, value)
        elif isinstance(value, dict) and len(value) > _PIECE_ITEMS:
            yield ("dict", field.name)
            items = list(value.items())
            for start in range(0, len(items), _PIECE_ITEMS):
                yield ("update", field.name, items[start : start + _PIECE_ITEMS])
        else:
            yield ("value", field.name, value)


def _array(name: str, value: np.ndarray) -> Iterator[tuple[Any, ...]]:
    """("array", name, dtype, shape) followed by ("fill", name, start, flat part)."""
    yield ("array", name, value.dtype, value.shape)
    flat = value.reshape(-1)
    step = max(1, _PIECE_BYTES // value.itemsize)
    for start in range(0, len(flat), step):
        yield ("fill", name, start, flat[start : start + step])


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _semantic(argument: str) -> Semantic | None:
    if not argument:
        return None
    embedder, cache = json.loads(argument)
    return Semantic(embedder, None if cache is None else Path(cache))


async def retire(held: list[tuple[Faq, Matcher, int]]) -> None:
    """Let go of the FAQ in `held` (emptied at once) a little at a time.

    Dropped in one go, a large FAQ and its index take milliseconds to free (5,000
    entries: about 10), all of it in one C call that holds the GIL. Here the entries
    go a few hundred at a time and the arrays one by one, yielding in between. Whoever
    still uses the FAQ (a match in a worker thread) keeps it alive until done.
    """
    faq, matcher, _count = held.pop()
    entries = list(faq.entries)
    tables = matcher.index.tables
    parts = [getattr(tables, field.name) for field in dataclasses.fields(tables)]
    del faq, matcher, tables
    await asyncio.sleep(0)
    while entries:
        del entries[-_PIECE_ENTRIES:]
        await asyncio.sleep(0)
    while parts:
        parts.pop()
        await asyncio.sleep(0)


if __name__ == "__main__":
    fixed = Overrides(**json.loads(sys.argv[3])) if sys.argv[3] else None
    send(sys.stdout.buffer, Path(sys.argv[1]), sys.argv[2], fixed, _semantic(sys.argv[4]))
