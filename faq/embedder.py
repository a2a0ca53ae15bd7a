"""What semantic matching needs from a sentence-embedding model (see faq.semantic)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class SemanticUnavailable(Exception):
    """Semantic matching is configured but its model cannot be loaded."""


class Embedder(Protocol):
    """Turns texts into unit-length vectors whose dot product is their similarity.

    `name` identifies the model and how it is used (prefixes included): embeddings
    cached on disk under one name are never read back under another. A FAQ reload
    builds one of the same class in a child process, with no arguments (faq.reload).
    """

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A float32 array of shape (len(texts), dimension), each row of length 1."""
        ...
