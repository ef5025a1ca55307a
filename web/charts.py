"""Chart geometry for server-rendered SVG: pure functions from counts to shapes.

The templates draw what these return; every chart also renders its numbers as a table
for screen readers, so a chart never holds information a keyboard or screen-reader user lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Colours chosen for contrast on white (WCAG AA for the labels drawn next to them).
PALETTE = ("#1d4ed8", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#0369a1", "#4d7c0f", "#64748b")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    colour: str
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    total: int
    title: str

    @property
    def empty(self) -> bool:
        return self.total == 0


def horizontal_bars(
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    colours: Sequence[str] | None = None,
    width: int = 340,
    row: int = 30,
    label_width: int = 130,
) -> BarChart:
    """One bar per (label, value), longest to scale; values print at the bar's end."""
    palette = colours or PALETTE
    top = max((value for _, value in items), default=0)
    span = width - label_width - 44
    bars = []
    for index, (label, value) in enumerate(items):
        length = 0.0 if top == 0 else max(span * value / top, 2.0 if value else 0.0)
        y = index * row + 6
        bars.append(
            Bar(
                label=label,
                value=value,
                x=label_width,
                y=y,
                width=round(length, 1),
                height=row - 12,
                colour=palette[index % len(palette)],
                label_x=label_width - 8,
                label_y=y + (row - 12) / 2 + 4,
                value_x=round(label_width + length + 6, 1),
                value_y=y + (row - 12) / 2 + 4,
            )
        )
    return BarChart(width, max(len(items), 1) * row + 6, tuple(bars), sum(v for _, v in items), title)


def vertical_bars(
    title: str, items: Sequence[tuple[str, int]], *, colour: str = "#be123c", width: int = 340, height: int = 150
) -> BarChart:
    """Columns over time (e.g. one per day); labels under, values above."""
    top = max((value for _, value in items), default=0)
    count = max(len(items), 1)
    slot = width / count
    plot = height - 40
    bars = []
    for index, (label, value) in enumerate(items):
        length = 0.0 if top == 0 else max(plot * value / top, 2.0 if value else 0.0)
        x = index * slot + slot * 0.18
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                y=round(20 + plot - length, 1),
                width=round(slot * 0.64, 1),
                height=round(length, 1),
                colour=colour,
                label_x=round(index * slot + slot / 2, 1),
                label_y=height - 6,
                value_x=round(index * slot + slot / 2, 1),
                value_y=round(20 + plot - length - 5, 1),
            )
        )
    return BarChart(width, height, tuple(bars), sum(v for _, v in items), title)
