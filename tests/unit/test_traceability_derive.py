"""The lot answer of ``derive_lot``: the JSON of TRACEABILITY.md, counts through nested lots, checks ordered and
deduplicated, precomputed plot checks, and check messages worded again in a reader's language."""

from __future__ import annotations

import datetime as dt

import pytest

from app.i18n import reset_locale, set_locale
from app.traceability.engine import LotCycleError, check_plots, derive_lot, localized_message, make_check, sort_checks
from app.traceability.model import Check, Delivery, GroupCertificate, Lot, LotInput, Member, Plot

D = dt.date
LON, LAT = 101.2, 13.3


def square(lon: float, lat: float, side: float) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


MEMBERS = {
    "m1": Member("m1", "g1", "Ana", "A-1", "TH", certified_from=D(2021, 1, 1)),
    "m2": Member("m2", "g1", "Bo", "B-2", "TH", certified_from=D(2021, 1, 1)),
    "m3": Member("m3", "g1", "Chai", "C-3", "TH"),  # never in scope
}
PLOTS = {
    "p1": Plot("p1", "m1", square(LON, LAT, 0.01), None, 2010, "TH"),
    "p2": Plot("p2", "m2", square(LON + 0.009, LAT, 0.01), None, 2010, "TH"),  # overlaps p1 by 10 %
    "p3": Plot("p3", "m3", {"type": "Point", "coordinates": [LON + 0.1, LAT]}, 2.0, 2010, "TH"),
    "p4": Plot("p4", "m1", {"type": "Point", "coordinates": [LON + 0.2, LAT]}, 2.0, 2010, "TH"),
}
CERTS = {"g1": [GroupCertificate("c1", "g1", "valid", D(2020, 1, 1), D(2029, 12, 31), frozenset({"field_latex"}))]}


def delivery(ref: str, member: str | None, plot: str | None, kg: float) -> Delivery:
    return Delivery(ref, "col1", member, plot, D(2024, 6, 1), "field_latex", dry_kg=kg)


DELIVERIES = {
    "d1": delivery("d1", "m1", "p1", 400),
    "d2": delivery("d2", "m2", "p2", 300),
    "d3": delivery("d3", "m3", "p3", 100),
    "d4": delivery("d4", "m1", "p4", 200),
}
LOTS = {
    "lot-1": Lot(
        "lot-1", "coop", (LotInput(delivery="d1"), LotInput(delivery="d3")), "none", "field_latex", 500, D(2024, 6, 2)
    ),
    "lot-2": Lot(
        "lot-2", "coop", (LotInput(delivery="d2"), LotInput(delivery="d4")), "none", "field_latex", 500, D(2024, 6, 2)
    ),
    "lot-7": Lot(
        "lot-7",
        "coop-acre",
        (LotInput(lot="lot-1", dry_kg=400), LotInput(lot="lot-2", dry_kg=500)),
        "tsr",
        "tsr",
        900.0,
        D(2024, 7, 1),
    ),
}


def derive(ref: str, **kw):
    kw.setdefault("collectors", {"col1": (LAT, LON)})
    return derive_lot(ref, lots=LOTS, deliveries=DELIVERIES, members=MEMBERS, plots=PLOTS, certificates=CERTS, **kw)


