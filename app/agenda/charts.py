"""Target-and-actual bars per period for server-rendered SVG: numbers only, the template draws them."""

from __future__ import annotations

from dataclasses import dataclass

from app.analytics.charts import TICK_FONT_SIZE, text_width

WIDTH = 360
HEIGHT = 170
TOP, BOTTOM, LEFT = 18, 22, 4


@dataclass(frozen=True)
class PeriodBars:
    label: str
    label_x: float
    target_x: float
    target_y: float | None
    actual_x: float
    actual_y: float | None
    actual_h: float
    text_y: float
    actual_text: str
    bar_width: float
    on_track: bool | None


@dataclass(frozen=True)
class TargetChart:
    width: int
    height: int
    base_y: float
    groups: list[PeriodBars]


def target_chart(items: list[tuple[str, float | None, float | None, str, bool | None]]) -> TargetChart:
    """One group per period (label, target, actual, actual as text, on track): the actual as a bar, the target as a
    line across the group; scaled from zero to the largest value."""
    top = max([abs(v) for _l, t, a, _x, _o in items for v in (t, a) if v is not None] or [1.0]) or 1.0
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(len(items), 1)
    slot = (WIDTH - LEFT) / n
    bar = min(slot * 0.5, 40.0)
    base = TOP + plot_h
    groups = []
    for i, (label, target, actual, text, ok) in enumerate(items):
        x0 = LEFT + slot * i
        centre = x0 + slot / 2
        height = 0.0 if actual is None else plot_h * max(actual, 0.0) / top
        # Long labels never run outside the slot: shorten to the year when a quarter does not fit.
        shown = label if text_width(label, TICK_FONT_SIZE) <= slot - 2 else label[:4]
        groups.append(
            PeriodBars(
                label=shown,
                label_x=round(centre, 1),
                target_x=round(centre - bar / 2 - 4, 1),
                target_y=None if target is None else round(base - plot_h * max(target, 0.0) / top, 1),
                actual_x=round(centre - bar / 2, 1),
                actual_y=None if actual is None else round(base - height, 1),
                actual_h=round(height, 1),
                text_y=round(base - height - 4, 1),
                actual_text=text if text_width(text, TICK_FONT_SIZE) <= slot else "",
                bar_width=round(bar, 1),
                on_track=ok,
            )
        )
    return TargetChart(width=WIDTH, height=HEIGHT, base_y=round(base, 1), groups=groups)
