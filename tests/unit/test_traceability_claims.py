"""Derived claims of lots: certificate validity and scope windows, FSC 100% / Mix / no claim, exact 70 % edges,
lots of lots, cycles, and a property test against a separate straightforward computation."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.traceability.engine import (
    LotCycleError,
    certificate_valid_on,
    classify,
    derive_claim,
    find_cycle,
    scope_reason,
)
from app.traceability.model import Delivery, GroupCertificate, Lot, LotInput, Member, Plot

D = dt.date
POINT = {"type": "Point", "coordinates": [101.2, 13.3]}


ISSUED, EXPIRES, IN_SCOPE = D(2020, 1, 1), D(2029, 12, 31), D(2021, 1, 1)


def cert(status: str = "valid", issued: dt.date = ISSUED, expires: dt.date = EXPIRES, **kw):
    kw.setdefault("product_types", frozenset({"field_latex", "cup_lump"}))
    return GroupCertificate("c1", "g1", status, issued, expires, **kw)


def member(ref: str = "m1", frm: dt.date | None = IN_SCOPE, to: dt.date | None = None) -> Member:
    return Member(ref, "g1", f"Name {ref}", f"C-{ref}", "TH", certified_from=frm, certified_to=to)


def plot(ref: str = "p1", member_ref: str = "m1") -> Plot:
    return Plot(ref, member_ref, POINT, 1.0, 2010, "TH")


def delivery(ref: str, kg: float, member_ref: str | None = "m1", plot_ref: str | None = "p1", **kw) -> Delivery:
    kw.setdefault("date", D(2024, 6, 1))
    kw.setdefault("form", "field_latex")
    return Delivery(ref, "col1", member_ref, plot_ref, dry_kg=kw.pop("dry_kg", kg), **kw)


def lot(ref: str, *inputs: LotInput, output: float = 0.0) -> Lot:
    return Lot(ref, "coop", tuple(inputs), "tsr", "tsr", output, D(2024, 7, 1))


def claim_of(lots, deliveries, members, plots, certificates, ref="lot"):
    found = derive_claim(ref, lots=lots, deliveries=deliveries, members=members, plots=plots, certificates=certificates)
    return found.claim, found.percent


# --- the rule's parts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("certificate", "date", "valid"),
    [
        (cert(), D(2020, 1, 1), True),
        (cert(), D(2029, 12, 31), True),
        (cert(), D(2019, 12, 31), False),
        (cert(), D(2030, 1, 1), False),
        (cert("suspended", invalid_since=D(2024, 6, 1)), D(2024, 5, 31), True),
        (cert("suspended", invalid_since=D(2024, 6, 1)), D(2024, 6, 1), False),
        (cert("terminated"), D(2024, 6, 1), False),
        (cert("expired", expires=D(2024, 6, 1)), D(2024, 6, 1), True),
        (cert("expired", expires=D(2024, 6, 1), invalid_since=D(2024, 3, 1)), D(2024, 4, 1), False),
    ],
)
def test_certificate_valid_on(certificate: GroupCertificate, date: dt.date, valid: bool) -> None:
    assert certificate_valid_on(certificate, date) is valid


@pytest.mark.parametrize(
    ("frm", "to", "date", "reason"),
    [
        (D(2024, 6, 1), None, D(2024, 6, 1), None),
        (D(2024, 6, 1), None, D(2024, 5, 31), "not_in_scope_yet"),
        (None, None, D(2024, 5, 31), "not_in_scope_yet"),
        (D(2021, 1, 1), D(2024, 6, 1), D(2024, 6, 1), None),
        (D(2021, 1, 1), D(2024, 6, 1), D(2024, 6, 2), "left_scope"),
    ],
)
def test_scope_window_is_inclusive(frm, to, date, reason) -> None:
    assert scope_reason(member(frm=frm, to=to), date) == reason


def test_classify_names_the_reason() -> None:
    members, plots = {"m1": member()}, {"p1": plot()}
    only_cup = {"g1": [cert(product_types=frozenset({"cup_lump"}))]}
    assert classify(delivery("d1", 10), members, plots, {"g1": [cert()]}) == ("certified", None)
    assert classify(delivery("d1", 10), members, plots, only_cup) == ("uncertified", "product_not_covered")
    assert classify(delivery("d1", 10, form="cup_lump"), members, plots, only_cup) == ("certified", None)
    assert classify(delivery("d1", 10), members, plots, {}) == ("uncertified", "no_group_certificate")
    expired = {"g1": [cert(expires=D(2024, 5, 31))]}
    assert classify(delivery("d1", 10), members, plots, expired) == ("uncertified", "certificate_not_valid")
    assert classify(delivery("d1", 10, member_ref=None), members, plots, {}) == ("unidentified", None)
    assert classify(delivery("d1", 10, plot_ref=None), members, plots, {}) == ("unidentified", None)
    assert classify(delivery("d1", 10, plot_ref="p404"), members, plots, {}) == ("unidentified", None)


# --- claims of lots --------------------------------------------------------------------------------------------

MEMBERS = {"m1": member("m1"), "m2": member("m2", frm=None)}
PLOTS = {"p1": plot("p1", "m1"), "p2": plot("p2", "m2")}
CERTS = {"g1": [cert()]}


def test_all_certified_is_fsc_100() -> None:
    deliveries = {"d1": delivery("d1", 10), "d2": delivery("d2", 5)}
    lots = {"lot": lot("lot", LotInput(delivery="d1"), LotInput(delivery="d2"))}
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS) == ("FSC 100%", 100)


@pytest.mark.parametrize(
    ("certified", "uncertified", "percent"),
    [(70, 30, 70), (69.99, 30.01, 69), (2.03, 0.87, 70), (1, 2, 33), (99, 1, 99)],
)
def test_mix_percentage_is_rounded_down_exactly(certified: float, uncertified: float, percent: int) -> None:
    # 2.03 / 2.90 is exactly 70 %, but 2.03 * 100 / (2.03 + 0.87) in floats is 69.999...
    deliveries = {"d1": delivery("d1", certified), "d2": delivery("d2", uncertified, "m2", "p2")}
    lots = {"lot": lot("lot", LotInput(delivery="d1"), LotInput(delivery="d2"))}
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS) == ("FSC Mix", percent)


def test_wet_kg_and_drc_give_exact_dry_kg() -> None:
    # 7 kg wet at 29 % = 2.03 kg dry; 3 kg wet at 29 % = 0.87 kg dry: 70 %, exactly.
    deliveries = {
        "d1": Delivery("d1", "col1", "m1", "p1", D(2024, 6, 1), "field_latex", wet_kg=7, drc_percent=29),
        "d2": Delivery("d2", "col1", "m2", "p2", D(2024, 6, 1), "field_latex", wet_kg=3, drc_percent=29),
    }
    lots = {"lot": lot("lot", LotInput(delivery="d1"), LotInput(delivery="d2"))}
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS) == ("FSC Mix", 70)


def test_any_input_without_origin_means_no_claim() -> None:
    deliveries = {"d1": delivery("d1", 1000), "d2": delivery("d2", 1, plot_ref=None)}
    lots = {"lot": lot("lot", LotInput(delivery="d1"), LotInput(delivery="d2"))}
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS) == (None, None)


def test_nothing_certified_is_no_claim_at_zero_percent() -> None:
    deliveries = {"d2": delivery("d2", 10, "m2", "p2")}
    lots = {"lot": lot("lot", LotInput(delivery="d2"))}
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS) == (None, 0)


def test_an_unknown_delivery_is_no_claim() -> None:
    lots = {"lot": lot("lot", LotInput(delivery="d404"))}
    found = derive_claim("lot", lots=lots, deliveries={}, members=MEMBERS, plots=PLOTS, certificates=CERTS)
    assert (found.claim, found.percent, found.unknown_inputs) == (None, None, [("lot", "delivery", "d404")])


def lots_of_lots() -> tuple[dict[str, Lot], dict[str, Delivery]]:
    deliveries = {
        "d1": delivery("d1", 100),
        "d2": delivery("d2", 80),
        "d3": delivery("d3", 20, "m2", "p2"),
        "d4": delivery("d4", 5, member_ref=None),
    }
    lots = {
        "pure": lot("pure", LotInput(delivery="d1"), output=100),
        "mix": lot("mix", LotInput(delivery="d2"), LotInput(delivery="d3"), output=100),
        "blind": lot("blind", LotInput(delivery="d4"), output=5),
        "both": lot("both", LotInput(lot="pure", dry_kg=50), LotInput(lot="mix", dry_kg=50), output=100),
        "top": lot("top", LotInput(lot="both", dry_kg=10), LotInput(lot="pure"), output=110),
        "tainted": lot("tainted", LotInput(lot="pure", dry_kg=50), LotInput(lot="blind", dry_kg=1), output=51),
    }
    return lots, deliveries


def test_a_lot_of_lots_takes_the_lowest_claim_and_percentage() -> None:
    lots, deliveries = lots_of_lots()
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "pure") == ("FSC 100%", 100)
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "mix") == ("FSC Mix", 80)
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "both") == ("FSC Mix", 80)
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "top") == ("FSC Mix", 80)
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "tainted") == (None, None)


def test_drawn_kilograms_split_like_their_lot() -> None:
    lots, deliveries = lots_of_lots()
    found = derive_claim("both", lots=lots, deliveries=deliveries, members=MEMBERS, plots=PLOTS, certificates=CERTS)
    # 50 kg of "pure" (all certified) + 50 kg of "mix" (80 certified / 20 uncertified).
    assert (found.certified, found.uncertified, found.unidentified) == (90, 10, 0)
    assert found.deliveries == {"d1", "d2", "d3"}
    assert found.lots == {"both", "pure", "mix"}
    assert found.out_of_scope == {"m2": (D(2024, 6, 1), "d3", "not_in_scope_yet")}


def test_a_whole_lot_is_drawn_when_no_kg_is_given() -> None:
    lots, deliveries = lots_of_lots()
    found = derive_claim("top", lots=lots, deliveries=deliveries, members=MEMBERS, plots=PLOTS, certificates=CERTS)
    assert found.inputs_dry == 110
    assert (found.certified, found.uncertified) == (109, 1)


def test_a_cycle_raises_and_find_cycle_names_it() -> None:
    lots = {
        "a": lot("a", LotInput(lot="b", dry_kg=1)),
        "b": lot("b", LotInput(lot="c", dry_kg=1)),
        "c": lot("c", LotInput(lot="a", dry_kg=1)),
        "d": lot("d", LotInput(lot="a", dry_kg=1)),
    }
    with pytest.raises(LotCycleError) as caught:
        derive_claim("d", lots=lots, deliveries={}, members={}, plots={}, certificates={})
    assert caught.value.cycle == ("a", "b", "c", "a")
    assert str(caught.value) == "lot cycle: a -> b -> c -> a"
    assert find_cycle(lots) == ("a", "b", "c", "a")
    assert find_cycle({"d": lots["d"], "a": lot("a")}) is None


def test_a_lot_drawing_twice_on_the_same_lot_is_no_cycle() -> None:
    lots, deliveries = lots_of_lots()
    lots["twice"] = lot("twice", LotInput(lot="pure", dry_kg=1), LotInput(lot="both", dry_kg=1))
    assert claim_of(lots, deliveries, MEMBERS, PLOTS, CERTS, "twice") == ("FSC Mix", 80)
    assert find_cycle(lots) is None


# --- property: the engine agrees with a plain computation of the rule ------------------------------------------

START = D(2022, 1, 1)
# Few distinct days, so that scope windows, certificate dates and delivery dates often fall on the same day (the
# boundaries are where a rule goes wrong). Drawn from lists: integers() favours its bounds.
DAYS = 8
days = st.sampled_from(range(DAYS))
later = days.map(lambda n: START + dt.timedelta(days=n))
# Weighted so that all three claims come out often (a lot is certified only when everything lines up).
STATUSES = ["valid", "valid", "valid", "suspended", "terminated", "expired"]
BOTH = frozenset({"field_latex", "cup_lump"})
PRODUCTS = [BOTH, BOTH, BOTH, frozenset({"field_latex"}), frozenset({"cup_lump"}), frozenset({"tsr"}), frozenset()]
# Kilograms whose shares fall exactly on whole percentages, where floats round the wrong way (2.03 / 2.90 = 70 %).
EXACT_KG = ["0.03", "0.07", "0.3", "0.7", "0.87", "2.03", "3", "7", "30", "70"]


def sometimes(n: int):
    """True about once in ``n`` draws."""
    return st.sampled_from([False] * (n - 1) + [True])


def dry_or_wet(draw) -> dict[str, float | None]:
    """A delivery's quantity: dry kg, or wet kg with a DRC (0.1 kg to 9 t, or one of the exact shares)."""
    if draw(st.booleans()):
        kg = draw(st.sampled_from(EXACT_KG) | st.decimals(min_value="0.01", max_value="5000", places=2).map(str))
        return {"dry_kg": float(kg)}
    wet = draw(st.sampled_from(["7", "3", "10"]) | st.decimals(min_value="0.1", max_value="9000", places=1).map(str))
    drc = draw(st.sampled_from(["29", "30"]) | st.decimals(min_value="20", max_value="80", places=1).map(str))
    return {"wet_kg": float(wet), "drc_percent": float(drc)}


