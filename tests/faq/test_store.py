from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from faq.loader import FaqError
from faq.matcher import MatchSettings
from faq.store import FaqStore

SETTINGS = MatchSettings()


def entry(entry_id: str, question: str, answer: str) -> str:
    return f"  - id: {entry_id}\n    questions: [{question}]\n    answer: {answer}\n"


def write(path: Path, *entries: str) -> None:
    path.write_text("entries:\n" + "".join(entries), encoding="utf-8")


def answer(store: FaqStore, question: str) -> str | None:
    match = store.matcher.match(question)
    return match.entry.answer["en"] if match.entry else None


def test_the_initial_load_must_succeed(tmp_path: Path) -> None:
    file = tmp_path / "faq.yaml"
    file.write_text("entries: [", encoding="utf-8")
    with pytest.raises(FaqError) as caught:
        FaqStore(file, SETTINGS)
    assert caught.value.problems[0].message.startswith("not valid YAML")


def test_an_edit_is_served_after_reload(tmp_path: Path) -> None:
    file = tmp_path / "faq.yaml"
    write(file, entry("shipping", "How long does shipping take", "Two days."))
    store = FaqStore(file, SETTINGS)
    assert answer(store, "how long does shipping take") == "Two days."
    assert store.reload_if_changed() is False

    write(file, entry("shipping", "How long does shipping take", "Three working days."))
    assert store.reload_if_changed() is True
    assert answer(store, "how long does shipping take") == "Three working days."
    assert store.faq.entries[0].answer == {"en": "Three working days."}
    assert store.last_error is None


def test_a_broken_edit_keeps_the_last_good_faq(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "faq.yaml"
    write(file, entry("shipping", "How long does shipping take", "Two days."))
    store = FaqStore(file, SETTINGS)
    good = store.faq

    write(file, entry("shipping", "How long does shipping take", "''"))
    with caplog.at_level(logging.ERROR, logger="faq"):
        assert store.reload_if_changed() is False
    assert store.faq is good
    assert answer(store, "how long does shipping take") == "Two days."
    assert store.last_error is not None
    assert [str(p) for p in store.last_error.problems] == [
        f'{file}:4: entry "shipping": answer is empty'
    ]
    (record,) = caplog.records
    assert record.name == "faq"
    assert "still serving the last good FAQ (1 entries)" in record.getMessage()
    assert f'{file}:4: entry "shipping": answer is empty' in record.getMessage()

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="faq"):
        assert store.reload_if_changed() is False
    assert caplog.records == []

    write(file, entry("shipping", "How long does shipping take", "Fixed, two days."))
    assert store.reload_if_changed() is True
    assert store.last_error is None
    assert answer(store, "how long does shipping take") == "Fixed, two days."


def test_files_added_to_and_removed_from_a_folder(tmp_path: Path) -> None:
    write(tmp_path / "shipping.yaml", entry("shipping", "How long does shipping take", "Two."))
    store = FaqStore(tmp_path, SETTINGS)
    assert [e.id for e in store.faq.entries] == ["shipping"]

    nested = tmp_path / "payments"
    nested.mkdir()
    write(nested / "pay.yml", entry("pay", "Can I pay with PayPal", "Yes."))
    assert store.reload_if_changed() is True
    assert [e.id for e in store.faq.entries] == ["pay", "shipping"]
    assert answer(store, "can i pay with paypal") == "Yes."

    (tmp_path / "shipping.yaml").unlink()
    assert store.reload_if_changed() is True
    assert [e.id for e in store.faq.entries] == ["pay"]
    assert store.matcher.match("how long does shipping take").entry is None

    (nested / "pay.yml").unlink()
    assert store.reload_if_changed() is False
    assert [e.id for e in store.faq.entries] == ["pay"]
    assert store.last_error is not None
    assert str(store.last_error) == f"{tmp_path}: no .yaml or .yml files in this folder"


async def test_watch_picks_up_changes_until_cancelled(tmp_path: Path) -> None:
    file = tmp_path / "faq.yaml"
    write(file, entry("shipping", "How long does shipping take", "Two days."))
    store = FaqStore(file, SETTINGS, poll_seconds=0.01)
    watcher = asyncio.create_task(store.watch())
    write(file, entry("shipping", "How long does shipping take", "Next day."))
    async with asyncio.timeout(10):
        while answer(store, "how long does shipping take") != "Next day.":
            await asyncio.sleep(0.01)
    watcher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watcher
    assert watcher.cancelled()


@pytest.mark.parametrize("inline_phrasings", [100, 0])
async def test_async_match_serves_the_reloaded_faq(tmp_path: Path, inline_phrasings: int) -> None:
    """The same verdict inline (small FAQ) and in a worker thread (0: every FAQ is large),
    before and after a real edit of the file."""
    file = tmp_path / "faq.yaml"
    write(
        file,
        entry("shipping", "How long does shipping take", "Two days."),
        entry("pay", "Can I pay with PayPal", "Yes."),
    )
    store = FaqStore(file, SETTINGS, inline_phrasings=inline_phrasings)
    found = await store.match("how long does shipping take", "en")
    assert found == store.matcher.match("how long does shipping take", "en")
    assert found.entry is not None
    assert found.entry.answer["en"] == "Two days."

    write(
        file,
        entry("shipping", "How long does shipping take", "Next day."),
        entry("pay", "Can I pay with PayPal", "Yes."),
    )
    assert store.reload_if_changed() is True
    found = await store.match("how long does shipping take")
    assert found.entry is not None
    assert found.entry.answer["en"] == "Next day."
    assert (await store.match("what is the weather on mars")).decision == "none"