def test_the_answer_is_the_json_of_traceability_md() -> None:
    found = derive("lot-7")
    assert found.as_json() == {
        "lot": "lot-7",
        "holder": "coop-acre",
        "product_type": "tsr",
        "dry_kg": 900.0,
        # lot-1: 400 certified, 100 not (m3 never in scope) -> Mix 80; lot-2: all certified -> 100 %.
        "claim": "FSC Mix",
        "certified_percent": 80,
        "eudr_ready": False,
        "members": 3,
        "plots": 4,
        "deliveries": 4,
        "checks": [
            {
                "code": "PLOT_OVERLAP",
                "severity": "error",
                "ref": "p1",
                "message": "The plot overlaps plot p2 of another member by 10 % of the smaller plot.",
            },
            {
                "code": "PLOT_OVERLAP",
                "severity": "error",
                "ref": "p2",
                "message": "The plot overlaps plot p1 of another member by 10 % of the smaller plot.",
            },
            {
                "code": "MEMBER_NOT_CERTIFIED",
                "severity": "warning",
                "ref": "m3",
                "message": "The member was not in the group certificate's scope yet on 2024-06-01.",
            },
        ],
    }
    # 400 kg of lot-1 (80 % certified) and 500 kg of lot-2 (all certified).
    assert (found.certified_dry_kg, found.uncertified_dry_kg, found.unidentified_dry_kg) == (820.0, 80.0, 0.0)
    assert found.out_of_scope == {"m3": "not_in_scope_yet"}


def test_precomputed_plot_checks_give_the_same_answer() -> None:
    group = check_plots(PLOTS, MEMBERS)
    assert derive("lot-7", plot_checks=group) == derive("lot-7")
    # What the caller passes is what the answer shows.
    assert derive("lot-7", plot_checks={}).checks == (
        make_check("MEMBER_NOT_CERTIFIED", "warning", "m3", "not_in_scope_yet", date="2024-06-01"),
    )


def test_only_the_lots_own_plots_bring_their_checks() -> None:
    found = derive("lot-2")
    assert [(c.code, c.ref) for c in found.checks] == [("PLOT_OVERLAP", "p2")]
    assert (found.claim, found.certified_percent, found.members, found.plots, found.deliveries) == (
        "FSC 100%",
        100,
        2,
        2,
        2,
    )


def test_an_unknown_lot_input_is_no_origin_and_no_claim() -> None:
    lots = {"x": Lot("x", "coop", (LotInput(lot="nope", dry_kg=5),), "none", "tsr", 5, D(2024, 1, 1))}
    found = derive_lot(
        "x", lots=lots, deliveries={}, members={}, plots={}, certificates={}, collectors={}, plot_checks=None
    )
    assert [(c.code, c.ref, c.message) for c in found.checks] == [
        ("NO_ORIGIN", "x", "Input lot nope is not on record.")
    ]
    assert (found.claim, found.certified_percent, found.eudr_ready, found.unidentified_dry_kg) == (
        None,
        None,
        False,
        5.0,
    )


def test_unknown_lot_and_cycle_raise() -> None:
    with pytest.raises(KeyError):
        derive("lot-404")
    lots = {"a": Lot("a", "coop", (LotInput(lot="a", dry_kg=1),), "none", "tsr", 1, D(2024, 1, 1))}
    with pytest.raises(LotCycleError):
        derive_lot("a", lots=lots, deliveries={}, members={}, plots={}, certificates={}, collectors={})


def test_checks_are_sorted_errors_first_and_deduplicated() -> None:
    warning = Check("FAR_FROM_COLLECTOR", "warning", "p1", "w")
    errors = [Check("NO_ORIGIN", "error", "d2", "e"), Check("MASS_BALANCE", "error", "lot", "m")]
    assert sort_checks([warning, *errors, errors[0], warning]) == (errors[1], errors[0], warning)


def test_a_lot_with_only_warnings_is_eudr_ready() -> None:
    found = derive("lot-1", plot_checks={})
    assert (found.eudr_ready, [c.severity for c in found.checks]) == (True, ["warning"])


def test_messages_are_english_and_worded_again_in_the_readers_language() -> None:
    check = derive("lot-7").checks[-1]
    assert check.msgid == "The member was not in the group certificate's scope yet on %(date)s."
    assert check.params == (("date", "2024-06-01"),)
    token = set_locale("en")
    try:
        assert localized_message(check) == check.message
        assert localized_message(Check("X", "error", "r", "stored text")) == "stored text"
    finally:
        reset_locale(token)
