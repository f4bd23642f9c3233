"""Chart geometry for server-rendered SVG: numbers only; the templates draw them (autoescaped, no markup here).

Text is measured before it is placed, so no label runs outside the drawing in any language: a label column as
wide as the longest label needs (up to a share of the chart), longer labels wrapped onto more lines, the value
column as wide as the longest value, and axis labels kept inside the edges. Widths come from DejaVu Sans, the
widest of the usual system sans-serif fonts (Roboto, Segoe UI, San Francisco and Liberation Sans are narrower), so
a label that fits here fits in the browser's font.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

#: Font size of chart text in SVG units (static/css/analytics.css: .chart__svg 11px, tick labels 10px).
FONT_SIZE = 11.0
TICK_FONT_SIZE = 10.0
#: Advance widths of DejaVu Sans for ASCII 32-126, in thousandths of an em (measured in Chromium with canvas
#: measureText at 1000px); other characters are measured by their base letter (é as e), or as WIDE_CHAR.
_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
WIDE_CHAR = 1000
#: Room for rendering differences (hinting, a fallback font): every measure is taken this much wider.
SAFETY = 1.06

CHART_WIDTH = 360
BAR_HEIGHT = 18
ROW_GAP = 8
LINE_HEIGHT = 13
GAP = 6
#: The label column never takes more than this share of the width; longer labels wrap.
MAX_LABEL_SHARE = 0.42
#: Bars drawn at most; beyond, the smallest are summed into one "Other (k)" bar and the table lists every row.
MAX_BARS = 20


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Width of ``text`` in SVG units at ``size`` (an upper estimate: see the module docstring)."""
    total = 0
    for char in text:
        code = ord(char)
        if 32 <= code <= 126:
            total += _WIDTHS[code - 32]
            continue
        base = unicodedata.normalize("NFD", char)[:1]
        total += _WIDTHS[ord(base) - 32] if base and 32 <= ord(base) <= 126 else WIDE_CHAR
    return total * size / 1000 * SAFETY


def wrap(text: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """``text`` in lines no wider than ``width``, broken between words (inside a word only when it alone is wider)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while len(word) > 1 and text_width(word, size) > width:
            cut = 1
            while cut < len(word) and text_width(word[: cut + 1], size) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Bar:
    label: str
    #: the label as drawn, one entry per line
    lines: list[str]
    value: float
    text: str
    width: float
    #: top of the row; the bar and the lines are placed relative to it
    y: float
    bar_y: float
    #: baseline of each label line, relative to the row
    line_ys: list[float]
    #: True for the bar that sums the rows not drawn one by one
    other: bool = False


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: float
    value_width: float
    #: rows summed into the "other" bar (0 when every row has its own bar)
    folded: int = 0

    @property
    def bar_x(self) -> float:
        return self.label_width + GAP

    def text_boxes(self) -> list[tuple[float, float, float, float]]:
        """(x0, y0, x1, y1) of every text drawn, for checking that all of it lies inside the view box."""
        boxes = []
        for bar in self.bars:
            for line, baseline in zip(bar.lines, bar.line_ys, strict=True):
                y = bar.y + baseline
                boxes.append((self.label_width - text_width(line), y - FONT_SIZE, self.label_width, y + 3))
            x = self.bar_x + bar.width + 4
            y = bar.y + bar.bar_y + BAR_HEIGHT / 2 + 4
            boxes.append((x, y - FONT_SIZE, x + text_width(bar.text), y + 3))
        return boxes


def bar_chart(
    items: list[tuple[str, float, str]],
    *,
    keep_order: bool = False,
    other: Callable[[int, float], tuple[str, str]] | None = None,
    limit: int = MAX_BARS,
    width: int = CHART_WIDTH,
) -> BarChart:
    """Horizontal bars; ``items`` are (label, value, formatted value), drawn longest first unless ``keep_order``.

    Every item gets a bar up to ``limit``; past it the smallest are summed into one bar labelled by ``other(count,
    total)`` (label, formatted total), so nothing is dropped without saying so.
    """
    items = list(items) if keep_order else sorted(items, key=lambda i: -i[1])
    folded = 0
    rows = [(label, value, text, False) for label, value, text in items]
    if len(items) > limit and other is not None:
        kept, rest = items[: limit - 1], items[limit - 1 :]
        folded = len(rest)
        total = sum(v for _l, v, _t in rest)
        label, text = other(folded, total)
        rows = [(lab, v, t, False) for lab, v, t in kept] + [(label, total, text, True)]
    value_width = max((text_width(t) for _l, _v, t, _o in rows), default=0.0) + 4
    label_width = min(max((text_width(lab) for lab, _v, _t, _o in rows), default=0.0), width * MAX_LABEL_SHARE)
    bar_area = max(width - label_width - GAP - value_width - 2, 1.0)
    top = max((v for _l, v, _t, _o in rows), default=0) or 1
    bars: list[Bar] = []
    y = 0.0
    for label, value, text, is_other in rows:
        lines = wrap(label, label_width)
        text_height = len(lines) * LINE_HEIGHT
        row_height = max(BAR_HEIGHT, text_height) + ROW_GAP
        bar_y = (row_height - ROW_GAP - BAR_HEIGHT) / 2 + ROW_GAP / 2
        first = (row_height - text_height) / 2 + LINE_HEIGHT - 3
        bars.append(
            Bar(
                label=label,
                lines=lines,
                value=value,
                text=text,
                width=round(bar_area * value / top, 1),
                y=round(y, 1),
                bar_y=round(bar_y, 1),
                line_ys=[round(first + i * LINE_HEIGHT, 1) for i in range(len(lines))],
                other=is_other,
            )
        )
        y += row_height
    return BarChart(
        bars=bars,
        width=width,
        height=max(math.ceil(y), BAR_HEIGHT + ROW_GAP),
        label_width=round(label_width, 1),
        value_width=round(value_width, 1),
        folded=folded,
    )


@dataclass(frozen=True)
class Series:
    key: str
    points: str
    dots: list[tuple[float, float, int]]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    #: "start", "middle" or "end": where the label sits on x, so that it stays inside the chart
    anchor: str


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    ticks: list[Tick]
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


def _tick(x: float, label: str, width: int) -> Tick:
    half = text_width(label, TICK_FONT_SIZE) / 2
    if x - half < 0:
        return Tick(x, label, "start")
    if x + half > width:
        return Tick(x, label, "end")
    return Tick(x, label, "middle")


def line_chart(months: list[str], series: dict[str, list[int]], width: int = 360, height: int = 190) -> LineChart:
    """Monthly series on one axis starting at zero; month ticks thinned to stay legible on phones."""
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    y_values = (0, top // 2, top)
    # The axis labels end 6 units left of the axis: the margin is as wide as the widest of them.
    left = max(30, math.ceil(max(text_width(str(v), TICK_FONT_SIZE) for v in y_values) + 8))
    bottom, top_pad = 24, 8
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    n = max(len(months) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(left + plot_w * i / n, 1), round(top_pad + plot_h * (1 - v / top), 1)

    out = []
    for key, values in series.items():
        dots = [(*xy(i, v), v) for i, v in enumerate(values)]
        out.append(Series(key=key, points=" ".join(f"{x},{y}" for x, y, _v in dots), dots=dots))
    every = max(1, math.ceil(len(months) / 4))
    ticks = [_tick(xy(i, 0)[0], m, width) for i, m in enumerate(months) if i % every == 0]
    y_ticks = [(xy(0, v)[1], v) for v in y_values]
    return LineChart(
        series=out, ticks=ticks, y_ticks=y_ticks, width=width, height=height, left=left, bottom=height - bottom
    )
