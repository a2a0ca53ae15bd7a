"""outbox rows say when a lease pass may take them (ready_at), indexed with status pending

Revision ID: 0005
Revises: 0004

A lease pass reads the index of pending rows by `ready_at` up to now, so its cost no
longer follows the backlog: a row leased or backing off is ready only at its lease's
end or due time, and a row waiting behind an earlier row of its lane is ready never
(9999-12-31) until that row is done. A new row is ready at once (1970-01-01, the
server default, so an INSERT need not name the column). Rows pending at the upgrade
are sorted the same way here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_PENDING = "status = 'pending'"
# As SQLAlchemy writes datetimes on SQLite (text, compared as text); PostgreSQL casts it.
_NEW = "'1970-01-01 00:00:00.000000'"
_WAITING = (
    "UPDATE outbox SET ready_at = '9999-12-31 00:00:00.000000'"
    " WHERE status = 'pending' AND EXISTS (SELECT 1 FROM outbox AS earlier"
    " WHERE earlier.lane = outbox.lane AND earlier.status = 'pending'"
    " AND earlier.id < outbox.id)"
)
_LEASED_OR_DUE = (
    "UPDATE outbox SET ready_at = COALESCE(lease_until, due_at)"
    " WHERE status = 'pending' AND ready_at = '1970-01-01 00:00:00.000000'"
    " AND COALESCE(lease_until, due_at) IS NOT NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("ready_at", sa.DateTime(), server_default=sa.text(_NEW), nullable=False)
        )
    op.execute(_WAITING)
    op.execute(_LEASED_OR_DUE)
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.create_index(
        "ix_outbox_ready",
        "outbox",
        ["ready_at", "id"],
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_ready", table_name="outbox")
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("ready_at")
