"""Alembic environment: runs on a connection handed in by handoff.storage.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from handoff.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `supportbot db upgrade`")
run_migrations(connection)
