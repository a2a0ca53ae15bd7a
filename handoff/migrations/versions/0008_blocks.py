"""blocks: customers the agents blocked, with how long, why, by whom

Revision ID: 0008
Revises: 0007

One row per person (platform, user id): blocking again replaces it, unblocking deletes
it, and an expired row is simply not in force. `told_at` is when the blocked customer
got the one notice their block gives them. Every customer message reads the row by its
unique (platform, user_id) index, inside the conversation's upsert
(handoff/conversations.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("agent_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("told_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("blocks")