@st.composite
def scenarios(draw):
    members, certificates = {}, {}
    for g in range(draw(st.integers(1, 3))):
        certificates[f"g{g}"] = [
            GroupCertificate(
                f"c{g}-{i}",
                f"g{g}",
                draw(st.sampled_from(STATUSES)),
                START + dt.timedelta(days=(issued := draw(st.sampled_from(range(3))))),
                START + dt.timedelta(days=issued + draw(st.sampled_from(range(2, DAYS)))),
                draw(st.sampled_from(PRODUCTS)),
                draw(later) if draw(sometimes(3)) else None,
            )
            for i in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2])))
        ]
    for m in range(draw(st.integers(1, 5))):
        frm = None if draw(sometimes(8)) else draw(st.sampled_from(range(4)))
        to = None if frm is None or not draw(sometimes(3)) else draw(st.sampled_from(range(frm, DAYS)))
        members[f"m{m}"] = Member(
            f"m{m}",
            f"g{draw(st.integers(0, len(certificates) - 1))}",
            "n",
            "c",
            "TH",
            certified_from=None if frm is None else START + dt.timedelta(days=frm),
            certified_to=None if to is None else START + dt.timedelta(days=to),
        )
    plots = {f"p{m}": plot(f"p{m}", ref) for m, ref in enumerate(members)}
    deliveries = {}
    for i in range(draw(st.integers(1, 8))):
        who = None if draw(sometimes(40)) else draw(st.sampled_from(list(members)))
        where = None if draw(sometimes(40)) else f"p{draw(st.integers(0, len(members) - 1))}"
        deliveries[f"d{i}"] = Delivery(
            f"d{i}",
            "col",
            who,
            where,
            draw(later),
            draw(st.sampled_from(["field_latex", "cup_lump"])),
            **dry_or_wet(draw),
        )
    return members, plots, certificates, deliveries


