"""Which of a lot's plots need their every delivery read for the yield check.

``YIELD_IMPLAUSIBLE`` looks at all the deliveries of a plot over any 365 days, not only the lot's. A busy lot's plots
have tens of thousands of them; the database sums each plot's sliding 365-day window instead (a window function)
and only the plots whose peak comes near the warning limit are read whole and checked exactly by the engine. A plot
whose peak, in floating point, is under 99 % of the limit cannot be flagged (the engine's exact sum differs from it by
far less than 1 %), so skipping its deliveries changes no answer."""

from __future__ import annotations

from collections.abc import Iterable

from app.traceability import model
from app.traceability.engine.checks import YIELD_WINDOW
from app.traceability.engine.geometry import area_ha
from app.traceability.tables import Delivery

#: Share of the warning limit under which a plot's float peak is surely under the limit.
MARGIN = 0.99
CHUNK = 500

_DRY = "COALESCE(dry_kg, wet_kg * drc_percent / 100.0)"
_PEAKS = {
    "sqlite": (
        "SELECT plot, MAX(s) AS peak FROM (SELECT plot, SUM({dry}) OVER (PARTITION BY plot ORDER BY julianday(date) "
        "RANGE BETWEEN {days} PRECEDING AND CURRENT ROW) AS s FROM delivery WHERE plot IN ({marks})) AS w "
        "GROUP BY plot"
    ),
    "postgres": (
        "SELECT plot, MAX(s) AS peak FROM (SELECT plot, SUM({dry}) OVER (PARTITION BY plot ORDER BY date "
        "RANGE BETWEEN INTERVAL '{days} days' PRECEDING AND CURRENT ROW) AS s FROM delivery WHERE plot IN ({marks})) "
        "AS w GROUP BY plot"
    ),
}


async def peak_yields(plot_ids: Iterable[int]) -> dict[int, float]:
    """Plot id -> the most dry kg delivered from it within any 365 days, summed by the database (float)."""
    wanted = sorted(set(plot_ids))
    sql = _PEAKS["postgres" if Delivery._meta.db.engine_type == "postgres" else "sqlite"]
    found: dict[int, float] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = sql.format(dry=_DRY, days=YIELD_WINDOW.days, marks=", ".join("{}" for _ in chunk))
        for row in await Delivery.raw(query, *chunk):
            found[row["plot"]] = float(row["peak"] or 0)
    return found


async def plots_to_read(plots: dict[int, model.Plot], warning_kg_ha: float) -> list[int]:
    """Ids of the plots (id -> model plot) whose deliveries the yield check must read: those with an area whose peak
    reaches ``MARGIN`` of the warning limit."""
    with_area = {pid: area for pid, plot in plots.items() if (area := area_ha(plot)) and area > 0}
    peaks = await peak_yields(with_area)
    return sorted(pid for pid, area in with_area.items() if peaks.get(pid, 0.0) / area >= MARGIN * warning_kg_ha)
