"""Chart geometry for server-rendered SVG: numbers only; the templates draw them (autoescaped, no markup here)."""

from __future__ import annotations

import math
from dataclasses import dataclass

BAR_ROW = 26
LABEL_WIDTH = 124
BAR_AREA = 170


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    width: float
    y: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int


def bar_chart(items: list[tuple[str, float, str]], limit: int = 12) -> BarChart:
    """Horizontal bars, longest first; ``items`` are (label, value, formatted value)."""
    items = sorted(items, key=lambda i: -i[1])[:limit]
    top = max((v for _, v, _t in items), default=0) or 1
    bars = [
        Bar(label=lab, value=v, text=t, width=round(BAR_AREA * v / top, 1), y=i * BAR_ROW)
        for i, (lab, v, t) in enumerate(items)
    ]
    return BarChart(
        bars=bars, width=LABEL_WIDTH + BAR_AREA + 56, height=max(len(bars), 1) * BAR_ROW, label_width=LABEL_WIDTH
    )


@dataclass(frozen=True)
class Series:
    key: str
    points: str
    dots: list[tuple[float, float, int]]


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    width: int
    height: int
    left: int
    bottom: int


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    magnitude = 10 ** int(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value  # pragma: no cover


def line_chart(months: list[str], series: dict[str, list[int]], width: int = 360, height: int = 190) -> LineChart:
    """Monthly series on one axis starting at zero; month ticks thinned to stay legible on phones."""
    left, bottom, top_pad = 30, 24, 8
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    n = max(len(months) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(left + plot_w * i / n, 1), round(top_pad + plot_h * (1 - v / top), 1)

    out = []
    for key, values in series.items():
        dots = [(*xy(i, v), v) for i, v in enumerate(values)]
        out.append(Series(key=key, points=" ".join(f"{x},{y}" for x, y, _v in dots), dots=dots))
    every = max(1, math.ceil(len(months) / 4))
    ticks = [(xy(i, 0)[0], m) for i, m in enumerate(months) if i % every == 0]
    y_ticks = [(xy(0, v)[1], v) for v in (0, top // 2, top)]
    return LineChart(
        series=out, ticks=ticks, y_ticks=y_ticks, width=width, height=height, left=left, bottom=height - bottom
    )
