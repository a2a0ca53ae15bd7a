"""faq_feedback: what the bot could not answer and what customers made of its suggestions

Revision ID: 0007
Revises: 0006

One row per question the FAQ did not answer (`miss`), per "did you mean" offered
(`suggested`; `entry_id` is the entry the customer then chose, `unhelpful` is set when
they said that entry did not help) and per "this didn't help" press (`unhelpful`; its
`entry_id` is the entry that did not help). `candidates` holds the best entries with
their scores. An answered question writes no row. `supportbot faq gaps` and `faq learn`
read it; the privacy commands export, erase and purge it with the transcript.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("unhelpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_faq_feedback_conversation", "faq_feedback", ["conversation_id", "id"])
    op.create_index("ix_faq_feedback_created", "faq_feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_faq_feedback_created", table_name="faq_feedback")
    op.drop_index("ix_faq_feedback_conversation", table_name="faq_feedback")
    op.drop_table("faq_feedback")
