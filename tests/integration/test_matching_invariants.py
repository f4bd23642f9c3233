"""On generated data of every shape, no recommendation or bundle member ever breaks a hard constraint.

The check here is written independently of the engine, straight from the rules in IMPORT_FORMAT.md and the
matcher's contract, against the rows in the database.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from app.demo.generator import generate
from app.imports.services import import_document
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.services import compute_matches
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from app.traceability.tables import LotResult
from app.vocab import species_matches
from tests.search_backends import own_backend


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def violations(req: dict[str, Any], offer: dict[str, Any]) -> list[str]:
    found = []
    if offer["category"] != req["category"] or offer["product_type"] not in req["product_types"]:
        found.append("product")
    if offer["claim"] not in req["accepted_claims"]:
        found.append("claim")
    if offer["status"] != "active" or not offer["org_active"]:
        found.append("status")
    if offer["cert_status"] != "valid" or offer["cert_expires"] < req["needed_by"]:
        found.append("certificate")
    if offer["product_type"] not in offer["cert_types"]:
        found.append("scope")
    if offer["available_to"] < req["needed_from"] or offer["available_from"] > req["needed_by"]:
        found.append("window")
    if req["min_per_supplier_canonical"] and offer["quantity_canonical"] < req["min_per_supplier_canonical"] - 1e-9:
        found.append("min_per_supplier")
    if req["max_distance_km"] is not None:
        lat = offer["lat"] if offer["lat"] is not None else offer["org_lat"]
        lon = offer["lon"] if offer["lon"] is not None else offer["org_lon"]
        if (
            lat is None
            or req["delivery_lat"] is None
            or _km(lat, lon, req["delivery_lat"], req["delivery_lon"]) > req["max_distance_km"] + 1e-6
        ):
            found.append("distance")
    if req["species"] and not any(species_matches(w, o) for w in req["species"] for o in offer["species"]):
        found.append("species")
    if offer["org_ref"] == req["org_ref"]:
        found.append("own")
    if offer["min_order_canonical"] is not None and offer["min_order_canonical"] > req["quantity_canonical"] + 1e-9:
        found.append("min_order")
    # EUDR-ready: the offer names lots and every one of them was last derived without an error check.
    if req.get("require_eudr_ready") and not offer.get("eudr"):
        found.append("eudr_ready")
    return found


async def with_eudr(offers: dict[str, dict[str, Any]]) -> None:
    """Mark each offer row ``eudr`` from the lots it names and their stored results (read here, not by the engine)."""
    ready = {
        r["ref"]
        for r in await LotResult.select(LotResult.lot.ref.as_alias("ref"), LotResult.eudr_ready)
        if r["eudr_ready"]
    }
    for row in offers.values():
        lots = row.get("lots") or []
        row["eudr"] = bool(lots) and all(lot in ready for lot in lots)


@pytest.mark.parametrize("seed", [3, 11])
async def test_no_recommendation_breaks_a_hard_constraint(clean_db: str, tmp_path: Path, seed: int) -> None:
    doc = generate(seed, producers=40, buyers=12, offers=300, requests=40, today=dt.date.today())
    # Make the data harder: suspend some certificates and pause some offers after the fact.
    for cert in doc["certificates"][::7]:
        cert["status"] = "suspended"
    for offer in doc["offers"][::9]:
        offer["status"] = "paused"
    for request in doc["requests"][::5]:
        request["require_eudr_ready"] = True  # no generated offer names lots: none of these may be served
    await import_document(doc)
    backend = own_backend(tmp_path)
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)

    offers = {
        r["ref"]: r
        for r in await Offer.select(
            Offer.ref,
            Offer.category,
            Offer.product_type,
            Offer.claim,
            Offer.status,
            Offer.species,
            Offer.quantity_canonical,
            Offer.min_order_canonical,
            Offer.available_from,
            Offer.available_to,
            Offer.lat,
            Offer.lon,
            Offer.organization.is_active.as_alias("org_active"),
            Offer.organization.ref.as_alias("org_ref"),
            Offer.organization.lat.as_alias("org_lat"),
            Offer.organization.lon.as_alias("org_lon"),
            Offer.certificate.status.as_alias("cert_status"),
            Offer.certificate.expires_on.as_alias("cert_expires"),
            Offer.certificate.product_types.as_alias("cert_types"),
            Offer.lots,
        ).output(load_json=True)
    }
    await with_eudr(offers)
    for row in offers.values():
        if isinstance(row["cert_types"], str):
            import json

            row["cert_types"] = json.loads(row["cert_types"])
    requests = (
        await SourcingRequest.select(
            SourcingRequest.all_columns(), SourcingRequest.organization.ref.as_alias("org_ref")
        )
        .where(SourcingRequest.status == "open")
        .output(load_json=True)
    )
    recommended = 0
    for req in requests:
        answer = (await compute_matches(req["ref"], backend, locale="en")).as_json()
        members = [m["offer"] for m in answer["matches"]] + [o for b in answer["bundles"] for o in b["offers"]]
        for ref in members:
            assert violations(req, offers[ref]) == [], (req["ref"], ref)
        for bundle in answer["bundles"]:
            producers = [offers[o]["org_ref"] for o in bundle["offers"]]
            assert len(set(producers)) == len(producers)
            assert 2 <= len(producers) <= 6
            assert bundle["total_quantity"] >= round(req["quantity_canonical"], 3) - 1e-6
        # Nothing viable is left out: retrieval through the index loses no offer the rules allow.
        viable = {ref for ref, offer in offers.items() if not violations(req, offer)}
        assert {m["offer"] for m in answer["matches"]} == viable, req["ref"]
        scores = [m["score"] for m in answer["matches"]]
        assert scores == sorted(scores, reverse=True)
        recommended += len(answer["matches"])
    assert recommended > 0  # the generated set is built so that many requests have viable offers
    await backend.close()
