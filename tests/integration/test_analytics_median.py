"""The median reply time's SQL (a sorted window around the middle, else a full sort) is the exact median."""

from __future__ import annotations

import statistics

import pytest

from app.analytics.queries.supply import run
from app.analytics.queries.trade import MEDIAN_SAMPLE, _median

TIED = "((g.i * 7919) % 1009) * 0.5"


def _values(n: int, expr: str) -> list[float]:
    out = []
    for i in range(1, n + 1):
        if expr == TIED:
            out.append(((i * 7919) % 1009) * 0.5)
        else:  # _skewed: every sampled value is far above the rest
            out.append(1_000_000.0 if i % (n // MEDIAN_SAMPLE + 1) == 0 else float(i))
    return out


def _skewed(n: int) -> str:
    return f"CASE WHEN g.i % {n // MEDIAN_SAMPLE + 1} = 0 THEN 1000000.0 ELSE g.i * 1.0 END"


async def _median_of(n: int, expr: str, select: str = "med.median AS median") -> dict[str, object]:
    query = f"""
        WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT g.i + 1 FROM g WHERE g.i < {{}}),
        d AS MATERIALIZED (SELECT g.i AS c, {expr} AS s FROM g WHERE g.i <= {{}}),
        dn AS MATERIALIZED (SELECT COUNT(*) AS n FROM d),
        {_median("d", "dn")}
        SELECT {select} FROM med CROSS JOIN win CROSS JOIN dn
    """
    return (await run(query, [n, n]))[0]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5000, 5001])
async def test_median_of_tied_values_is_exact(db: str, n: int) -> None:
    row = await _median_of(n, TIED)
    expected = statistics.median(_values(n, TIED)) if n else None
    assert (None if row["median"] is None else float(row["median"])) == expected  # type: ignore[arg-type]


async def test_window_holds_the_middle_at_5000_values(db: str) -> None:
    row = await _median_of(5000, TIED, "win.below AS below, win.upto AS upto, dn.n AS n")
    below, upto, n = int(row["below"]), int(row["upto"]), int(row["n"])  # type: ignore[call-overload]
    assert (below <= (n - 1) // 2, n // 2 < upto, upto - below < n // 4) == (True, True, True)


@pytest.mark.parametrize("n", [5000, 5001])
async def test_a_sample_far_from_the_middle_falls_back_to_a_full_sort(db: str, n: int) -> None:
    row = await _median_of(n, _skewed(n), "med.median AS median, win.below AS below, dn.n AS n")
    assert int(row["below"]) > (int(row["n"]) - 1) // 2  # type: ignore[call-overload]
    assert float(row["median"]) == statistics.median(_values(n, "skewed"))  # type: ignore[arg-type]
