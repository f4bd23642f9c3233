"""The demo generator: deterministic, in the documented bulk format, internally consistent and realistic."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from typing import Any

import pytest

from app import vocab
from app.demo.generator import FORMAT, generate, summary
from app.units import to_canonical

TODAY = dt.date(2026, 12, 1)
EU = {"AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE"}

#: Loose country bounding boxes (lat_min, lat_max, lon_min, lon_max): coordinates must land in the right country.
COUNTRY_BOXES: dict[str, tuple[float, float, float, float]] = {
    "MX": (14.5, 32.8, -118.5, -86.7),
    "GT": (13.7, 17.9, -92.3, -88.2),
    "HN": (12.9, 16.5, -89.4, -83.1),
    "BR": (-33.8, 5.3, -74.0, -34.7),
    "PE": (-18.4, -0.03, -81.4, -68.6),
    "BO": (-22.9, -9.6, -69.7, -57.4),
    "TH": (5.6, 20.5, 97.3, 105.7),
    "LK": (5.9, 9.9, 79.5, 81.9),
    "VN": (8.5, 23.4, 102.1, 109.5),
    "US": (24.5, 49.4, -125.0, -66.9),
    "DE": (47.2, 55.1, 5.8, 15.1),
    "NL": (50.7, 53.6, 3.3, 7.3),
    "BE": (49.5, 51.6, 2.5, 6.4),
    "ES": (36.0, 43.8, -9.4, 3.4),
    "IT": (36.6, 47.1, 6.6, 18.6),
    "FR": (42.3, 51.1, -4.8, 8.3),
}


@pytest.fixture(name="doc", scope="module")
def fx_doc() -> dict[str, Any]:
    return generate(42, today=TODAY)


@pytest.fixture(name="big_doc", scope="module")
def fx_big_doc() -> dict[str, Any]:
    return generate(7, producers=2000, buyers=300, offers=10_000, requests=1000, today=TODAY)


def _by_ref(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["ref"]: r for r in records}


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _offer_canonical(offer: dict[str, Any], field: str = "quantity") -> float:
    return to_canonical(offer["category"], offer[field], offer["unit"], offer.get("drc_percent"))


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _fits(req: dict[str, Any], offer: dict[str, Any], cert: dict[str, Any]) -> bool:
    """Every hard constraint a matcher applies (reference implementation for the test only)."""
    needed_from, needed_by = _date(req["needed_from"]), _date(req["needed_by"])
    if offer["category"] != req["category"] or offer["product_type"] not in req["product_types"]:
        return False
    if offer["claim"] not in req["accepted_claims"] or offer.get("status", "active") != "active":
        return False
    if cert["status"] != "valid" or _date(cert["expires_on"]) < needed_by:
        return False
    if _date(offer["available_from"]) > needed_by or _date(offer["available_to"]) < needed_from:
        return False
    if req["species"] and not any(vocab.species_matches(w, s) for w in req["species"] for s in offer["species"]):
        return False
    if "min_per_supplier" in req:
        minimum = to_canonical(req["category"], req["min_per_supplier"], req["unit"], req.get("drc_percent"))
        if _offer_canonical(offer) < minimum:
            return False
    if "max_distance_km" in req:
        d = req["delivery"]
        if _haversine_km(offer["lat"], offer["lon"], d["lat"], d["lon"]) > req["max_distance_km"]:
            return False
    return True


# -- determinism and shape ----------------------------------------------------------------------------------------


def test_same_seed_same_document(doc: dict[str, Any]) -> None:
    assert generate(42, today=TODAY) == doc


def test_different_seed_differs(doc: dict[str, Any]) -> None:
    assert generate(43, today=TODAY) != doc


def test_does_not_touch_global_random(doc: dict[str, Any]) -> None:
    import random

    random.seed(1)
    expected = random.random()
    random.seed(1)
    generate(5, today=TODAY)
    assert random.random() == expected


def test_document_has_exactly_the_bulk_format_sections(doc: dict[str, Any]) -> None:
    assert set(doc) == {"format", "organizations", "certificates", "offers", "requests"}
    assert doc["format"] == FORMAT == "forestmatch/1"
    json.dumps(doc)  # plain JSON types only


def test_default_counts(doc: dict[str, Any]) -> None:
    kinds = Counter(o["kind"] for o in doc["organizations"])
    assert kinds["producer"] == 60
    assert kinds["buyer"] + kinds["both"] == 25
    assert set(kinds) <= {"producer", "buyer", "both"}
    assert len(doc["offers"]) == 400
    assert len(doc["requests"]) == 80
    assert summary(doc) == {
        "organizations": 85,
        "producers": 60,
        "buyers": 25,
        "both": kinds["both"],
        "certificates": len(doc["certificates"]),
        "offers": 400,
        "requests": 80,
    }


def test_ten_thousand_offers_exact_counts(big_doc: dict[str, Any]) -> None:
    s = summary(big_doc)
    assert (s["producers"], s["buyers"], s["offers"], s["requests"]) == (2000, 300, 10_000, 1000)
    assert len(big_doc["organizations"]) == 2300


def test_today_defaults_to_the_current_date() -> None:
    doc = generate(3, producers=10, buyers=5, offers=20, requests=5)
    assert all(_date(r["needed_from"]) > dt.date.today() for r in doc["requests"])


# -- references and vocabulary ------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_every_ref_unique(which: str, request: pytest.FixtureRequest) -> None:
    d = request.getfixturevalue(which)
    refs = [r["ref"] for section in ("organizations", "certificates", "offers", "requests") for r in d[section]]
    assert len(refs) == len(set(refs))
    assert len({o["name"] for o in d["organizations"]}) == len(d["organizations"])
    assert len({c["code"] for c in d["certificates"]}) == len(d["certificates"])
    assert all(len(r) <= 100 for r in refs)


def test_ref_styles(doc: dict[str, Any]) -> None:
    assert all(o["ref"].startswith("org-") and o["ref"] == o["ref"].lower() for o in doc["organizations"])
    assert doc["certificates"][0]["ref"] == "cert-0001"
    assert doc["offers"][0]["ref"] == "offer-00001"
    assert doc["requests"][0]["ref"] == "req-0001"


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_codes_match_vocabulary(which: str, request: pytest.FixtureRequest) -> None:
    d = request.getfixturevalue(which)
    for org in d["organizations"]:
        assert vocab.COUNTRY_RE.match(org["country"])
        assert vocab.REGION_RE.match(org["region"]) and org["region"].startswith(org["country"] + "-")
        assert org["legal_form"] in vocab.LEGAL_FORMS
        assert org["kind"] in vocab.ORG_KINDS
        assert org["contact_email"].endswith("@example.org")
        assert len(org["contact_email"].split("@")[0]) <= 64
    for cert in d["certificates"]:
        assert vocab.CERT_CODE_RE.match(cert["code"]), cert["code"]
        assert vocab.LICENSE_CODE_RE.match(cert["license_code"])
        assert cert["scope"] in vocab.SCOPES and f"-{cert['scope']}-" in cert["code"]
        assert cert["status"] in vocab.CERTIFICATE_STATUSES
    for offer in d["offers"]:
        assert offer["claim"] in vocab.CLAIMS
        assert offer["incoterm"] in vocab.INCOTERMS
        assert offer["status"] in vocab.OFFER_STATUSES
        if "price" in offer:
            assert offer["price"]["currency"] in vocab.CURRENCIES
            assert offer["price"]["per"] == offer["unit"]
            assert float(offer["price"]["amount"]) > 0
    for req in d["requests"]:
        assert 1 <= len(req["accepted_claims"]) <= 3 and set(req["accepted_claims"]) <= set(vocab.CLAIMS)
        assert req["status"] in vocab.REQUEST_STATUSES
        assert vocab.REGION_RE.match(req["delivery"]["region"])
        assert 0 < req.get("max_distance_km", 1) <= 20000  # half the earth's circumference


def test_producers_and_buyers_by_kind(doc: dict[str, Any]) -> None:
    for org in doc["organizations"]:
        if org["kind"] == "producer":
            assert org["legal_form"] != "company"
        else:
            assert org["legal_form"] == "company"


# -- consistency between records ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_offer_certificate_belongs_to_its_organization_and_covers_product(
    which: str, request: pytest.FixtureRequest
) -> None:
    d = request.getfixturevalue(which)
    certs = _by_ref(d["certificates"])
    orgs = _by_ref(d["organizations"])
    for offer in d["offers"]:
        cert = certs[offer["certificate"]]
        assert cert["organization"] == offer["organization"]
        assert offer["product_type"] in cert["product_types"]
        assert vocab.PRODUCT_CATEGORY[offer["product_type"]] == offer["category"]
        assert orgs[offer["organization"]]["kind"] in ("producer", "both")


def test_certificate_products_match_producer_category(doc: dict[str, Any]) -> None:
    categories: dict[str, set[str]] = {}
    for cert in doc["certificates"]:
        assert cert["product_types"], cert["ref"]
        categories.setdefault(cert["organization"], set()).update(
            vocab.PRODUCT_CATEGORY[t] for t in cert["product_types"]
        )
    assert all(len(c) == 1 for c in categories.values())
    for org in doc["organizations"]:
        if org["kind"] == "producer":
            assert org["ref"] in categories
            if categories[org["ref"]] == {"latex"}:
                assert org["legal_form"] in ("smallholder_group", "cooperative", "extractive_reserve")


def test_certificates_per_producer_and_group_flag(doc: dict[str, Any]) -> None:
    orgs = _by_ref(doc["organizations"])
    per_org = Counter(c["organization"] for c in doc["certificates"])
    assert set(per_org.values()) <= {1, 2}
    for cert in doc["certificates"]:
        assert cert["group"] is (orgs[cert["organization"]]["legal_form"] == "smallholder_group")
        if cert["scope"] == "CW/FM":
            assert set(cert["product_types"]) <= {"roundwood", "chips", "fuelwood"}


def test_certificate_status_spread(doc: dict[str, Any]) -> None:
    statuses = Counter(c["status"] for c in doc["certificates"])
    assert statuses["valid"] > 0.8 * len(doc["certificates"])
    assert statuses["suspended"] >= 1
    assert 1 <= statuses["terminated"] + statuses["expired"] <= 4
    soon = [
        c for c in doc["certificates"] if c["status"] == "valid" and 0 <= (_date(c["expires_on"]) - TODAY).days <= 60
    ]
    assert len(soon) >= 2


def test_controlled_wood_only_from_controlled_wood_forests(doc: dict[str, Any]) -> None:
    certs = _by_ref(doc["certificates"])
    claims = Counter(o["claim"] for o in doc["offers"])
    assert claims["FSC 100%"] > len(doc["offers"]) / 2
    assert claims["FSC Mix"] > 0 and 0 < claims["FSC Controlled Wood"] < claims["FSC Mix"]
    for offer in doc["offers"]:
        assert (offer["claim"] == "FSC Controlled Wood") == (certs[offer["certificate"]]["scope"] == "CW/FM")


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_every_date_window_ordered(which: str, request: pytest.FixtureRequest) -> None:
    d = request.getfixturevalue(which)
    for cert in d["certificates"]:
        assert _date(cert["issued_on"]) < _date(cert["expires_on"])
    for offer in d["offers"]:
        assert _date(offer["available_from"]) <= _date(offer["available_to"])
    for req in d["requests"]:
        assert TODAY < _date(req["needed_from"]) <= _date(req["needed_by"])


def test_offer_windows_around_today(doc: dict[str, Any]) -> None:
    starts = [(_date(o["available_from"]) - TODAY).days for o in doc["offers"]]
    assert any(s < 0 for s in starts)
    assert sum(0 <= s <= 366 for s in starts) > len(starts) / 2
    assert all(_date(o["available_to"]) > TODAY for o in doc["offers"])


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_units_valid_for_category(which: str, request: pytest.FixtureRequest) -> None:
    d = request.getfixturevalue(which)
    for record in d["offers"] + d["requests"]:
        assert record["unit"] in vocab.UNITS[record["category"]]
        assert ("drc_percent" in record) == (record["unit"] == "kg_latex")
    for offer in d["offers"]:
        assert offer["quantity"] > 0
        assert offer.get("min_order", 0) < offer["quantity"]
        if offer["unit"] == "kg_latex":
            lo, hi = (30, 40) if offer["product_type"] == "field_latex" else (58, 62)
            assert lo <= offer["drc_percent"] <= hi
    for req in d["requests"]:
        assert 0 < req.get("min_per_supplier", 0.1) < req["quantity"]
        assert 1 <= len(req["product_types"]) <= 3
        assert {vocab.PRODUCT_CATEGORY[t] for t in req["product_types"]} == {req["category"]}


def test_unit_mix(doc: dict[str, Any]) -> None:
    units = Counter(o["unit"] for o in doc["offers"])
    assert units["m3"] > units["bf"] > 0
    assert units["kg_drc"] and units["t_drc"] and units["kg_latex"]


@pytest.mark.parametrize("which", ["doc", "big_doc"])
def test_coordinates_in_range_and_in_country(which: str, request: pytest.FixtureRequest) -> None:
    d = request.getfixturevalue(which)
    orgs = _by_ref(d["organizations"])
    points = [(o["country"], o["lat"], o["lon"]) for o in d["organizations"]]
    points += [(orgs[o["organization"]]["country"], o["lat"], o["lon"]) for o in d["offers"]]
    points += [(r["delivery"]["country"], r["delivery"]["lat"], r["delivery"]["lon"]) for r in d["requests"]]
    for country, lat, lon in points:
        assert -90 <= lat <= 90 and -180 <= lon <= 180
        lat_min, lat_max, lon_min, lon_max = COUNTRY_BOXES[country]
        assert lat_min <= lat <= lat_max and lon_min <= lon <= lon_max, (country, lat, lon)


def test_offers_sit_near_their_producer(doc: dict[str, Any]) -> None:
    orgs = _by_ref(doc["organizations"])
    for offer in doc["offers"]:
        org = orgs[offer["organization"]]
        assert _haversine_km(offer["lat"], offer["lon"], org["lat"], org["lon"]) < 15


def test_countries_present(doc: dict[str, Any]) -> None:
    countries = {o["country"] for o in doc["organizations"]}
    assert {"MX", "GT", "HN", "BR", "PE", "BO", "TH", "LK", "VN", "US"} <= countries
    assert countries & EU
    regions = {o["region"] for o in doc["organizations"]}
    assert {"MX-DUR", "MX-CHH", "MX-OAX", "MX-ROO", "MX-MIC", "GT-17", "BR-AC", "BR-PA", "PE-MDD", "PE-UCA"} <= regions
    assert {"BO-N", "BO-B", "MX-JAL", "MX-NLE", "MX-CMX", "DE-HH", "NL-ZH"} <= regions


def test_rubber_producers_in_every_rubber_country(doc: dict[str, Any]) -> None:
    latex_countries = {
        org["country"]
        for org in doc["organizations"]
        for offer in doc["offers"]
        if offer["organization"] == org["ref"] and offer["category"] == "latex"
    }
    assert {"GT", "BR", "TH", "LK", "VN"} <= latex_countries


def test_species_consistent_with_region(doc: dict[str, Any]) -> None:
    orgs = _by_ref(doc["organizations"])
    for offer in doc["offers"]:
        region = orgs[offer["organization"]]["region"]
        genera = {s.split(" ")[0] for s in offer["species"]}
        if offer["category"] == "latex":
            assert offer["species"] == ["Hevea brasiliensis"]
        elif region in ("MX-DUR", "MX-CHH", "MX-OAX", "MX-MIC"):
            assert genera <= {"Pinus", "Quercus"}
        elif region in ("MX-ROO", "GT-17") or region.split("-")[0] in ("BR", "PE", "BO"):
            assert not genera & {"Pinus", "Quercus", "Hevea"}


# -- demand that can be served --------------------------------------------------------------------------------------


def test_most_open_requests_have_a_fitting_offer(doc: dict[str, Any]) -> None:
    certs = _by_ref(doc["certificates"])
    open_requests = [r for r in doc["requests"] if r["status"] == "open"]
    served = [r for r in open_requests if any(_fits(r, o, certs[o["certificate"]]) for o in doc["offers"])]
    assert len(served) >= 0.5 * len(open_requests)
    assert len(open_requests) >= 0.8 * len(doc["requests"])


def test_some_requests_need_a_bundle(doc: dict[str, Any]) -> None:
    largest: dict[str, float] = {}
    for offer in doc["offers"]:
        largest[offer["product_type"]] = max(largest.get(offer["product_type"], 0.0), _offer_canonical(offer))
    bundles = [
        r
        for r in doc["requests"]
        if to_canonical(r["category"], r["quantity"], r["unit"], r.get("drc_percent"))
        > max(largest.get(t, 0.0) for t in r["product_types"])
    ]
    assert len(bundles) >= 0.05 * len(doc["requests"])
    assert all(r["partial_ok"] for r in bundles)


def test_requests_use_species_names_the_vocabulary_resolves(doc: dict[str, Any]) -> None:
    named = [s for r in doc["requests"] for s in r["species"]]
    assert named  # some requests name a species or genus
    assert sum(not r["species"] for r in doc["requests"]) > len(doc["requests"]) / 3


def test_latex_and_timber_demand(doc: dict[str, Any]) -> None:
    categories = Counter(r["category"] for r in doc["requests"])
    assert categories["timber"] > categories["latex"] > 0
    assert any("max_distance_km" not in r for r in doc["requests"])
    assert any("max_distance_km" in r for r in doc["requests"])


def test_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        generate(1, offers=-1)
