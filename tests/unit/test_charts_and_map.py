"""Dashboard charts and the offline map: every label inside its drawing in every language, no bar dropped without
saying so, and no country outline drawn across the world (rings crossing the antimeridian)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from app.analytics import charts, geo
from app.i18n import SUPPORTED_LOCALES, gettext, reset_locale, set_locale
from app.vocab import ALL_PRODUCT_TYPES


@pytest.fixture(name="locale", params=list(SUPPORTED_LOCALES))
def fx_locale(request: pytest.FixtureRequest) -> Iterator[str]:
    token = set_locale(request.param)
    yield request.param
    reset_locale(token)


def product_items(values: list[int]) -> list[tuple[str, float, str]]:
    labels = [gettext(label) for label in ALL_PRODUCT_TYPES.values()]
    return [(labels[i % len(labels)], v, f"{v:,}".replace(",", ".")) for i, v in enumerate(values)]


def assert_inside(chart: charts.BarChart) -> None:
    for x0, y0, x1, y1 in chart.text_boxes():
        assert 0 <= x0 and x1 <= chart.width, (x0, x1, chart.width)
        assert 0 <= y0 and y1 <= chart.height, (y0, y1, chart.height)


def test_every_product_type_gets_a_bar_and_every_label_fits(locale: str) -> None:
    assert len(ALL_PRODUCT_TYPES) == 15
    items = product_items([1_234_567 - 1000 * i for i in range(15)])
    chart = charts.bar_chart(items, other=lambda k, total: (f"Other ({k})", str(total)))
    assert len(chart.bars) == 15
    assert chart.folded == 0
    assert [" ".join(b.lines) for b in chart.bars] == [label for label, _v, _t in items]
    assert_inside(chart)


def test_the_longest_spanish_label_wraps_inside_the_view_box() -> None:
    token = set_locale("es_MX")
    try:
        longest = max((gettext(label) for label in ALL_PRODUCT_TYPES.values()), key=charts.text_width)
    finally:
        reset_locale(token)
    assert longest == "Caucho técnicamente especificado (TSR)"
    chart = charts.bar_chart([(longest, 5, "5"), ("Leña", 1_000_000, "1.000.000")])
    tsr = next(b for b in chart.bars if b.label == longest)
    assert len(tsr.lines) == 2
    assert max(charts.text_width(line) for line in tsr.lines) <= chart.label_width
    assert_inside(chart)
    # A word wider than the whole column is broken rather than left to run out of the drawing.
    chart = charts.bar_chart([("Madera" * 12, 3, "3")])
    assert "".join(chart.bars[0].lines) == "Madera" * 12
    assert_inside(chart)


def test_more_rows_than_bars_sum_the_smallest_into_other() -> None:
    items = [(f"Country {i:02d}", 100 - i, str(100 - i)) for i in range(25)]
    chart = charts.bar_chart(items, other=lambda k, total: (f"Other ({k})", f"{total:g}"))
    assert len(chart.bars) == charts.MAX_BARS
    assert chart.folded == 6
    last = chart.bars[-1]
    assert (last.label, last.value, last.text, last.other) == ("Other (6)", sum(range(76, 82)), "471", True)
    assert [b.label for b in chart.bars[:-1]] == [f"Country {i:02d}" for i in range(19)]


def test_funnel_keeps_its_order() -> None:
    chart = charts.bar_chart([("Recommended", 10, "10"), ("Viewed", 30, "30")], keep_order=True)
    assert [b.label for b in chart.bars] == ["Recommended", "Viewed"]
    assert chart.bars[0].y < chart.bars[1].y


def test_line_chart_labels_stay_inside() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]
    chart = charts.line_chart(months, {"contacts": [2500] * 13, "deals": [0] * 13})
    assert chart.ticks[-1].label == "2027-01"
    for tick in chart.ticks:
        half = charts.text_width(tick.label, charts.TICK_FONT_SIZE)
        x0 = {"start": tick.x, "middle": tick.x - half / 2, "end": tick.x - half}[tick.anchor]
        assert 0 <= x0 and x0 + half <= chart.width, tick
    widest = max(charts.text_width(str(v), charts.TICK_FONT_SIZE) for _y, v in chart.y_ticks)
    assert chart.left - 6 - widest >= 0


# --- the map outline ---------------------------------------------------------------------------------------------
def rings(data: dict) -> Iterator[tuple[str, list[list[float]]]]:
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                yield feature["properties"]["name"], ring


def test_no_outline_segment_crosses_the_world() -> None:
    """Drawn flat (Leaflet's map and the static SVG), a segment spanning more than 90 degrees of longitude is a
    ring crossing the antimeridian: it draws a band across the world."""
    data = geo.load_world()
    for name, ring in rings(data):
        assert ring[0] == ring[-1], name
        for (lon0, _a), (lon1, _b) in zip(ring, ring[1:], strict=False):
            assert abs(lon1 - lon0) <= 90, (name, lon0, lon1)
            assert -180 <= lon0 <= 180


def test_the_static_svg_is_drawn_from_the_cut_outline() -> None:
    svg = geo.static_file(geo.WORLD_SVG).read_text(encoding="utf-8")
    assert svg == geo.world_svg()
    path = re.search(r' d="([^"]+)"', svg).group(1)
    for sub in path.split("Z"):
        if not sub:
            continue
        xs = [float(p.split()[0]) for p in sub.lstrip("M").split("L")]
        closing = [*xs, xs[0]]  # Z draws the closing segment too
        assert all(abs(b - a) <= 90 for a, b in zip(closing, closing[1:], strict=False)), sub[:80]


def test_cutting_is_done_and_changes_nothing_more() -> None:
    data = geo.load_world()
    assert geo.fix_world(data) == data
    names = [name for name, ring in rings(data) if any(abs(lon) == 180 for lon, _lat in ring)]
    assert sorted(set(names)) == ["Antarctica", "Fiji", "Russia"]


def test_split_ring_cuts_a_crossing_ring_into_one_piece_per_side() -> None:
    fiji = [[-180, -16.07], [-179.79, -16.02], [-179.92, -16.5], [-180, -16.56], [179.36, -16.8], [178.73, -17.01],
            [178.6, -16.64], [179.1, -16.43], [179.41, -16.38], [180, -16.07], [-180, -16.07]]  # fmt: skip
    west, east = sorted(geo.split_ring(fiji), key=lambda r: r[0][0])
    assert all(-180 <= lon <= -179 for lon, _lat in west)
    assert all(178 <= lon <= 180 for lon, _lat in east)
    assert west[0] == west[-1] and east[0] == east[-1]
    # Together they cover what the ring covered on the sphere.
    whole = geo._area([((lon + 360) if lon < 0 else lon, lat) for lon, lat in fiji[:-1]])
    assert geo._area(west[:-1]) + geo._area(east[:-1]) == pytest.approx(whole, abs=1e-6)
    # A ring that crosses nothing comes back as it was.
    square = [[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]]
    assert geo.split_ring(square) == [[(10, 10), (20, 10), (20, 20), (10, 20), (10, 10)]]


def test_a_ring_round_the_pole_is_closed_along_the_pole() -> None:
    # A coast that runs all the way round the South Pole, ending where it began.
    coast = [[-180, -70], [-90, -72], [0, -68], [90, -71], [180, -70], [-180, -70]]
    [ring] = geo.split_ring(coast)
    assert ring[-5:] == [(90, -90), (0, -90), (-90, -90), (-180, -90), (-180, -70)]
    assert all(abs(b[0] - a[0]) <= 90 for a, b in zip(ring, ring[1:], strict=False))
