"""Every text and JSON value of every table (reflected, so tables other migrations add
are scanned too), and which of some secrets appear where: the privacy tests' proof."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text, inspect, text
from sqlalchemy.engine import Connection

from tests.bot.conversation_kit import Bot


def text_values(connection: Connection) -> dict[str, list[str]]:
    """Every text and JSON value of every table, by table."""
    inspector = inspect(connection)
    found: dict[str, list[str]] = {}
    for table in inspector.get_table_names():
        columns = [
            c["name"]
            for c in inspector.get_columns(table)
            if isinstance(c["type"], String | Text | JSON) or "json" in str(c["type"]).lower()
        ]
        if not columns:
            continue
        quoted = ", ".join(f'CAST("{name}" AS TEXT)' for name in columns)
        rows = connection.execute(text(f'SELECT {quoted} FROM "{table}"'))
        found[table] = [str(value) for row in rows for value in row if value is not None]
    return found


async def scan(bot: Bot) -> dict[str, list[str]]:
    """`text_values` of the running bot's database."""
    async with bot.runtime._db.connect() as connection:
        return await connection.run_sync(text_values)


def mentions(values: dict[str, list[str]], secrets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(table, secret) for each secret found in some value of the table."""
    return [
        (table, secret)
        for table, texts in values.items()
        for secret in secrets
        if any(secret in value for value in texts)
    ]