def plain_claim(delivery_list, members, plots, certificates):
    """The rule of TRACEABILITY.md written out directly, in Fractions."""
    certified_kg = uncertified_kg = Fraction(0)
    n_certified = n_uncertified = 0
    for d in delivery_list:
        if d.member is None or d.plot is None or d.member not in members or d.plot not in plots:
            return None, None
        dry = (
            Fraction(str(d.dry_kg))
            if d.dry_kg is not None
            else Fraction(str(d.wet_kg)) * Fraction(str(d.drc_percent)) / 100
        )
        m = members[d.member]
        in_scope = m.certified_from is not None and m.certified_from <= d.date
        in_scope = in_scope and (m.certified_to is None or d.date <= m.certified_to)
        covered = False
        for c in certificates.get(m.group, []):
            dates_ok = c.issued_on <= d.date <= c.expires_on
            status_ok = (
                c.status == "valid"
                or (c.invalid_since is not None and d.date < c.invalid_since)
                or (c.status == "expired" and c.invalid_since is None)
            )
            if dates_ok and status_ok and d.form in c.product_types:
                covered = True
        if in_scope and covered:
            certified_kg += dry
            n_certified += 1
        else:
            uncertified_kg += dry
            n_uncertified += 1
    if n_uncertified == 0:
        return ("FSC 100%", 100) if n_certified else (None, None)
    if n_certified == 0:
        return None, 0
    return "FSC Mix", int(certified_kg * 100 // (certified_kg + uncertified_kg))


RANK = {None: 0, "FSC Mix": 1, "FSC 100%": 2}


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.data())
def test_the_claim_equals_a_plain_computation(scenario, data) -> None:
    members, plots, certificates, deliveries = scenario
    refs = list(deliveries)
    first = data.draw(st.lists(st.sampled_from(refs), min_size=1, unique=True))
    second = data.draw(st.lists(st.sampled_from(refs), min_size=1, unique=True))
    lots = {
        "a": lot("a", *(LotInput(delivery=r) for r in first)),
        "b": lot("b", *(LotInput(delivery=r) for r in second)),
        "ab": lot("ab", LotInput(lot="a", dry_kg=1), LotInput(lot="b", dry_kg=2)),
    }
    expected_a = plain_claim([deliveries[r] for r in first], members, plots, certificates)
    expected_b = plain_claim([deliveries[r] for r in second], members, plots, certificates)
    assert claim_of(lots, deliveries, members, plots, certificates, "a") == expected_a
    assert claim_of(lots, deliveries, members, plots, certificates, "b") == expected_b
    lowest_claim = min(expected_a[0], expected_b[0], key=RANK.__getitem__)
    percents = [expected_a[1], expected_b[1]]
    lowest_percent = None if None in percents else min(percents)
    assert claim_of(lots, deliveries, members, plots, certificates, "ab") == (lowest_claim, lowest_percent)
