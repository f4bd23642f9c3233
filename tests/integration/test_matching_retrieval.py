"""Candidate retrieval keeps the matcher exact: capped at a few hundred candidates, it ranks like a scan of every
offer. The caps are made tiny here (monkeypatched constants) so a few dozen offers exercise every round."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from app.clock import now
from app.imports.services import import_document
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching import candidates, engine
from app.matching.services import _load_request, _offer_specs, compute_matches, request_spec
from app.offers.tables import Offer
from tests.integration.test_import import d
from tests.search_backends import own_backend

DELIVERY = (20.67, -103.35)  # Guadalajara
NEAR = 30


def producer(ref: str, lat: float, lon: float) -> list[dict[str, Any]]:
    """An organisation with one valid certificate."""
    return [
        {
            "ref": ref,
            "name": ref.title(),
            "kind": "producer",
            "country": "MX",
            "region": "MX-JAL",
            "lat": lat,
            "lon": lon,
        },
        {
            "ref": f"{ref}-cert",
            "organization": ref,
            "code": f"SCS-FM/COC-{abs(hash(ref)) % 1000000:06d}",
            "scope": "FM/COC",
            "status": "valid",
            "expires_on": d(900),
            "product_types": ["sawn_timber"],
        },
    ]


def offer(ref: str, org: str, *, quantity: float, claim: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "ref": ref,
        "organization": org,
        "certificate": f"{org}-cert",
        "category": "timber",
        "product_type": "sawn_timber",
        "species": ["Pinus durangensis"],
        "title": f"Pine boards {ref}",
        "claim": claim,
        "quantity": quantity,
        "unit": "m3",
        "available_from": d(1),
        "available_to": d(300),
        "lat": lat,
        "lon": lon,
        "status": "active",
    }


def document(*, near_claim: str, near_quantity: float, far_claim: str, partial_ok: bool) -> dict[str, Any]:
    """NEAR producers 5-35 km from the delivery point, and one producer about 2,000 km away (Bogotá)."""
    orgs: list[dict[str, Any]] = [
        {
            "ref": "buyer",
            "name": "Buyer",
            "kind": "buyer",
            "country": "MX",
            "region": "MX-JAL",
            "lat": 20.67,
            "lon": -103.35,
        }
    ]
    certs: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    for i in range(NEAR):
        lat, lon = DELIVERY[0] + 0.05 + i * 0.01, DELIVERY[1]
        org, cert = producer(f"near-{i:02d}", lat, lon)
        orgs.append(org)
        certs.append(cert)
        offers.append(
            offer(f"offer-near-{i:02d}", org["ref"], quantity=near_quantity, claim=near_claim, lat=lat, lon=lon)
        )
    org, cert = producer("far", 4.71, -74.07)
    orgs.append(org)
    certs.append(cert)
    offers.append(offer("offer-far", "far", quantity=150, claim=far_claim, lat=4.71, lon=-74.07))
    request = {
        "ref": "req-1",
        "organization": "buyer",
        "category": "timber",
        "product_types": ["sawn_timber"],
        "species": ["Pinus durangensis"],
        "accepted_claims": ["FSC 100%", "FSC Mix", "FSC Controlled Wood"],
        "quantity": 100,
        "unit": "m3",
        "partial_ok": partial_ok,
        "delivery": {"country": "MX", "region": "MX-JAL", "lat": DELIVERY[0], "lon": DELIVERY[1]},
        "needed_from": d(30),
        "needed_by": d(120),
        "status": "open",
    }
    return {
        "format": "forestmatch/1",
        "organizations": orgs,
        "certificates": certs,
        "offers": offers,
        "requests": [request],
    }


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str, tmp_path: Path):
    backend = own_backend(tmp_path)
    await backend.ensure_index(OFFERS_INDEX)
    yield backend
    await backend.close()


@pytest.fixture(name="small_caps")
def fx_small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep 4 recommendations, read 5 ids per round (instead of 300 and 400)."""
    monkeypatch.setattr(candidates, "MAX_RECOMMENDATIONS", 4)
    monkeypatch.setattr(candidates, "CANDIDATE_PAGE", 5)


async def naive(request_ref: str) -> tuple[list[engine.ScoredOffer], list[engine.Bundle]]:
    """Every offer in the database scored by the engine: what the retrieval must agree with."""
    spec = request_spec(await _load_request(request_ref))
    offers = await _offer_specs([r["ref"] for r in await Offer.select(Offer.ref)])
    return engine.match(spec, offers, now=now())


async def test_perfect_fit_far_down_the_distance_order_ranks_first(backend, small_caps) -> None:
    await import_document(
        document(near_claim="FSC Controlled Wood", near_quantity=10, far_claim="FSC 100%", partial_ok=False)
    )
    await drain(backend)
    answer = await compute_matches("req-1", backend, locale="en")
    ranked, _bundles = await naive("req-1")
    # The far offer is the last of 31 by distance, but the only one with the whole volume and the strongest claim.
    assert ranked[0].offer.ref == "offer-far"
    assert [m.offer.ref for m in answer.matches] == [m.offer.ref for m in ranked[:4]]
    assert [round(m.score, 9) for m in answer.matches] == [round(m.score, 9) for m in ranked[:4]]
    assert answer.degraded is False


async def test_offers_the_database_rejects_do_not_hide_better_ones(backend, small_caps) -> None:
    doc = document(near_claim="FSC 100%", near_quantity=40, far_claim="FSC Controlled Wood", partial_ok=False)
    await import_document(doc)
    await drain(backend)
    # The six nearest offers are paused in the database but still active in the index (not synced yet): the
    # first round's candidates all fail the re-check, so the matcher must read further.
    changed = copy.deepcopy(doc)
    for item in changed["offers"][:6]:
        item["status"] = "paused"
    await import_document(changed)
    answer = await compute_matches("req-1", backend, locale="en")
    ranked, _bundles = await naive("req-1")
    assert [m.offer.ref for m in answer.matches] == [m.offer.ref for m in ranked[:4]]
    assert [m.offer.ref for m in answer.matches] == ["offer-near-06", "offer-near-07", "offer-near-08", "offer-near-09"]


async def test_an_offer_covering_the_need_beyond_the_cap_still_rules_out_bundles(backend, small_caps) -> None:
    # Near offers score better (40 m3 of FSC 100% next door) than the far one covering all 100 m3 with a weak claim.
    await import_document(
        document(near_claim="FSC 100%", near_quantity=40, far_claim="FSC Controlled Wood", partial_ok=True)
    )
    await drain(backend)
    answer = await compute_matches("req-1", backend, locale="en")
    ranked, bundles = await naive("req-1")
    assert ranked[-1].offer.ref == "offer-far"  # ranked last of 31, far beyond the 4 kept
    assert bundles == []
    assert answer.bundles == []
    assert [m.offer.ref for m in answer.matches] == [m.offer.ref for m in ranked[:4]]
    # Without knowing about offer-far, the four kept offers would have been bundled.
    spec = request_spec(await _load_request("req-1"))
    assert engine.propose_bundles(spec, answer.matches) != []
