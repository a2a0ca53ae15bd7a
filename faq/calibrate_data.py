"""The generic out-of-scope questions shipped with the package (see faq/data/README.md)."""

from __future__ import annotations

import functools
from importlib import resources

LANGUAGES = ("en", "de", "id")


@functools.cache
def out_of_scope() -> dict[str, tuple[str, ...]]:
    """Questions no support FAQ answers, by language: one per line of
    faq/data/out_of_scope.<language>.txt."""
    folder = resources.files("faq") / "data"
    found: dict[str, tuple[str, ...]] = {}
    for language in LANGUAGES:
        text = (folder / f"out_of_scope.{language}.txt").read_text(encoding="utf-8")
        found[language] = tuple(line.strip() for line in text.splitlines() if line.strip())
    return found
