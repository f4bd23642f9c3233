"""Delivery and lot checks: DRC_OUT_OF_RANGE, YIELD_IMPLAUSIBLE, TOO_YOUNG, MEMBER_NOT_CERTIFIED, NO_ORIGIN,
MASS_BALANCE and FAR_FROM_COLLECTOR, each passing and failing at its boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.geo import EARTH_RADIUS_KM
from app.traceability.engine import (
    derive_lot,
    drc_check,
    far_check,
    mass_balance_check,
    peak_yield,
    too_young_check,
    yield_check,
)
from app.traceability.model import Delivery, GroupCertificate, Lot, LotInput, Member, Plot, Thresholds

D = dt.date
T = Thresholds()
LON, LAT = 101.2, 13.3
KM_PER_DEGREE = EARTH_RADIUS_KM * 3.141592653589793 / 180


def delivery(ref: str = "d1", **kw) -> Delivery:
    kw.setdefault("date", D(2024, 6, 1))
    kw.setdefault("form", "field_latex")
    kw.setdefault("member", "m1")
    kw.setdefault("plot", "p1")
    kw.setdefault("collector", "col1")
    if "wet_kg" not in kw:
        kw.setdefault("dry_kg", 10.0)
    return Delivery(ref=ref, **kw)


def point_plot(ref: str = "p1", area: float = 1.0, planted: int | None = 2010, member: str = "m1") -> Plot:
    return Plot(ref, member, {"type": "Point", "coordinates": [LON, LAT]}, area, planted, "TH")


@pytest.mark.parametrize(
    ("form", "drc", "flagged"),
    [
        ("field_latex", 45.0, False),
        ("field_latex", 45.01, True),
        ("field_latex", 20.0, False),
        ("field_latex", 19.99, True),
        ("cup_lump", 45.0, False),
        ("cup_lump", 44.99, True),
        ("cup_lump", 80.0, False),
        ("cup_lump", 80.01, True),
        ("field_latex", None, False),
    ],
)
def test_drc_out_of_range(form: str, drc: float | None, flagged: bool) -> None:
    found = drc_check(delivery(form=form, wet_kg=100.0, drc_percent=drc), T)
    assert (found is not None) is flagged
    if found:
        assert (found.code, found.severity, found.ref) == ("DRC_OUT_OF_RANGE", "error", "d1")


def test_drc_message_names_the_form_and_range() -> None:
    found = drc_check(delivery(form="cup_lump", wet_kg=100.0, drc_percent=30), T)
    assert found is not None and found.message == "Cup lump DRC of 30 % is outside 45-80 %."


@pytest.mark.parametrize(
    ("planted", "year", "flagged"),
    [(2018, 2024, False), (2019, 2024, True), (None, 2024, False)],
)
def test_too_young(planted: int | None, year: int, flagged: bool) -> None:
    found = too_young_check(delivery(date=D(year, 1, 1)), point_plot(planted=planted), T)
    assert (found is not None) is flagged
    if found:
        assert (found.code, found.severity, found.ref) == ("TOO_YOUNG", "error", "d1")
        assert found.message == "Delivered in 2024 from a plot planted in 2019: trees are tapped from 6 years."


@pytest.mark.parametrize(
    ("kg", "severity"),
    [(1200, None), (1200.01, "warning"), (2000, "warning"), (2000.01, "error")],
)
def test_yield_over_a_year_per_hectare(kg: float, severity: str | None) -> None:
    # Two deliveries of one plot of 2 ha in one year: kg/ha = kg.
    found = yield_check(
        "p1",
        2.0,
        [delivery("a", dry_kg=kg), delivery("b", dry_kg=kg, date=D(2024, 12, 1))],
        T,
    )
    assert (found.severity if found else None) == severity


def test_yield_window_is_365_days_sliding() -> None:
    first = delivery("a", dry_kg=1500.0, date=D(2023, 1, 1))
    last_day = delivery("b", dry_kg=600.0, date=D(2023, 12, 31))  # the 365th day, 2023 not a leap year
    next_day = delivery("c", dry_kg=600.0, date=D(2024, 1, 1))  # the 366th
    assert peak_yield([first, last_day]) == (Decimal("2100.0"), D(2023, 1, 1))
    assert peak_yield([first, next_day]) == (Decimal("1500.0"), D(2023, 1, 1))
    flagged = yield_check("p1", 1.0, [first, last_day], T)
    assert flagged is not None and (flagged.code, flagged.severity) == ("YIELD_IMPLAUSIBLE", "error")
    assert flagged.message == (
        "The plot delivered 2,100 kg of dry rubber per hectare in the 365 days from 2023-01-01 "
        "(plausible: up to 2,000)."
    )
    assert yield_check("p1", 1.0, [first, next_day], T).severity == "warning"
    # A later window can be the worst one.
    late = [delivery("x", dry_kg=100.0, date=D(2020, 1, 1)), delivery("y", dry_kg=700.0, date=D(2022, 3, 1))]
    late.append(delivery("z", dry_kg=700.0, date=D(2022, 9, 1)))
    assert peak_yield(late) == (Decimal("1400.0"), D(2022, 3, 1))


def test_mass_balance() -> None:
    lot = Lot("lot", "coop", (), "tsr", "tsr", 100.0, D(2024, 7, 1))
    assert mass_balance_check(lot, Decimal("100.0")) is None
    found = mass_balance_check(lot, Decimal("99.99"))
    assert found is not None and (found.code, found.severity, found.ref) == ("MASS_BALANCE", "error", "lot")
    assert found.message == "The lot's output (100 kg dry) is more than its inputs (99.99 kg dry)."


@pytest.mark.parametrize(("km", "flagged"), [(149.9, False), (150.1, True)])
def test_far_from_collector(km: float, flagged: bool) -> None:
    collector = (LAT + km / KM_PER_DEGREE, LON)
    found = far_check("p1", (LAT, LON), "col1", collector, T)
    assert (found is not None) is flagged
    if found:
        assert (found.code, found.severity, found.ref) == ("FAR_FROM_COLLECTOR", "warning", "p1")
        assert found.message == "The plot is 150 km from collector col1 (more than 150 km)."
    assert far_check("p1", (LAT, LON), "col1", None, T) is None


# --- through derive_lot --------------------------------------------------------------------------------------

CERT = GroupCertificate("c1", "g1", "valid", D(2020, 1, 1), D(2029, 12, 31), frozenset({"field_latex"}))


def answer(deliveries: list[Delivery], *, members=None, plots=None, output: float = 10.0, collectors=None, **kw):
    members = members or {"m1": Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1))}
    plots = plots or {"p1": point_plot()}
    lot = Lot("lot", "coop", tuple(LotInput(delivery=d.ref) for d in deliveries), "tsr", "tsr", output, D(2024, 7, 1))
    return derive_lot(
        "lot",
        lots={"lot": lot},
        deliveries={d.ref: d for d in deliveries},
        members=members,
        plots=plots,
        certificates=kw.pop("certificates", {"g1": [CERT]}),
        collectors=collectors or {"col1": (LAT, LON)},
        **kw,
    )


def summary(found) -> list[tuple[str, str, str]]:
    return [(c.code, c.severity, c.ref) for c in found.checks]


def test_a_clean_lot_has_no_checks() -> None:
    found = answer([delivery()])
    assert (found.claim, found.certified_percent, found.eudr_ready, found.checks) == ("FSC 100%", 100, True, ())


def test_no_origin_for_a_missing_or_unknown_member_or_plot() -> None:
    found = answer([delivery("d1", member=None), delivery("d2", plot=None), delivery("d3", plot="p404")], output=30)
    assert summary(found) == [("NO_ORIGIN", "error", "d1"), ("NO_ORIGIN", "error", "d2"), ("NO_ORIGIN", "error", "d3")]
    assert [c.message for c in found.checks] == [
        "The delivery names no member or no plot.",
        "The delivery names no member or no plot.",
        "The delivery's member or plot is not on record.",
    ]
    assert (found.claim, found.certified_percent, found.eudr_ready) == (None, None, False)
    assert found.unidentified_dry_kg == 30.0


@pytest.mark.parametrize(
    ("member", "certificates", "form", "reason", "message"),
    [
        (
            Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2024, 6, 2)),
            {"g1": [CERT]},
            "field_latex",
            "not_in_scope_yet",
            "The member was not in the group certificate's scope yet on 2024-06-01.",
        ),
        (
            Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1), certified_to=D(2024, 5, 31)),
            {"g1": [CERT]},
            "field_latex",
            "left_scope",
            "The member had left the group certificate's scope by 2024-06-01.",
        ),
        (
            Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1)),
            {
                "g1": [
                    GroupCertificate("c1", "g1", "suspended", D(2020, 1, 1), D(2029, 1, 1), frozenset({"field_latex"}))
                ]
            },
            "field_latex",
            "certificate_not_valid",
            "No certificate of the member's group was valid on 2024-06-01.",
        ),
        (
            Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1)),
            {"g1": [CERT]},
            "cup_lump",
            "product_not_covered",
            "The group's certificate valid on 2024-06-01 does not cover Cup lump.",
        ),
        (
            Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1)),
            {},
            "field_latex",
            "no_group_certificate",
            "The member's group holds no certificate.",
        ),
    ],
)
def test_member_not_certified_is_a_warning_with_its_reason(member, certificates, form, reason, message) -> None:
    found = answer(
        [delivery(form=form, wet_kg=100.0, drc_percent=60.0 if form == "cup_lump" else 30.0)],
        members={"m1": member},
        certificates=certificates,
        output=5,
    )
    assert summary(found) == [("MEMBER_NOT_CERTIFIED", "warning", "m1")]
    assert found.checks[0].message == message
    assert found.out_of_scope == {"m1": reason}
    assert (found.claim, found.certified_percent, found.eudr_ready) == (None, 0, True)


def test_the_latest_uncertified_delivery_gives_the_members_reason() -> None:
    member = Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2024, 3, 1), certified_to=D(2024, 5, 1))
    found = answer(
        [delivery("d1", date=D(2024, 2, 1)), delivery("d2", date=D(2024, 4, 1)), delivery("d3", date=D(2024, 6, 1))],
        members={"m1": member},
        output=30,
    )
    assert found.out_of_scope == {"m1": "left_scope"}
    assert (found.claim, found.certified_percent) == ("FSC Mix", 33)


def test_mass_balance_through_derive_lot() -> None:
    assert answer([delivery(dry_kg=10.0)], output=10.0).checks == ()
    assert summary(answer([delivery(dry_kg=10.0)], output=10.001)) == [("MASS_BALANCE", "error", "lot")]


def test_yield_counts_every_delivery_of_the_plot_not_only_the_lots() -> None:
    inside = delivery("d1", dry_kg=1000.0, date=D(2024, 1, 10))
    outside = delivery("d2", dry_kg=300.0, date=D(2024, 3, 10))
    lot = Lot("lot", "coop", (LotInput(delivery="d1"),), "tsr", "tsr", 1000.0, D(2024, 7, 1))
    found = derive_lot(
        "lot",
        lots={"lot": lot},
        deliveries={"d1": inside, "d2": outside},
        members={"m1": Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1))},
        plots={"p1": point_plot(area=1.0)},
        certificates={"g1": [CERT]},
        collectors={},
    )
    assert summary(found) == [("YIELD_IMPLAUSIBLE", "warning", "p1")]
    assert found.deliveries == 1


def test_far_from_collector_once_per_plot_and_collector() -> None:
    far = (LAT + 200 / KM_PER_DEGREE, LON)
    found = answer(
        [delivery("d1"), delivery("d2"), delivery("d3", collector="col2")],
        collectors={"col1": far, "col2": None},
        output=30,
    )
    assert summary(found) == [("FAR_FROM_COLLECTOR", "warning", "p1")]
    assert found.eudr_ready is True


def test_delivery_checks_through_derive_lot() -> None:
    found = answer(
        [delivery("d1", wet_kg=100.0, drc_percent=50.0), delivery("d2", date=D(2015, 1, 1))],
        output=10.0,
        certificates={
            "g1": [GroupCertificate("c1", "g1", "valid", D(2010, 1, 1), D(2029, 1, 1), frozenset({"field_latex"}))]
        },
        members={"m1": Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2010, 1, 1))},
    )
    assert summary(found) == [("DRC_OUT_OF_RANGE", "error", "d1"), ("TOO_YOUNG", "error", "d2")]
