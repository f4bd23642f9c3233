"""The pure matching engine: hard constraints, scores and reasons, ranking, bundles (examples and properties)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.geo import haversine_km
from app.i18n import reset_locale, set_locale
from app.matching.engine import (
    Bundle,
    OfferSpec,
    RequestSpec,
    ScoredOffer,
    hard_constraint_failures,
    match,
    propose_bundles,
    rank,
    score_offer,
)
from app.matching.phrasing import phrase_all as words
from app.vocab import CLAIMS, resolve_species, species_matches
from tests.unit.match_specs import DURANGO, GDL, NOW, make_offer, make_request

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(name="english", autouse=True, scope="module")
def fx_english() -> Iterator[None]:
    token = set_locale("en")
    yield
    reset_locale(token)


# --- Examples ---------------------------------------------------------------------------------------------------


def test_haversine_guadalajara_to_durango() -> None:
    assert haversine_km(*GDL, *DURANGO) == pytest.approx(530.164, abs=0.001)
    assert haversine_km(*GDL, *GDL) == 0.0


def test_fixed_offer_scores_and_reasons_exactly() -> None:
    scored = score_offer(make_request(), make_offer(), now=NOW)
    distance_part = 1 / (1 + 530.1643114730713 / 500)
    assert scored.parts == pytest.approx(
        {"volume": 0.4, "distance": distance_part, "species": 0.8, "claim": 1.0, "verification": 1.0, "recency": 1.0}
    )
    assert scored.score == pytest.approx((30 * 0.4 + 20 * distance_part + 15 * 0.8 + 10 + 15 + 10) / 100)
    assert scored.score == pytest.approx(0.687072, abs=1e-6)
    assert scored.distance_km == pytest.approx(530.164, abs=0.001)
    assert words(scored.reasons) == [
        "Covers 40 % of your volume",
        "530 km from Guadalajara",
        "Same genus: Durango pine (Pinus durangensis)",
        "Claim FSC 100%",
        "Certificate verified 3 weeks ago",
        "Updated 5 days ago",
    ]


def test_weaker_offer_parts_and_reasons() -> None:
    request = make_request(species=("caoba", "Pinus"), delivery_place="", accepted_claims=("FSC Mix Credit",))
    offer = make_offer(
        species=("Swietenia macrophylla",),
        claim="FSC Mix Credit",
        quantity=300.0,
        lat=GDL[0],
        lon=GDL[1],
        certificate_verification="pending",
        certificate_verified_at=None,
        updated_at=(NOW - timedelta(days=231, hours=3)).replace(tzinfo=None),  # naive means UTC
    )
    scored = score_offer(request, offer, now=NOW)
    assert scored.parts == {
        "volume": 1.0,
        "distance": 1.0,
        "species": 1.0,
        "claim": 0.7,
        "verification": 0.4,
        "recency": 0.4,
    }
    assert scored.score == pytest.approx((30 + 20 + 15 + 7 + 6 + 4) / 100)
    assert words(scored.reasons) == [
        "Covers all of your volume",
        "0 km from the delivery point",
        "Species match: mahogany (Swietenia macrophylla)",
        "Claim FSC Mix Credit",
        "Certificate awaiting verification by staff",
        "Updated 7 months ago",
    ]


def test_unknown_locations_are_neutral_and_any_species_scores_full() -> None:
    request = make_request(species=(), max_distance_km=None, delivery_lat=None, delivery_lon=None)
    scored = score_offer(request, make_offer(updated_at=NOW, certificate_verification="rejected"), now=NOW)
    assert scored.distance_km is None
    assert scored.parts["distance"] == 0.5
    assert scored.parts["species"] == 1.0
    assert scored.parts["verification"] == 0.0
    assert words(scored.reasons)[1:] == [
        "No delivery point given: distance not scored",
        "Any species accepted",
        "Claim FSC 100%",
        "Certificate rejected at verification",
        "Updated today",
    ]
    no_location = score_offer(make_request(max_distance_km=None), make_offer(lat=None, lon=None), now=NOW)
    assert words(no_location.reasons)[1] == "Location unknown: distance not scored"
    # Scoring never hides a broken constraint, should a caller score an offer without checking first.
    other_species = score_offer(make_request(species=("caoba",)), make_offer(), now=NOW)
    assert (other_species.parts["species"], words(other_species.reasons)[2]) == (0.0, "None of the requested species")


def test_perfect_offer_scores_exactly_one() -> None:
    offer = make_offer(species=("Pinus",), quantity=300.0, lat=GDL[0], lon=GDL[1], updated_at=NOW)
    assert score_offer(make_request(), offer, now=NOW).score == 1.0


@pytest.mark.parametrize(
    ("request_changes", "offer_changes", "code"),
    [
        ({}, {"organization_ref": "buyer-1"}, "own_organization"),
        ({}, {"organization_active": False}, "organization_inactive"),
        ({}, {"status": "paused"}, "offer_status"),
        ({}, {"category": "latex"}, "category"),
        ({}, {"product_type": "roundwood"}, "product_type"),
        ({}, {"claim": "FSC Recycled"}, "claim"),
        ({}, {"certificate_status": "suspended"}, "certificate_status"),
        ({}, {"certificate_expires_on": date(2027, 3, 30)}, "certificate_expiry"),
        ({}, {"certificate_product_types": ("roundwood",)}, "certificate_scope"),
        ({}, {"available_to": date(2027, 1, 14)}, "availability"),
        ({}, {"available_from": date(2027, 4, 1)}, "availability"),
        ({}, {"quantity": 19.5}, "min_per_supplier"),
        ({"quantity": 15.0, "min_per_supplier": None}, {"min_order": 20.0}, "min_order"),
        ({"max_distance_km": 500.0}, {}, "distance"),
        ({}, {"lat": None, "lon": None}, "distance"),
        ({"delivery_lat": None, "delivery_lon": None}, {}, "distance"),
        ({"species": ("Quercus", "caoba")}, {}, "species"),
        ({"species": ("Pinus arizonica",)}, {}, "species"),
        ({}, {"species": ()}, "species"),
    ],
)
def test_each_hard_constraint_has_its_code(request_changes: dict, offer_changes: dict, code: str) -> None:
    request, offer = make_request(**request_changes), make_offer(**offer_changes)
    assert hard_constraint_failures(request, offer) == [code]
    assert rank(request, [offer], now=NOW) == []


def test_boundaries_are_inclusive() -> None:
    request = make_request(max_distance_km=530.17, quantity=120.0, min_per_supplier=120.0)
    offer = make_offer(
        certificate_expires_on=date(2027, 3, 31), available_from=date(2027, 3, 31), available_to=date(2027, 3, 31)
    )
    assert hard_constraint_failures(request, offer) == []
    assert hard_constraint_failures(make_request(), make_offer(available_to=date(2027, 1, 15))) == []
    assert hard_constraint_failures(make_request(species=("pino de Durango",)), make_offer()) == []


def test_ranking_order_is_score_then_distance_then_ref() -> None:
    request = make_request(max_distance_km=None)
    same_score_far = make_offer(ref="b", organization_ref="p2", lat=GDL[0], lon=GDL[1] + 1.0, updated_at=NOW)
    same_score_near = make_offer(ref="c", organization_ref="p3", lat=GDL[0], lon=GDL[1] - 0.5, updated_at=NOW)
    best = make_offer(ref="z", organization_ref="p4", quantity=300.0, lat=GDL[0], lon=GDL[1], updated_at=NOW)
    unknown_a = make_offer(ref="y", organization_ref="p5", lat=None, lon=None, updated_at=NOW)
    unknown_b = make_offer(ref="x", organization_ref="p6", lat=None, lon=None, updated_at=NOW)
    ranked = rank(request, [unknown_a, same_score_far, unknown_b, same_score_near, best], now=NOW)
    assert [s.offer.ref for s in ranked] == ["z", "c", "b", "x", "y"]


def bundle_offers() -> list[OfferSpec]:
    near = {"updated_at": NOW, "species": ("Pinus oocarpa",)}
    return [
        make_offer(ref="a", organization_ref="prod-a", quantity=120.0, lat=20.70, lon=-103.40, **near),
        make_offer(ref="e", organization_ref="prod-a", quantity=90.0, lat=20.70, lon=-103.40, **near),
        make_offer(ref="b", organization_ref="prod-b", quantity=110.0, lat=20.72, lon=-103.10, **near),
        make_offer(ref="c", organization_ref="prod-c", quantity=100.0, lat=20.95, lon=-103.30, **near),
        make_offer(ref="d", organization_ref="prod-d", quantity=200.0, lat=DURANGO[0], lon=DURANGO[1], **near),
    ]


def test_bundles_prefer_close_producers() -> None:
    request = make_request(species=("Pinus",))
    ranked, bundles = match(request, bundle_offers(), now=NOW)
    assert [s.offer.ref for s in ranked] == ["a", "b", "d", "c", "e"]
    assert [[s.offer.ref for s in b.offers] for b in bundles] == [["a", "b", "c"], ["b", "c", "e"], ["a", "d"]]
    first = bundles[0]
    assert first.total_quantity == 330.0
    spread = max(
        haversine_km(20.70, -103.40, 20.72, -103.10),
        haversine_km(20.70, -103.40, 20.95, -103.30),
        haversine_km(20.72, -103.10, 20.95, -103.30),
    )
    assert first.spread_km == pytest.approx(spread)
    mean = sum(s.score for s in first.offers) / 3
    assert first.score == pytest.approx(mean / (1 + spread / 300) * 0.97)
    assert words(first.reasons) == [
        "3 producers together cover 330 m³ of 300 m³",
        "Within 33 km of each other",
        f"Average match score {round(mean, 2):.2f}",
    ]
    assert words(bundles[2].reasons)[:2] == [
        "2 producers together cover 320 m³ of 300 m³",
        "Within 525 km of each other",
    ]


def test_no_bundles_when_one_offer_covers_or_partial_not_ok() -> None:
    offers = bundle_offers()
    assert match(make_request(partial_ok=False), offers, now=NOW)[1] == []
    assert match(make_request(quantity=200.0), offers, now=NOW)[1] == []
    ranked = rank(make_request(quantity=200.0), offers, now=NOW)
    assert propose_bundles(make_request(quantity=200.0), ranked) == []


def test_bundle_numbers_follow_the_locale() -> None:
    request = make_request(quantity=300.5, species=("Pinus",))
    bundles = match(request, bundle_offers(), now=NOW)[1]
    token = set_locale("pt_BR")
    try:
        worded = words(bundles[0].reasons)
    finally:
        reset_locale(token)
    assert "300,5" in worded[0]


# --- Properties -------------------------------------------------------------------------------------------------

BASE = date(2027, 1, 1)
PRODUCT_TYPES = ("sawn_timber", "roundwood", "field_latex")
SPECIES_POOL = (
    "Pinus",
    "Pinus durangensis",
    "Pinus arizonica",
    "caoba",
    "Swietenia macrophylla",
    "Quercus rugosa",
    "cedro",
    "Hevea brasiliensis",
    "Unknownus thing",
)
ORGS = tuple(f"prod-{i}" for i in range(8)) + ("buyer-1",)
# Strategies are built once: building them inside composites on every draw dominates the run time.
a_day = st.integers(-90, 240).map(lambda n: BASE + timedelta(days=n))
days_0_120, days_0_200, days_0_300, days_0_900 = (st.integers(0, n) for n in (120, 200, 300, 900))
a_lat, a_lon, offset = st.floats(14.0, 32.0), st.floats(-118.0, -86.0), st.floats(-1.5, 1.5)
maybe_lat, maybe_lon = st.one_of(st.none(), a_lat, a_lat), st.one_of(st.none(), a_lon, a_lon)
percent = st.integers(0, 99)
index = st.integers(0, 99)
product_type_lists = st.lists(st.sampled_from(PRODUCT_TYPES), min_size=1, max_size=3, unique=True)
species_lists = st.lists(st.sampled_from(SPECIES_POOL), max_size=2, unique=True)
claim_lists = st.lists(st.sampled_from(tuple(CLAIMS)), min_size=1, max_size=6, unique=True)
requesters = st.sampled_from(("buyer-1", "prod-0"))
categories = st.sampled_from(("timber", "timber", "latex"))
delivery_shapes = st.sampled_from(("none", "half", "full", "full", "full", "full"))
request_quantities, offer_quantities = st.floats(10.0, 1000.0), st.floats(5.0, 400.0)
min_per_suppliers, min_orders = st.one_of(st.none(), st.floats(1.0, 80.0)), st.one_of(st.none(), st.floats(1.0, 100.0))
max_distances = st.one_of(st.none(), st.floats(150.0, 3000.0))
places = st.sampled_from(("", "Guadalajara"))
orgs, org_active = st.sampled_from(ORGS), st.sampled_from((True, True, True, False))
offer_statuses = st.sampled_from(("active", "active", "active", "paused", "closed"))
cert_statuses = st.sampled_from(("valid", "valid", "valid", "suspended", "expired"))
verifications = st.sampled_from(("pending", "verified", "rejected"))
update_ages = st.integers(-86_400 * 3, 86_400 * 800)  # seconds; a little in the future too (clock skew)


@st.composite
def requests(draw: st.DrawFn, with_delivery: bool = False) -> RequestSpec:
    needed_from = draw(a_day)
    shape = "full" if with_delivery else draw(delivery_shapes)
    lat = None if shape == "none" else draw(a_lat)
    lon = draw(a_lon) if shape == "full" else None
    return RequestSpec(
        ref="req",
        organization_ref=draw(requesters),
        category=draw(categories),
        product_types=tuple(draw(product_type_lists)),
        species=tuple(draw(species_lists)),
        accepted_claims=tuple(draw(claim_lists)),
        quantity=draw(request_quantities),
        unit="m3",
        min_per_supplier=draw(min_per_suppliers),
        partial_ok=draw(st.booleans()),
        delivery_lat=lat,
        delivery_lon=lon,
        delivery_place=draw(places),
        max_distance_km=draw(max_distances),
        needed_from=needed_from,
        needed_by=needed_from + timedelta(days=draw(days_0_120)),
    )


@st.composite
def offers(draw: st.DrawFn) -> OfferSpec:
    updated = NOW - timedelta(seconds=draw(update_ages))
    available_from = draw(a_day)
    verified_days = draw(st.one_of(st.none(), days_0_900))
    return OfferSpec(
        ref="tbd",
        organization_ref=draw(orgs),
        organization_name="Producer",
        organization_active=draw(org_active),
        category=draw(categories),
        product_type=PRODUCT_TYPES[draw(index) % len(PRODUCT_TYPES)],
        species=tuple(draw(species_lists)),
        claim=tuple(CLAIMS)[draw(index) % len(CLAIMS)],
        status=draw(offer_statuses),
        quantity=draw(offer_quantities),
        min_order=draw(min_orders),
        available_from=available_from,
        available_to=available_from + timedelta(days=draw(days_0_200)),
        lat=draw(maybe_lat),
        lon=draw(maybe_lon),
        certificate_status=draw(cert_statuses),
        certificate_expires_on=draw(a_day) + timedelta(days=draw(days_0_300)),
        certificate_product_types=tuple(draw(product_type_lists)),
        certificate_verification=draw(verifications),
        certificate_verified_at=None if verified_days is None else NOW - timedelta(days=verified_days),
        updated_at=updated if draw(st.booleans()) else updated.replace(tzinfo=None),  # naive means UTC
    )


def mostly(draw: st.DrawFn, share: int = 85) -> bool:
    """True most of the time (and when shrunk), so most generated offers fit the request in that respect."""
    return draw(percent) < share


@st.composite
def near_offers(draw: st.DrawFn, request: RequestSpec) -> OfferSpec:
    """An offer that fits the request field by field, each field broken now and then."""
    offer = draw(offers())
    changes: dict[str, object] = {"status": "active", "organization_active": True, "certificate_status": "valid"}
    if mostly(draw, 90):
        changes["category"] = request.category
    if mostly(draw):
        changes["product_type"] = request.product_types[draw(index) % len(request.product_types)]
    product_type = changes.get("product_type", offer.product_type)
    if mostly(draw):
        changes["certificate_product_types"] = tuple(dict.fromkeys((*offer.certificate_product_types, product_type)))
    if mostly(draw):
        changes["claim"] = request.accepted_claims[draw(index) % len(request.accepted_claims)]
    fitting = [name for name in SPECIES_POOL if any(species_matches(w, name) for w in request.species)]
    if fitting and mostly(draw):
        changes["species"] = (fitting[draw(index) % len(fitting)],)
    if mostly(draw):
        window = (request.needed_by - request.needed_from).days
        start = request.needed_from + timedelta(days=draw(days_0_120) % (window + 61) - 60)
        end = max(start, request.needed_from) + timedelta(days=draw(days_0_200))
        changes["available_from"], changes["available_to"] = start, end
    if mostly(draw):
        changes["certificate_expires_on"] = request.needed_by + timedelta(days=draw(days_0_300))
    if mostly(draw, 90) and request.delivery_lat is not None and request.delivery_lon is not None:
        changes["lat"] = request.delivery_lat + draw(offset)
        changes["lon"] = request.delivery_lon + draw(offset)
    if mostly(draw, 70):
        changes["min_order"] = None
    for name in ("status", "organization_active", "certificate_status"):
        if not mostly(draw, 92):
            changes.pop(name)
    return replace(offer, **changes)  # type: ignore[arg-type]


@st.composite
def scenarios(draw: st.DrawFn, with_delivery: bool = False, max_size: int = 30) -> tuple[RequestSpec, list[OfferSpec]]:
    """A request with candidates: mostly near-fits (some broken on purpose), some entirely random offers."""
    request = draw(requests(with_delivery=with_delivery))
    size = draw(st.integers(0, max_size))
    near = near_offers(request)
    items = [draw(offers()) if draw(percent) < 25 else draw(near) for _ in range(size)]
    return request, [replace(item, ref=f"o-{i:03d}") for i, item in enumerate(items)]


def independent_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Spherical law of cosines: a different formula from the engine's haversine."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(max(-1.0, min(1.0, cos_angle)))


def passes(request: RequestSpec, offer: OfferSpec) -> bool:
    """The hard constraints, written again from the rules (not via the engine)."""
    if request.max_distance_km is not None:
        points = (request.delivery_lat, request.delivery_lon, offer.lat, offer.lon)
        if None in points or independent_km(*points) > request.max_distance_km + 1e-6:  # type: ignore[arg-type]
            return False
    return (
        offer.category == request.category
        and offer.product_type in request.product_types
        and offer.claim in request.accepted_claims
        and offer.status == "active"
        and offer.organization_active
        and offer.organization_ref != request.organization_ref
        and offer.certificate_status == "valid"
        and offer.certificate_expires_on >= request.needed_by
        and offer.product_type in offer.certificate_product_types
        and offer.available_from <= request.needed_by
        and offer.available_to >= request.needed_from
        and (request.min_per_supplier is None or offer.quantity >= request.min_per_supplier)
        and (offer.min_order is None or offer.min_order <= request.quantity)
        and (not request.species or any(species_matches(w, o) for w in request.species for o in offer.species))
    )


def near_distance_boundary(request: RequestSpec, offer: OfferSpec) -> bool:
    points = (request.delivery_lat, request.delivery_lon, offer.lat, offer.lon)
    if request.max_distance_km is None or None in points:
        return False
    return abs(independent_km(*points) - request.max_distance_km) < 1e-6  # type: ignore[arg-type]


def check_hard_constraints(request: RequestSpec, candidates: list[OfferSpec]) -> None:
    """Ranked and bundled offers pass every hard constraint, and nothing that passes is left out."""
    ranked, bundles = match(request, candidates, now=NOW)
    for scored in ranked:
        assert passes(request, scored.offer), scored.offer
    for bundle in bundles:
        for member in bundle.offers:
            assert passes(request, member.offer), member.offer
    # And nothing that passes is left out.
    expected = {o.ref for o in candidates if passes(request, o) and not near_distance_boundary(request, o)}
    assert expected <= {s.offer.ref for s in ranked}


@PROPERTY_SETTINGS
@given(scenario=scenarios(with_delivery=True))
def test_property_perfect_offer_ranks_first_with_score_one(scenario: tuple[RequestSpec, list[OfferSpec]]) -> None:
    request, candidates = scenario
    request = replace(request, accepted_claims=tuple(dict.fromkeys((*request.accepted_claims, "FSC 100%"))))
    perfect = OfferSpec(
        ref="a-perfect",
        organization_ref="perfect-org",
        organization_name="Perfect",
        organization_active=True,
        category=request.category,
        product_type=request.product_types[0],
        species=(resolve_species(request.species[0]),) if request.species else ("Cedrela odorata",),
        claim="FSC 100%",
        status="active",
        quantity=max(request.quantity, request.min_per_supplier or 0.0),
        min_order=None,
        available_from=request.needed_from,
        available_to=request.needed_by,
        lat=request.delivery_lat,
        lon=request.delivery_lon,
        certificate_status="valid",
        certificate_expires_on=request.needed_by,
        certificate_product_types=(request.product_types[0],),
        certificate_verification="verified",
        certificate_verified_at=NOW,
        updated_at=NOW,
    )
    ranked, bundles = match(request, [*candidates, perfect], now=NOW)
    assert ranked[0].offer.ref == "a-perfect"
    assert ranked[0].score == 1.0
    assert ranked[0].parts == dict.fromkeys(("volume", "distance", "species", "claim", "verification", "recency"), 1.0)
    assert bundles == []


def check_bundles(request: RequestSpec, ranked: list[ScoredOffer], bundles: list[Bundle]) -> None:
    assert len(bundles) <= 3
    ranked_refs = {s.offer.ref for s in ranked}
    member_sets = [frozenset(m.offer.ref for m in b.offers) for b in bundles]
    assert len(set(member_sets)) == len(member_sets)
    assert [b.score for b in bundles] == sorted((b.score for b in bundles), reverse=True)
    for bundle in bundles:
        producers = [m.offer.organization_ref for m in bundle.offers]
        assert 2 <= len(bundle.offers) <= 6
        assert len(set(producers)) == len(producers)
        assert bundle.total_quantity == pytest.approx(sum(m.offer.quantity for m in bundle.offers))
        assert bundle.total_quantity >= request.quantity
        assert {m.offer.ref for m in bundle.offers} <= ranked_refs
        assert 0.0 <= bundle.score <= 1.0
        assert words(bundle.reasons)[0].startswith(f"{len(bundle.offers)} producers together cover ")
        if bundle.spread_km is None:
            assert any(m.offer.lat is None or m.offer.lon is None for m in bundle.offers)
        else:
            assert words(bundle.reasons)[1] == f"Within {round(bundle.spread_km):,} km of each other"
    if not request.partial_ok or any(s.offer.quantity >= request.quantity for s in ranked):
        assert bundles == []


# Each generated scenario is checked for several properties in one test: drawing a scenario (up to 40 offers) costs
# far more than checking it, so one draw serves every property that takes the same kind of scenario.
@PROPERTY_SETTINGS
@given(scenario=scenarios(max_size=40))
def test_property_bundles_cover_with_distinct_producers_also_from_many_small_offers(
    scenario: tuple[RequestSpec, list[OfferSpec]],
) -> None:
    request, candidates = scenario
    ranked, bundles = match(request, candidates, now=NOW)
    check_bundles(request, ranked, bundles)
    check_bundles_from_many_small_offers(request, candidates)


def check_bundles_from_many_small_offers(request: RequestSpec, candidates: list[OfferSpec]) -> None:
    # Loosen the request so most offers pass and only several together cover it.
    request = replace(
        request,
        partial_ok=True,
        species=(),
        accepted_claims=tuple(CLAIMS),
        min_per_supplier=None,
        max_distance_km=None,
        category="timber",
        product_types=PRODUCT_TYPES,
        quantity=450.0,
    )
    candidates = [
        replace(
            c,
            quantity=min(c.quantity, 200.0),
            certificate_expires_on=date(2030, 1, 1),
            available_from=request.needed_from,
            category="timber",
            status="active",
            min_order=None,
            certificate_status="valid",
            certificate_product_types=PRODUCT_TYPES,
        )
        for c in candidates
    ]
    ranked, bundles = match(request, candidates, now=NOW)
    check_bundles(request, ranked, bundles)
    assert len(bundles) <= len(ranked)


def ago(days: int) -> str:
    if days == 0:
        return "today"
    for limit, size, word in ((14, 1, "day"), (60, 7, "week"), (730, 30, "month"), (math.inf, 365, "year")):
        if days < limit:
            n = days // size
            return f"{n:,} {word}{'' if n == 1 else 's'} ago"
    raise AssertionError


@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_property_hard_constraints_hold_and_scores_and_reasons_match_parts(
    scenario: tuple[RequestSpec, list[OfferSpec]],
) -> None:
    request, candidates = scenario
    check_hard_constraints(request, candidates)
    check_scores_and_reasons(request, candidates)


def check_scores_and_reasons(request: RequestSpec, candidates: list[OfferSpec]) -> None:
    """Scores lie in 0..1, are the weighted parts, and each reason says what its part measured."""
    weights = {"volume": 30, "distance": 20, "species": 15, "claim": 10, "verification": 15, "recency": 10}
    claim_strength = dict(zip(CLAIMS, (1.0, 0.8, 0.7, 0.6, 0.5, 0.3), strict=True))
    for scored in rank(request, candidates, now=NOW):
        offer, parts, reasons = scored.offer, scored.parts, words(scored.reasons)
        assert 0.0 <= scored.score <= 1.0
        assert set(parts) == set(weights) and all(0.0 <= v <= 1.0 for v in parts.values())
        assert scored.score == pytest.approx(sum(weights[k] * parts[k] for k in weights) / 100)
        assert len(reasons) == 6

        assert parts["volume"] == pytest.approx(min(offer.quantity / request.quantity, 1.0))
        if parts["volume"] == 1.0:
            assert reasons[0] == "Covers all of your volume"
        else:
            assert reasons[0] == f"Covers {min(99, round(100 * parts['volume']))} % of your volume"

        if scored.distance_km is None:
            assert parts["distance"] == 0.5
            assert reasons[1] in (
                "No delivery point given: distance not scored",
                "Location unknown: distance not scored",
            )
        else:
            km = independent_km(request.delivery_lat, request.delivery_lon, offer.lat, offer.lon)  # type: ignore[arg-type]
            assert scored.distance_km == pytest.approx(km, abs=1e-3)
            assert parts["distance"] == pytest.approx(1 / (1 + scored.distance_km / 500))
            place = request.delivery_place or "the delivery point"
            assert reasons[1] == f"{round(scored.distance_km):,} km from {place}"

        if not request.species:
            assert (parts["species"], reasons[2]) == (1.0, "Any species accepted")
        elif parts["species"] == 1.0:
            assert reasons[2].startswith("Species match: ")
        else:
            assert parts["species"] == 0.8 and reasons[2].startswith("Same genus: ")

        assert parts["claim"] == claim_strength[offer.claim]
        assert reasons[3] == f"Claim {offer.claim}"

        verification = {"verified": 1.0, "pending": 0.4, "rejected": 0.0}[offer.certificate_verification]
        assert parts["verification"] == verification
        if offer.certificate_verification == "verified" and offer.certificate_verified_at is not None:
            verified_days = max(0, (NOW - offer.certificate_verified_at) // timedelta(days=1))
            assert reasons[4] == f"Certificate verified {ago(verified_days)}"

        updated = offer.updated_at if offer.updated_at.tzinfo else offer.updated_at.replace(tzinfo=UTC)
        days = max(0, (NOW - updated) // timedelta(days=1))
        assert reasons[5] == f"Updated {ago(days)}"
        expected = 1.0 if days <= 30 else max(0.0, (365 - days) / 335)
        assert parts["recency"] == pytest.approx(expected)
        if days > 0 and days < 14:
            assert int(re.findall(r"\d+", reasons[5])[0]) == days
