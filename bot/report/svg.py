"""Bar charts as inline SVG: no script, no external file, readable without a network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 760
HEIGHT = 260
LEFT = 48  # room for the value axis
BOTTOM = 44  # room for the labels
TOP = 16
MAX_LABELS = 12  # at most this many category labels are written out
MAX_BAR = 56  # a bar's widest, when there are few


@dataclass(frozen=True)
class Series:
    name: str
    color: str  # a CSS colour written by this code, never data
    values: Sequence[float]


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    top: float | None = None,
    value_text: Callable[[float], str] = _number,
) -> str:
    """Grouped bars, one group per label, one bar per series; `top` fixes the scale
    (100 for percentages), else the largest value sets it."""
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - TOP - BOTTOM
    highest = top if top is not None else max((v for s in series for v in s.values), default=0)
    scale = plot_h / highest if highest > 0 else 0.0
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(max(group_w * 0.8 / max(len(series), 1), 1.0), MAX_BAR)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}"'
        ' stroke="#888" />',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888" />',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" class="axis">'
        f"{escape(value_text(highest))}</text>",
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    every = max(1, -(-len(labels) // MAX_LABELS))
    for index, label in enumerate(labels):
        x0 = LEFT + index * group_w + (group_w - bar_w * len(series)) / 2
        for number, one in enumerate(series):
            value = one.values[index]
            h = value * scale
            x = x0 + number * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}"'
                f' height="{h:.1f}" fill="{one.color}">'
                f"<title>{escape(label)}: {escape(one.name)} {escape(value_text(value))}</title>"
                "</rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{LEFT + (index + 0.5) * group_w:.1f}" y="{TOP + plot_h + 16}"'
                f' text-anchor="middle" class="axis">{escape(label)}</text>'
            )
    for number, one in enumerate(series):
        x = LEFT + number * 140
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{one.color}" />'
            f'<text x="{x + 14}" y="{HEIGHT - 5}" class="axis">{escape(one.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
