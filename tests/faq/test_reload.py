from __future__ import annotations

import asyncio
import dataclasses
import gc
import io
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

import faq.reload
from faq.e5 import E5Embedder
from faq.loader import FaqError, load_faq
from faq.matcher import Matcher, MatchSettings, phrasings
from faq.reload import (
    Loaded,
    ReloadFailed,
    Semantic,
    embedder_class,
    load_elsewhere,
    receive,
    retire,
    send,
)
from faq.store import FaqStore

FAQ = """
entries:
  - id: shipping
    questions: [How long does shipping take?, When will my parcel arrive?]
    answer: Two days.
  - id: payment
    questions: {en: [Can I pay with PayPal?], de: [Kann ich mit PayPal zahlen?]}
    answer: {en: Yes., de: Ja.}
  - id: password
    questions: [How do I reset my password?, I forgot my password]
    answer: Use the reset link.
"""


def write(folder: Path, text: str = FAQ) -> Path:
    path = folder / "faq.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def same(mine: object, theirs: object) -> bool:
    """Equal, arrays by value and dtype, dataclasses field by field."""
    if isinstance(mine, np.ndarray):
        return (
            isinstance(theirs, np.ndarray)
            and mine.dtype == theirs.dtype
            and np.array_equal(mine, theirs)
        )
    if dataclasses.is_dataclass(mine) and not isinstance(mine, type):
        return type(mine) is type(theirs) and all(
            same(getattr(mine, f.name), getattr(theirs, f.name)) for f in dataclasses.fields(mine)
        )
    return mine == theirs


async def through_a_pipe(path: Path, semantic: Semantic | None = None) -> Loaded:
    """send() into memory, receive() from a stream fed with those bytes."""
    out = io.BytesIO()
    send(out, path, "en", None, semantic)
    stream = asyncio.StreamReader()
    stream.feed_data(out.getvalue())
    stream.feed_eof()
    return await receive(stream)


async def test_pieces_rebuild_the_same_faq_and_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny pieces, so that arrays come in parts and dicts in batches."""
    monkeypatch.setattr(faq.reload, "_PIECE_BYTES", 64)
    monkeypatch.setattr(faq.reload, "_PIECE_ITEMS", 3)
    monkeypatch.setattr(faq.reload, "_PIECE_ENTRIES", 2)
    path = write(tmp_path)
    received, index, _settings, vectors = await through_a_pipe(path)
    assert vectors is None
    loaded = load_faq(path)
    assert received == loaded
    here = Matcher(loaded, MatchSettings())
    there = Matcher(loaded, MatchSettings(), index)
    assert same(here.index.tables, there.index.tables)
    for question in ("when does my parcel come", "paypal", "passwort vergessen", "weather"):
        assert there.match(question) == here.match(question)


async def test_the_embeddings_come_back_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faq.reload, "_PIECE_BYTES", 1024)
    path = write(tmp_path)
    e5 = E5Embedder()
    semantic = Semantic(embedder_class(e5), tmp_path / "cache")
    assert semantic.embedder == "faq.e5:E5Embedder"
    received, _index, _settings, vectors = await through_a_pipe(path, semantic)
    texts = [text for _place, text in phrasings(received)]
    assert vectors is not None and vectors.shape == (len(texts), 384)
    assert vectors.nbytes > 4 * 1024
    assert np.allclose(vectors, e5.embed(texts), atol=1e-5)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1


async def test_a_faq_that_does_not_load_comes_back_as_its_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "entries:\n  - {id: a, questions: [A?], answer: ''}\n")
    with pytest.raises(FaqError) as caught:
        await through_a_pipe(path)
    assert [p.message for p in caught.value.problems] == ['entry "a": answer is empty']


async def test_the_child_process_loads_and_reports(tmp_path: Path) -> None:
    path = write(tmp_path)
    loaded, index, _settings, vectors = await load_elsewhere(path, "en")
    assert loaded == load_faq(path)
    assert vectors is None
    found = Matcher(loaded, MatchSettings(), index).match("I forgot my password").entry
    assert found is not None
    assert found.id == "password"
    write(tmp_path, "entries: [")
    with pytest.raises(FaqError):
        await load_elsewhere(path, "en")


async def test_a_child_that_fails_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = tmp_path / "python"
    failing.write_text("#!/bin/sh\necho boom >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(failing))
    with pytest.raises(ReloadFailed, match="boom"):
        await load_elsewhere(write(tmp_path), "en")


async def test_retire_lets_go_of_everything(tmp_path: Path) -> None:
    loaded = load_faq(write(tmp_path))
    matcher = Matcher(loaded, MatchSettings())
    held = [(loaded, matcher, 5)]
    del loaded, matcher
    await retire(held)
    assert held == []


async def test_a_reloaded_faq_is_kept_out_of_the_collectors_walks(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = FaqStore(path, MatchSettings())
    write(tmp_path, FAQ.replace("Two days.", "Three days."))
    try:
        assert await store.reload_elsewhere() is True
        served = store.faq.entries[0]
        walked = gc.get_objects()
    finally:
        gc.unfreeze()
    assert gc.is_tracked(served)
    assert not any(found is served for found in walked)


async def test_the_collector_runs_again_after_a_reload_good_or_bad(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = FaqStore(path, MatchSettings())
    try:
        write(tmp_path, FAQ.replace("Two days.", "Three days."))
        assert await store.reload_elsewhere() is True
        assert gc.isenabled()
        write(tmp_path, FAQ.replace("Two days.", "''"))
        assert await store.reload_elsewhere() is False
        assert gc.isenabled()
    finally:
        gc.unfreeze()


async def test_store_reloads_through_the_child(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path)
    store = FaqStore(path, MatchSettings())
    before = store.matcher
    assert await store.reload_elsewhere() is False
    write(tmp_path, FAQ.replace("Two days.", "Three days."))
    assert await store.reload_elsewhere() is True
    assert store.matcher is not before
    found = await store.match("how long does shipping take")
    assert found.entry is not None
    assert found.entry.answer["en"] == "Three days."
    write(tmp_path, FAQ.replace("Two days.", "''"))
    with caplog.at_level(logging.ERROR, logger="faq"):
        assert await store.reload_elsewhere() is False
    assert store.last_error is not None
    assert store.faq.entries[0].answer["en"] == "Three days."
