"""outbox rows carry their destination (lane); a new row is due at once (due_at NULL)

Revision ID: 0004
Revises: 0003

The lane lets a lease pass find the oldest pending row of a destination through an
index instead of grouping every pending row; a NULL `due_at` means "due now" whatever
the clock of the process that wrote the row says (backoffs set it from the database's
clock).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_PENDING = "status = 'pending'"
# Mirrors handoff/outbox.py:lane_of for the rows written before this revision.
_SET_LANE = (
    "UPDATE outbox SET lane = platform || ':' || chat_id || CASE"
    " WHEN ticket_id IS NOT NULL AND target <> 'address'"
    " THEN ':ticket:' || CAST(ticket_id AS VARCHAR)"
    " ELSE ':thread:' || COALESCE(thread_id, '') END"
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.String(length=200), nullable=True))
        batch.alter_column("due_at", existing_type=sa.DateTime(), nullable=True)
    op.execute(_SET_LANE)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("lane", existing_type=sa.String(length=200), nullable=False)
    op.drop_index("ix_outbox_status_due", table_name="outbox")
    op.create_index("ix_outbox_status_id", "outbox", ["status", "id"])
    op.create_index(
        "ix_outbox_pending_lane",
        "outbox",
        ["lane", "id"],
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_lane", table_name="outbox")
    op.drop_index("ix_outbox_status_id", table_name="outbox")
    op.create_index("ix_outbox_status_due", "outbox", ["status", "due_at"])
    op.execute("UPDATE outbox SET due_at = created_at WHERE due_at IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("due_at", existing_type=sa.DateTime(), nullable=False)
        batch.drop_column("lane")
