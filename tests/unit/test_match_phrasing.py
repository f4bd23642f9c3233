"""Match reasons: the engine gives codes with values, the phrasing module words them for the reader's side."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.i18n import reset_locale, set_locale
from app.matching import engine, phrasing
from app.matching.engine import OfferSpec, Reason, RequestSpec, score_offer
from app.matching.phrasing import phrase, phrase_all
from tests.unit.match_specs import NOW, make_offer, make_request


@pytest.fixture(name="english", autouse=True)
def fx_english() -> Iterator[None]:
    token = set_locale("en")
    yield
    reset_locale(token)


def _request(**changes: object) -> RequestSpec:
    return make_request(**{"quantity": 250.0, **changes})


def _offer(**changes: object) -> OfferSpec:
    return make_offer(**{"quantity": 100.0, **changes})


def test_the_engine_gives_codes_and_values_not_words() -> None:
    reasons = score_offer(_request(), _offer(), now=NOW).reasons
    assert reasons == [
        Reason("volume_partial", {"percent": 40, "offered": 100.0, "requested": 250.0, "unit": "m3"}),
        Reason("distance", {"km": 530, "place": "Guadalajara"}),
        Reason("species_genus", {"species": "Pinus durangensis"}),
        Reason("claim", {"claim": "FSC 100%"}),
        Reason("certificate_verified", {"days": 21}),
        Reason("updated", {"days": 5}),
    ]
    stored = json.loads(json.dumps([r.as_json() for r in reasons]))  # plain JSON: storable as it is
    assert phrase_all(stored, "producer") == phrase_all(reasons, "producer")
    assert not hasattr(engine, "gettext")


def test_each_side_reads_the_same_facts_in_its_own_voice() -> None:
    reasons = score_offer(_request(), _offer(), now=NOW).reasons
    assert phrase_all(reasons, "buyer") == [
        "Covers 40 % of your volume",
        "530 km from Guadalajara",
        "Same genus: Durango pine (Pinus durangensis)",
        "Claim FSC 100%",
        "Certificate verified 3 weeks ago",
        "Updated 5 days ago",
    ]
    assert phrase_all(reasons, "producer") == [
        "Your offer covers 40 % of the 250 m³ requested",
        "Your offer is 530 km from Guadalajara",
        "The buyer asks for the genus of your Durango pine (Pinus durangensis)",
        "The buyer accepts your claim FSC 100%",
        "Your certificate was verified 3 weeks ago",
        "You updated this offer 5 days ago",
    ]


def test_the_other_cases_in_the_producers_voice() -> None:
    full = score_offer(
        _request(species=(), delivery_lat=None, delivery_lon=None, max_distance_km=None),
        _offer(quantity=300.0, certificate_verification="pending", certificate_verified_at=None, updated_at=NOW),
        now=NOW,
    )
    assert phrase_all(full.reasons, "producer") == [
        "Your offer covers the whole 250 m³ requested",
        "The buyer gave no delivery point: distance not scored",
        "The buyer accepts any species",
        "The buyer accepts your claim FSC 100%",
        "Your certificate is awaiting verification by staff",
        "You updated this offer today",
    ]
    assert phrase_all(full.reasons, "buyer")[4] == "Certificate awaiting verification by staff"
    elsewhere = score_offer(
        _request(max_distance_km=None, species=("Pinus durangensis",)),
        _offer(lat=None, lon=None, certificate_verification="rejected"),
        now=NOW,
    )
    assert phrase_all(elsewhere.reasons, "producer")[1:5] == [
        "Your offer has no map point: distance not scored",
        "The buyer asks for your species: Durango pine (Pinus durangensis)",
        "The buyer accepts your claim FSC 100%",
        "Your certificate was rejected at verification",
    ]
    latex = score_offer(
        _request(category="latex", product_types=("field_latex",), species=(), quantity=2500.0, unit="kg_drc"),
        _offer(category="latex", product_type="field_latex", species=(), quantity=1000.0),
        now=NOW,
    )
    assert phrase(latex.reasons[0], "producer") == "Your offer covers 40 % of the 2,500 kg DRC requested"
    almost = score_offer(_request(), _offer(quantity=249.0), now=NOW)
    assert phrase(almost.reasons[0], "producer") == "Your offer covers 99 % of the 250 m³ requested"


def test_spanish_and_portuguese_producers_read_their_own_offer() -> None:
    reasons = score_offer(_request(), _offer(quantity=300.0), now=NOW).reasons
    token = set_locale("es_MX")
    try:
        spanish = phrase_all(reasons, "producer")
        spanish_buyer = phrase_all(reasons, "buyer")
    finally:
        reset_locale(token)
    assert spanish[0] == "Su oferta cubre todos los 250 m³ solicitados"
    assert spanish[3] == "El comprador acepta su declaración FSC 100%"
    assert spanish_buyer[0] == "Cubre todo su volumen"
    token = set_locale("pt_BR")
    try:
        assert phrase(reasons[0], "producer") == "Sua oferta cobre todos os 250 m³ solicitados"
    finally:
        reset_locale(token)


def test_every_code_has_words_for_both_sides_and_unknown_codes_read_as_nothing() -> None:
    buyer, producer = phrasing._WORDS["buyer"], phrasing._WORDS["producer"]
    assert set(buyer) == set(producer)
    bundle = [
        Reason("bundle_cover", {"count": 3, "total": 330.0, "requested": 300.0, "unit": "m3"}),
        Reason("bundle_spread", {"km": 33}),
        Reason("bundle_mean", {"score": 0.754}),
    ]
    expected = ["3 producers together cover 330 m³ of 300 m³", "Within 33 km of each other", "Average match score 0.75"]
    assert phrase_all(bundle, "buyer") == phrase_all(bundle, "producer") == expected
    assert phrase_all([{"code": "from_a_newer_version", "params": {}}, bundle[1]]) == ["Within 33 km of each other"]


def test_in_locale_words_an_answer_in_another_language_and_restores_the_current_one() -> None:
    reason = Reason("volume_full", {"percent": 100, "offered": 300.0, "requested": 250.0, "unit": "m3"})
    with phrasing.in_locale("pt_BR"):
        assert phrase(reason) == "Cobre todo o seu volume"
    assert phrase(reason) == "Covers all of your volume"
