"""Fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.cli.seeded import seeded_config


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Path:
    """A configuration file on a database (each kind) seeded with a support history
    (tests/handoff/metrics_seed.py)."""
    return seeded_config(tmp_path / "config.yaml", database_url)
