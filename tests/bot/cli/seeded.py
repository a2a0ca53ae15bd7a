"""A configuration file for the CLI tests that read a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from handoff.storage import make_engine, make_sessions, upgrade
from tests.conftest import EXAMPLE_FAQ
from tests.handoff.metrics_seed import seed

CONFIG = """\
faq: {{path: {faq}}}
hours:
  timezone: Europe/Berlin
  weekly: {{mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
           thu: ["09:00-17:00"], fri: ["09:00-17:00"]}}
database: {{url: "{url}"}}
"""


def write_config(path: Path, database_url: str) -> Path:
    path.write_text(CONFIG.format(faq=EXAMPLE_FAQ, url=database_url), encoding="utf-8")
    return path


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await seed(make_sessions(engine))
    finally:
        await engine.dispose()


def seeded_config(path: Path, database_url: str) -> Path:
    """`path`, a configuration on `database_url`, which now holds the metrics seed."""
    asyncio.run(_seed(database_url))
    return write_config(path, database_url)
