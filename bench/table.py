"""A tiny plain-text table: what every bench section returns and how it is printed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A titled table; `note` is printed under it (how it was measured, or why it is empty)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


def render(table: Table) -> str:
    """The table as aligned text: first column left-aligned, the others right-aligned."""
    lines = [table.title, "=" * len(table.title)]
    if table.header:
        grid = [table.header, *table.rows]
        widths = [max(len(row[i]) for row in grid) for i in range(len(table.header))]

        def line(row: tuple[str, ...]) -> str:
            cells = [
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(cells).rstrip()

        lines.append(line(table.header))
        lines.append("  ".join("-" * width for width in widths))
        lines.extend(line(row) for row in table.rows)
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)
