"""the inbox (events stored before they are acknowledged); one open ticket per conversation

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OPEN = "status IN ('open', 'claimed')"


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("lane", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "event_key"),
    )
    op.create_index("ix_inbox_lane_status", "inbox", ["lane", "status", "id"])
    # Events handled before the inbox existed stay known, so a late redelivery is ignored.
    op.execute(
        "INSERT INTO inbox (platform, chat_id, event_key, lane, payload, status, attempts,"
        " received_at, done_at)"
        " SELECT platform, chat_id, 'm:' || event_id, platform || ':' || chat_id, '{}',"
        " 'done', 0, seen_at, seen_at FROM seen_events"
    )
    op.drop_table("seen_events")
    # Before this revision a double click could open a second ticket for one conversation;
    # only the one the conversation points at was ever worked on: close the strays.
    op.execute(
        "UPDATE tickets SET status = 'resolved', resolved_at = created_at"
        " WHERE status IN ('open', 'claimed')"
        " AND id NOT IN (SELECT ticket_id FROM conversations WHERE ticket_id IS NOT NULL)"
    )
    op.create_index(
        "ux_tickets_one_open_per_conversation",
        "tickets",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ux_tickets_one_open_per_conversation", table_name="tickets")
    op.create_table(
        "seen_events",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id", "event_id"),
    )
    op.drop_index("ix_inbox_lane_status", table_name="inbox")
    op.drop_table("inbox")
