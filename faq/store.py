"""The FAQ currently in service, reloaded when its files change.

An edit that does not load is logged and ignored: the last good FAQ keeps answering
until the files are fixed. The watcher loads and indexes an edit in a child process
(see faq.reload), so even a large FAQ never holds the event loop for long.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from faq import semantic as combined
from faq.calibrate import Overrides, calibrated, resolve
from faq.embedder import Embedder
from faq.loader import FaqError, faq_files, load_faq
from faq.match_index import MatchIndex
from faq.matcher import Match, Matcher, MatchSettings, phrasings
from faq.model import Faq
from faq.reload import Semantic, embedder_class, load_elsewhere, retire

logger = logging.getLogger("faq")

# (path, mtime in ns, size) of every FAQ file; a change in any of them means reload.
_Snapshot = frozenset[tuple[str, int, int]]

# A FAQ with more phrasings than this is matched in a worker thread (see `match`).
INLINE_PHRASINGS = 2_000


class FaqStore:
    """Holds the current good `Faq` and its `Matcher`; `watch()` keeps them fresh."""

    def __init__(
        self,
        path: Path,
        settings: MatchSettings | Overrides,
        default_locale: str = "en",
        poll_seconds: float = 2.0,
        inline_phrasings: int = INLINE_PHRASINGS,
        semantic: Embedder | None = None,
        embeddings_cache: Path | None = None,
    ) -> None:
        """Load the FAQ now; raises `FaqError` when it does not load. `Overrides`
        settings are calibrated for each FAQ loaded (see faq.calibrate). With a
        `semantic` embedder, matching is semantic (faq.semantic) and calibrated on its
        scores, with the FAQ's embeddings cached in `embeddings_cache`, a folder of its
        own (default: beside the FAQ, `.NAME.embeddings`); a reload in a child process
        builds an embedder of the same class there, with no arguments."""
        self._path = path
        self._semantic = semantic
        self._embeddings_cache = embeddings_cache or path.parent / f".{path.name}.embeddings"
        self._settings = settings
        self._default_locale = default_locale
        self._poll_seconds = poll_seconds
        self._inline_phrasings = inline_phrasings
        self._snapshot = files_snapshot(path)
        faq = load_faq(path, default_locale)
        # One tuple, swapped in one assignment: readers never see a FAQ with another's matcher
        # (the third item is the number of phrasings in the index, see `match`).
        matcher = self._matcher(faq)
        self._current = (faq, matcher, len(matcher.index.tables.texts))
        self._last_error: FaqError | None = None

    @property
    def faq(self) -> Faq:
        return self._current[0]

    @property
    def matcher(self) -> Matcher:
        return self._current[1]

    async def match(self, text: str, locale: str | None = None) -> Match:
        """The current matcher's verdict on `text`.

        A match takes about a millisecond even on a large FAQ (see faq.match_index),
        but it holds the GIL, so for a FAQ of more than `inline_phrasings` phrasings
        it runs in a worker thread: the event loop then waits at most one switch
        interval (5 ms) at a time. Semantic matching always runs there: embedding the
        question takes milliseconds (outside the GIL). The matcher is taken once, so a
        reload meanwhile is harmless.
        """
        _faq, matcher, phrasings = self._current
        if phrasings <= self._inline_phrasings and self._semantic is None:
            return matcher.match(text, locale)
        return await asyncio.to_thread(matcher.match, text, locale)

    @property
    def last_error(self) -> FaqError | None:
        """Why the latest change was rejected; None once the files load again."""
        return self._last_error

    def reload_if_changed(self) -> bool:
        """Reload when a file changed, appeared or vanished; True when a new FAQ is in service.

        The snapshot is taken before reading, so an edit made during a reload is seen
        by the next check. A rejected edit is reported once, not at every check. This
        loads and indexes in the calling thread; `watch` uses a child process.
        """
        snapshot = files_snapshot(self._path)
        if snapshot == self._snapshot:
            return False
        self._snapshot = snapshot
        try:
            faq = load_faq(self._path, self._default_locale)
        except FaqError as exc:
            self._reject(exc)
            return False
        self._serve(faq, self._matcher(faq))
        return True

    async def reload_elsewhere(self) -> bool:
        """`reload_if_changed`, with the loading, indexing and calibrating done in a child
        process.

        The new FAQ arrives as many small objects, none of them in a reference cycle: the
        cyclic collector is paused while they come (each of its young-generation passes
        would walk them, 1-3 ms at 50,000 phrasings), and then the FAQ is frozen out of its
        walks for as long as it is served, like what the runtime froze at start (left to
        the collector, one full collection over it measured 42 ms)."""
        snapshot = await asyncio.to_thread(files_snapshot, self._path)
        if snapshot == self._snapshot:
            return False
        self._snapshot = snapshot
        collecting = gc.isenabled()
        gc.disable()
        try:
            return await self._take_over_elsewhere()
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    async def _take_over_elsewhere(self) -> bool:
        semantic = None
        if self._semantic is not None:
            semantic = Semantic(embedder_class(self._semantic), self._embeddings_cache)
        try:
            overrides = None if isinstance(self._settings, MatchSettings) else self._settings
            faq, index, calibrated_there, vectors = await load_elsewhere(
                self._path, self._default_locale, overrides, semantic
            )
        except FaqError as exc:
            self._reject(exc)
            return False
        embedded = None
        if self._semantic is not None and vectors is not None:
            embedded = combined.SemanticIndex(
                self._semantic, phrasings(faq), len(faq.entries), vectors=vectors
            )
        held = [self._current]
        settings = calibrated_there or resolve(self._settings, faq, index)
        self._serve(faq, Matcher(faq, settings, index, embedded))
        await retire(held)
        return True

    def _matcher(self, faq: Faq) -> Matcher:
        """`faq`'s matcher, built and calibrated here: with semantic matching, on the
        FAQ's embeddings (from the cache when it has them) and combined scores."""
        if self._semantic is None:
            if isinstance(self._settings, MatchSettings):
                return Matcher(faq, self._settings)
            return calibrated(faq, self._settings)[0]
        index = MatchIndex(phrasings(faq), len(faq.entries))
        cache = self._embeddings_cache
        embedded = combined.SemanticIndex(self._semantic, phrasings(faq), len(faq.entries), cache)
        settings = combined.resolve(self._settings, faq, index, embedded, cache)
        return Matcher(faq, settings, index, embedded)

    def _serve(self, faq: Faq, matcher: Matcher) -> None:
        self._current = (faq, matcher, len(matcher.index.tables.texts))
        self._last_error = None
        logger.info("FAQ %s reloaded: %d entries", self._path, len(faq.entries))

    def _reject(self, exc: FaqError) -> None:
        self._last_error = exc
        logger.error(
            "FAQ %s has %d problem(s); still serving the last good FAQ (%d entries):\n%s",
            self._path,
            len(exc.problems),
            len(self.faq.entries),
            exc,
        )

    async def watch(self) -> None:
        """Check for changes every `poll_seconds` until cancelled.

        Loading and indexing run in a child process, and the result is taken over in
        small steps (see faq.reload), so a large FAQ does not stall the event loop; an
        unexpected failure is logged and the watch goes on.
        """
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self.reload_elsewhere()
            except Exception:
                logger.exception("FAQ %s: reload failed unexpectedly", self._path)


def files_snapshot(path: Path) -> _Snapshot:
    entries = set()
    if path.exists():
        for file in faq_files(path):
            try:
                stat = file.stat()
            except OSError:
                continue
            entries.add((str(file), stat.st_mtime_ns, stat.st_size))
    return frozenset(entries)
