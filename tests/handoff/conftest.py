"""The handoff tests' database: migrated, one of each kind (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff.storage import make_engine, make_sessions, upgrade

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(database_url)
    await upgrade(engine)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()
