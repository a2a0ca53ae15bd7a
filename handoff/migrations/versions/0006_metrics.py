"""metrics: when a ticket got its first agent reply; what the bot did with each question

Revision ID: 0006
Revises: 0005

`tickets.first_reply_at` is the first agent reply relayed to the customer (first
response time = first_reply_at - created_at); tickets answered before this revision get
it from their transcript. `messages.outcome` is set on a customer's line that was a
question to the bot (answered, suggested, none, handed_off), so recording it costs no
statement of its own: it rides on the transcript line the turn writes anyway, and it
stays when a line's text is purged (anonymous metrics). Both are indexed for the report.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_QUESTION = "outcome IS NOT NULL"
_FIRST_REPLIES = (
    "UPDATE tickets SET first_reply_at = (SELECT MIN(messages.created_at) FROM messages"
    " WHERE messages.ticket_id = tickets.id AND messages.kind = 'agent')"
)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_reply_at", sa.DateTime(), nullable=True))
    op.add_column("messages", sa.Column("outcome", sa.String(length=16), nullable=True))
    op.execute(_FIRST_REPLIES)
    op.create_index("ix_tickets_created", "tickets", ["created_at"])
    op.create_index(
        "ix_messages_questions",
        "messages",
        ["created_at"],
        sqlite_where=sa.text(_QUESTION),
        postgresql_where=sa.text(_QUESTION),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_questions", table_name="messages")
    op.drop_index("ix_tickets_created", table_name="tickets")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of `tickets` would
    # drop a table that messages' foreign keys point at.
    op.drop_column("messages", "outcome")
    op.drop_column("tickets", "first_reply_at")
