"""Checking plots a cell at a time finds exactly what checking them all at once finds: overlaps and duplicates
across cell borders, plots wider than a cell, points and broken geometries."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.traceability.engine import check_plots
from app.traceability.engine.tiles import TILE_DEGREES, tiles
from app.traceability.model import Member, Plot

MEMBERS = {
    "m-1": Member(ref="m-1", group="g", name="Ana", member_code="A-1", country="BR"),
    "m-2": Member(ref="m-2", group="g", name="Rui", member_code="A-2", country="BR"),
}
#: A corner where four cells meet, inside Acre (BR).
CORNER = (-68.0, -10.0)


def square(ref: str, lon: float, lat: float, side: float, member: str = "m-1") -> Plot:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return Plot(ref=ref, member=member, geometry={"type": "Polygon", "coordinates": [ring]}, area_ha=None,
                planted_year=2010, country="BR")  # fmt: skip


def point(ref: str, lon: float, lat: float, member: str = "m-1") -> Plot:
    return Plot(ref=ref, member=member, geometry={"type": "Point", "coordinates": [lon, lat]}, area_ha=2.0,
                planted_year=2010, country="BR")  # fmt: skip


def by_tiles(plots: dict[str, Plot]) -> dict[str, list]:
    found: dict[str, list] = {}
    for subjects, near in tiles(plots):
        assert set(subjects) <= set(near)
        found.update(check_plots({r: plots[r] for r in near}, MEMBERS, subjects=subjects))
    return found


def test_each_plot_is_a_subject_once_and_only_neighbours_come_along() -> None:
    plots = {
        "a": square("a", CORNER[0] - 0.002, CORNER[1] - 0.002, 0.003),
        "far": square("far", CORNER[0] + 3.0, CORNER[1] + 3.0, 0.003),
        "wide": square("wide", CORNER[0] - 0.4, CORNER[1] - 0.4, 0.8),
        "broken": Plot(
            ref="broken",
            member="m-1",
            geometry={"type": "Polygon", "coordinates": []},
            area_ha=None,
            planted_year=None,
            country="BR",
        ),  # fmt: skip
    }
    split = tiles(plots)
    subjects = sorted(r for s, _near in split for r in s)
    assert subjects == ["a", "broken", "far", "wide"]
    near_of = {tuple(s): sorted(set(n)) for s, n in split}
    assert near_of[("far",)] == ["far"]
    assert near_of[("a",)] == ["a", "wide"]
    assert near_of[("wide",)] == ["a", "wide"]
    assert near_of[("broken",)] == ["broken"]


def test_an_overlap_across_a_cell_border_is_found_on_both_plots() -> None:
    left = square("left", CORNER[0] - 0.003, CORNER[1] + 0.001, 0.004)  # crosses lon -68.0 into the next cell
    right = square("right", CORNER[0] + 0.0005, CORNER[1] + 0.001, 0.004, "m-2")  # another member's
    twin = square("twin", CORNER[0] + 0.0005, CORNER[1] + 0.001, 0.004)  # the same shape as "right"
    plots = {"left": left, "right": right, "twin": twin}
    assert len(tiles(plots)) == 2  # "left" starts in one cell, the other two in the next
    whole = check_plots(plots, MEMBERS)
    assert [c.code for c in whole["left"]] == ["PLOT_OVERLAP"]
    assert by_tiles(plots) == whole


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=2, max_value=40))
def test_tiled_checks_equal_the_checks_of_all_plots_at_once(seed: int, count: int) -> None:
    rng = random.Random(seed)
    plots: dict[str, Plot] = {}
    for i in range(count):
        lon = CORNER[0] + rng.uniform(-2.2, 2.2) * TILE_DEGREES / 2
        lat = CORNER[1] + rng.uniform(-2.2, 2.2) * TILE_DEGREES / 2
        kind = rng.random()
        ref = f"p-{i:03d}"
        member = rng.choice(["m-1", "m-2"])
        if kind < 0.2:
            plots[ref] = point(ref, lon, lat, member)
        elif kind < 0.25:
            plots[ref] = square(ref, lon, lat, rng.uniform(0.5, 0.7), member)  # wider than a cell
        elif kind < 0.35 and plots:
            other = plots[rng.choice(sorted(plots))]
            plots[ref] = Plot(ref=ref, member=member, geometry=other.geometry, area_ha=other.area_ha,
                              planted_year=2010, country="BR")  # fmt: skip
        else:
            plots[ref] = square(ref, lon, lat, rng.uniform(0.0005, 0.01), member)
    assert by_tiles(plots) == check_plots(plots, MEMBERS)
